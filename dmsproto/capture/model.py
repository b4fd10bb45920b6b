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

    Args:
        direction: ``send`` (the client spoke) or ``recv`` (the DMS spoke).
        data: the parsed JSON value, or the raw text (``str``/``bytes``) when the
            reader did not parse it; the validator parses raw text once.
        source: the capture file's name.
        where: the message's place in it: a line, a frame number or a JSON pointer.
        time: when it was seen, as the capture has it (text or epoch seconds).
        stream: names the connection: requests pair with responses, and events with
            subscriptions, only within one stream.
        size: the message's length in bytes.
        offset: how many bytes of the input are consumed, for the progress bar.
        binary: the message travelled in a binary WebSocket frame.
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
        """Where to find it: ``file:line``, ``file:frame N`` or ``file#/json/pointer``."""
        return format_position(self.source, self.where)


@dataclass(slots=True)
class BadRecord:
    """A capture record that holds no usable message (reported under rule ``capture``).

    Args:
        source: the capture file's name.
        where: the record's place in it (as for ``Message``).
        reason: why it holds no message.
        value: the record's offending part, if any.
        time: when it was seen, if the record says.
        offset: how many bytes of the input are consumed, for the progress bar.
    """

    source: str
    where: int | str
    reason: str
    value: Any = None
    time: str | float | None = None
    offset: int = 0

    @property
    def position(self) -> str:
        """Where to find it: ``file:line``, ``file:frame N`` or ``file#/json/pointer``."""
        return format_position(self.source, self.where)


@dataclass(slots=True)
class SessionStart:
    """A recording session begins (a session marker of our JSON Lines format).

    The reader names the streams of each session apart, so the cross-message
    checks never pair a request of one session with a response of another.

    Args:
        source: the capture file's name.
        where: the marker's line.
        session: the session's id.
        label: who recorded it (e.g. the command), if the marker says.
        offset: how many bytes of the input are consumed, for the progress bar.
    """

    source: str
    where: int | str
    session: str
    label: str | None = None
    offset: int = 0


@dataclass(slots=True)
class Note:
    """Something a reader assumed and the user should know (e.g. which port is the DMS's).

    Args:
        source: the capture file's name.
        text: what the reader assumed.
    """

    source: str
    text: str


Record = Message | BadRecord | SessionStart | Note

__all__ = ["BadRecord", "CaptureError", "Message", "Note", "Record", "SessionStart",
           "TsharkMissing", "format_position"]
