"""The client tests' fixtures (the simulator in a thread) serve the asyncio tests too."""

from __future__ import annotations

from tests.client.conftest import loop_sim, sim

__all__ = ["loop_sim", "sim"]
