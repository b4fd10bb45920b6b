"""Per-frame validation for whole captures: :func:`dmsproto.validate` per frame.

``validate`` itself is tuned for traffic: a frame that the strict twin of its
schema accepts (every annotation rule folded in, see
:func:`dmsproto.validation.plan.strict_twin`) costs one Rust check and no Python
walk.  :class:`FrameValidator` keeps the protocol version at hand for the capture
loop.
"""

from __future__ import annotations

from typing import Any

from ..validation import Violation, validate
from ..validation.frame import compiled
from ..versions import Direction


class FrameValidator:
    """``check(frame, direction)`` -> violations, fast when the frame is valid."""

    def __init__(self, protocol: str) -> None:
        self.protocol = protocol
        for kind in ("request", "response", "event"):
            compiled(protocol, kind)  # build the validators now, not on the first frame

    def check(self, frame: Any, direction: Direction) -> list[Violation]:
        """All violations of one parsed frame (``[]`` when it is valid)."""
        return validate(frame, direction=direction, protocol=self.protocol)


__all__ = ["FrameValidator"]
