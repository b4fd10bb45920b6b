"""What every capture reader yields: one protocol message with where it was seen.

Readers differ (JSON Lines, HAR, tshark); the validator and the cross-message
checker only ever see :class:`Message` (or :class:`BadRecord` for a capture
record that is not a message at all), so a new input format is one new reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import CaptureError, TsharkMissing
from ..versions import Direction


def format_position(source: str, where: int | str) -> str:
    """``file:line``, ``file:frame N`` or ``file#/json/pointer``."""
    if isinstance(where, str) and where.startswith("#"):
        return f"{source}{where}"
    return f"{source}:{where}"


@dataclass(slots=True)
class Message:
    """One message as captured.

    ``data`` is the parsed JSON value, or the raw text (``str``/``bytes``) when the
    reader did not parse it; the validator parses raw text once.  ``stream`` names
    the connection (requests pair with responses, events with subscriptions, only
    within one stream).  ``offset`` is how many bytes of the input are consumed,
    for the progress bar.
    """

    direction: Direction
    data: Any
    source: str
    where: int | str
    time: str | float | None
    stream: str
    size: int
    offset: int = 0

    @property
    def position(self) -> str:
        return format_position(self.source, self.where)


@dataclass(slots=True)
class BadRecord:
    """A capture record that holds no usable message (reported under rule ``capture``)."""

    source: str
    where: int | str
    reason: str
    value: Any = None
    time: str | float | None = None
    offset: int = 0

    @property
    def position(self) -> str:
        return format_position(self.source, self.where)


Record = Message | BadRecord

__all__ = ["BadRecord", "CaptureError", "Message", "Record", "TsharkMissing", "format_position"]
