"""What every capture reader yields: one protocol message with where it was seen.

Readers differ (JSON Lines, HAR, tshark); the validator and the cross-message
checker only ever see :class:`Message` (or :class:`BadRecord` for a capture
record that is not a message at all, :class:`SessionStart` where a recording
session begins), so a new input format is one new reader.
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
    for the progress bar.  ``binary`` marks a message that travelled in a binary
    WebSocket frame.
    """

    direction: Direction
    data: Any
    source: str
    where: int | str
    time: str | float | None
    stream: str
    size: int
    offset: int = 0
    binary: bool = False

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


@dataclass(slots=True)
class SessionStart:
    """A recording session begins (a session marker of our JSON Lines format).

    The reader names the streams of each session apart, so the cross-message
    checks never pair a request of one session with a response of another.
    """

    source: str
    where: int | str
    session: str
    label: str | None = None
    offset: int = 0


@dataclass(slots=True)
class Note:
    """Something a reader assumed and the user should know (e.g. which port is the DMS's)."""

    source: str
    text: str


Record = Message | BadRecord | SessionStart | Note

__all__ = ["BadRecord", "CaptureError", "Message", "Note", "Record", "SessionStart",
           "TsharkMissing", "format_position"]
