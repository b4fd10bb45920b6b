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

UTF8_BOM = b"\xef\xbb\xbf"
"""The UTF-8 byte order mark that Windows tools (Notepad, PowerShell, Fiddler) put before
a text file; a capture file may start with it, a protocol message may not."""
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def without_bom(data: bytes) -> bytes:
    """The UTF-8 text of a capture file's ``data``, whatever byte order mark it starts with.

    A UTF-8 mark is dropped; a file that starts with a UTF-16 mark (what Windows
    PowerShell's ``>`` writes, e.g. ``tshark -T json > capture.json``) is decoded and
    given back as UTF-8.  Anything else is given back unchanged.

    Args:
        data: the start of a capture file, or all of it.

    Returns:
        The same text in UTF-8, without the mark.
    """
    if data.startswith(UTF8_BOM):
        return data[len(UTF8_BOM):]
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16", "replace").encode("utf-8")
    return data


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
        http: the message travelled as an HTTP POST body (request or response).
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
    http: bool = False

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


@dataclass(slots=True)
class Settled:
    """A request's answer that is no protocol message: it settles the oldest open request.

    An HTTP POST answered with an error status (a fatal error, 2.6: 401, 405, 413, ...)
    or whose response body the capture lacks (a HAR saved without bodies) did get its
    answer; the checker must neither call the request an orphan nor pair it with the
    next response on the connection.

    A recording may also say that every open request of a connection was cut off
    (the proxy stopped while they were on their way): ``every`` settles them all.

    Args:
        source: the capture file's name.
        stream: the connection whose oldest open request it answers.
        reason: what answered, for the report's note (``answered with HTTP 401 ...``).
        every: all open requests of the connection, not only the oldest.
    """

    source: str
    stream: str
    reason: str
    every: bool = False


@dataclass(slots=True)
class Unseen:
    """A request the capture lacks the text of (a HAR POST saved without its body).

    It was sent, so the next response on its connection answers it; nothing of it
    can be validated.

    Args:
        source: the capture file's name.
        where: its place in the file.
        time: when it was sent, if the capture says.
        stream: its connection.
        reason: what is missing, for the report's note.
    """

    source: str
    where: int | str
    time: str | float | None
    stream: str
    reason: str


Record = Message | BadRecord | SessionStart | Note | Settled | Unseen

__all__ = ["UTF8_BOM", "BadRecord", "CaptureError", "Message", "Note", "Record", "SessionStart",
           "Settled", "TsharkMissing", "Unseen", "format_position", "without_bom"]
