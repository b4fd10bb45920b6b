"""Fixtures of the client tests: a small plant and simulators on loopback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dmsproto.sim.server import Simulator
from tests.support.client import PLANT, clock


@pytest.fixture
def sim_factory(make_sim: Callable[..., Simulator]) -> Callable[..., Simulator]:
    """``sim_factory(**options)``: a self-checking simulator of ``PLANT`` on a fixed clock."""

    def factory(**options: Any) -> Simulator:
        options.setdefault("clock", clock)
        return make_sim(PLANT, **options)

    return factory
