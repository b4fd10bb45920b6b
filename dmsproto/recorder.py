"""Write traffic in our JSON Lines capture format, cheaply and safely.

The client and the simulator call :meth:`Recorder.record` for every message on the
wire.  The message text is stored as a JSON string (``"data": "<text>"``), byte for
byte as sent, so even a malformed message is recorded faithfully and can never
break the line it sits in; each line is flushed at once, so a crash loses nothing.

A capture grows: opening a file appends to it (``truncate=True`` starts it afresh),
and the first line a recorder writes is a *session marker*, naming who recorded when
given a ``label`` (the command line's recordings name the command)::

    {"time": "...", "session": "3f2a...", "label": "dmsproto get", "pid": 4711}

Readers start a new session at each marker, so a series of commands recorded into
one file is one capture whose sessions are checked apart (a request of one session
is never answered by a response of the next).

A recorder that serves many connections at once (the proxy) marks each connection
instead, with :meth:`Recorder.connection`: a marker that also names ``"conn"``
starts a session for that connection's messages only, while the lines of other
connections go on interleaved::

    {"time": "...", "session": "9b1c...", "conn": "c7", "label": "client 127.0.0.1:50312"}

Every message line is::

    {"time": "...", "dir": "send" | "recv", "data": "<text>"}

with ``"conn"`` when several connections share a file and ``"binary": true`` for a
message that travelled in a binary WebSocket frame.  A request that got no protocol
message as its answer (an HTTP error status, an answer too large to record, or none
because the recording proxy stopped) is marked with :meth:`Recorder.settled`, so a
later check does not call it unanswered::

    {"time": "...", "settled": "answered with HTTP 502 ...", "conn": "c7.2"}

This module imports only the standard library and msgspec: the client imports it on
every connection, so it must stay light.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from types import TracebackType
from typing import IO, TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from .versions import Direction

SESSION_KEY = "session"
"""The member that makes a capture line a session marker (and not a message)."""
SETTLED_KEY = "settled"
"""The member that makes a capture line say requests were answered outside the protocol."""

_encode = msgspec.json.Encoder().encode


class Recorder:
    """``with Recorder("session.jsonl") as rec: rec.record("send", text)``.

    Writes our JSON Lines capture format: a session marker, then one line per
    message.  ``conn`` (per message, optional) names the connection when several
    share one file.  After ``close()``, ``record`` does nothing: a late message
    during teardown must not turn into an error in the code that is being recorded.

    Args:
        path: the capture file; appended to, created when missing.
        truncate: empty the file first.
        label: who recorded (e.g. the command), written in the session marker.

    Raises:
        OSError: the file cannot be opened for writing.

    Attributes:
        path: the capture file's name.
        session: the random id of this recorder's session marker.
        label: as given.
        count: messages recorded so far.
    """

    def __init__(self, path: str | os.PathLike[str], *, truncate: bool = False,
                 label: str | None = None) -> None:
        self.path = os.fspath(path)
        self._file: IO[bytes] | None = open(self.path, "wb" if truncate else "ab")  # noqa: SIM115
        self.session = uuid.uuid4().hex
        self.label = label
        self.count = 0
        self._marked = False

    def record(self, direction: Direction, text: str | bytes, *, conn: str | None = None,
               time: datetime | float | None = None, binary: bool = False,
               http: bool = False) -> None:
        """Append one message (``direction`` "send" = client to server).

        Args:
            direction: ``"send"`` (the client spoke) or ``"recv"`` (the DMS spoke).
            text: the message as sent; bytes are decoded as UTF-8 (bad bytes replaced).
            conn: names the connection when several share one file.
            time: when it was seen; default now (UTC).
            binary: the message travelled in a binary WebSocket frame.
            http: the message travelled as an HTTP POST body.

        Raises:
            ValueError: ``direction`` is neither "send" nor "recv".
        """
        file = self._file
        if file is None:
            return
        if direction not in ("send", "recv"):
            raise ValueError(f"direction must be 'send' or 'recv', not {direction!r}")
        if isinstance(text, (bytes, bytearray, memoryview)):
            text = bytes(text).decode("utf-8", "replace")
        stamp = _stamp(time)
        if not self._marked:
            self._marked = True
            self._write(file, self.marker(stamp))
        record: dict[str, object] = {"time": stamp, "dir": direction, "data": text}
        if conn is not None:
            record["conn"] = conn
        if binary:
            record["binary"] = True
        if http:
            record["http"] = True
        self._write(file, record)
        self.count += 1

    def settled(self, reason: str, *, conn: str | None = None, every: bool = False,
                time: datetime | float | None = None) -> None:
        """Mark the oldest open request as answered outside the protocol.

        Args:
            reason: what answered it (or why nothing did), for the check's report.
            conn: its connection, as its messages are recorded.
            every: all open requests of the connection (cut off at once).
            time: when; default now (UTC).
        """
        file = self._file
        if file is None:
            return
        line: dict[str, object] = {"time": _stamp(time), SETTLED_KEY: reason}
        if conn is not None:
            line["conn"] = conn
        if every:
            line["every"] = True
        self._write(file, line)

    def connection(self, conn: str, *, label: str | None = None,
                   time: datetime | float | None = None) -> None:
        """Mark the start of connection ``conn``: its messages form a session of their own.

        Args:
            conn: the ``conn`` its messages are recorded with.
            label: who the connection is (e.g. the client's address); never credentials.
            time: when it began; default now (UTC).
        """
        file = self._file
        if file is None:
            return
        line: dict[str, object] = {"time": _stamp(time), SESSION_KEY: uuid.uuid4().hex,
                                   "conn": conn}
        if label is not None:
            line["label"] = label
        self._write(file, line)

    def marker(self, stamp: str | float) -> dict[str, object]:
        """The session marker line this recorder writes before its first message.

        Args:
            stamp: the marker's time, as written in the capture.

        Returns:
            The line's members: time, session id, label (if any) and process id.
        """
        line: dict[str, object] = {"time": stamp, SESSION_KEY: self.session}
        if self.label is not None:
            line["label"] = self.label
        line["pid"] = os.getpid()
        return line

    @staticmethod
    def _write(file: IO[bytes], record: dict[str, object]) -> None:
        try:
            line = _encode(record)
        except UnicodeEncodeError:  # lone surrogates: keep what can be kept
            data = record.get("data")
            if isinstance(data, str):
                record["data"] = data.encode("utf-8", "replace").decode("utf-8")
            line = _encode(record)
        file.write(line + b"\n")
        file.flush()

    def close(self) -> None:
        """Close the file; later :meth:`record` calls do nothing."""
        if self._file is not None:
            self._file.close()
            self._file = None

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._file is None

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _stamp(time: datetime | float | None) -> str | float:
    if time is None:
        return datetime.now(UTC).isoformat(timespec="microseconds")
    if isinstance(time, datetime):
        return time.isoformat()
    return time


def http_status_answer(status: object) -> str:
    """Why a POST answered with an HTTP error status got no protocol message as its answer.

    The reason a :meth:`Recorder.settled` line and the check's report give.

    Args:
        status: the HTTP status code.

    Returns:
        The reason, as the report's note gives it.
    """
    return f"answered with HTTP {status} (a fatal error, 2.6)"


def close_answer(code: int | None) -> str:
    """Why a WebSocket request got no protocol message: the DMS closed the connection.

    On a WebSocket the DMS's fatal errors are close frames (2.6): a DMS that closes
    with requests still open (1009 for a message over its limit, 1003 for a wrong
    path, ...) has answered them so. The reason a :meth:`Recorder.settled` line and
    the check's report give.

    Args:
        code: the DMS's close code; None when its close frame had none.

    Returns:
        The reason, as the report's note gives it.
    """
    said = "without a status code" if code is None else str(code)
    return f"answered with WebSocket close {said} (a fatal error, 2.6)"


def truncate_capture(path: str | os.PathLike[str]) -> None:
    """Empty the capture file at ``path`` (create it when missing).

    For callers that hand a path to someone who then appends (``--record`` with
    truncation asked for: the command empties the file, the client appends).

    Args:
        path: the capture file.

    Raises:
        OSError: the file cannot be opened for writing.
    """
    with open(os.fspath(path), "wb"):
        pass


__all__ = ["SESSION_KEY", "SETTLED_KEY", "Recorder", "close_answer", "http_status_answer",
           "truncate_capture"]
