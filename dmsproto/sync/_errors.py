"""Exceptions of the blocking facade; they live with all others in ``dmsproto.errors``."""

from __future__ import annotations

from ..errors import Closed, TrioContextError

__all__ = ["Closed", "TrioContextError"]
