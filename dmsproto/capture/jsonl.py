"""Reader for our JSON Lines capture format (what :class:`dmsproto.recorder.Recorder` writes).

One object per line: ``{"time": <ISO 8601 text or epoch seconds>, "dir": "send" |
"recv", "data": <the message as JSON text, or as a JSON value>}``, an optional
``"conn"`` naming the connection when one file holds several, and ``"binary": true``
for a message sent in a binary WebSocket frame (``"http": true`` for one that travelled as
an HTTP POST body).  A line ``{"time": ..., "session":
"<id>", ...}`` starts a recording session: the connections of each session are
streams of their own.  A marker that also names ``"conn"`` starts a session for that
connection only (a proxy records many connections at once, interleaved).  A line
``{"time": ..., "settled": "<why>", "conn": ...}`` says the oldest open request of
its connection was answered outside the protocol (``"every": true``: all of them
were cut off), so it is no orphan and answers nothing else.  Each line is
parsed once (:func:`dmsproto.jsontext.parse_json`); ``data`` given as text is left for
the validator to parse.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import NotJSON
from ..jsontext import parse_json
from ..recorder import SESSION_KEY, SETTLED_KEY
from ..versions import Direction
from .model import BadRecord, CaptureError, Message, Record, SessionStart, Settled, without_bom

_DIRECTIONS: dict[str, Direction] = {"send": "send", "recv": "recv"}


def read_jsonl(path: str | Path, *, label: str | None = None) -> Iterator[Record]:
    """Yield one record per non-blank line of ``path``."""
    source = label or str(path)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the with below, in a generator
    except OSError as exc:
        raise CaptureError(f"cannot read {path}: {exc.strerror or exc}") from exc
    loads = parse_json
    offset = 0
    stream = source
    own: dict[object, str] = {}  # conn -> stream of a connection with a marker of its own
    with handle:
        for lineno, line in enumerate(handle, 1):
            offset += len(line)
            if lineno == 1:
                line = without_bom(line)
            if not line.strip():
                continue
            try:
                record: Any = loads(line)
                if type(record) is dict and SESSION_KEY in record and "dir" not in record:
                    session = str(record[SESSION_KEY])
                    if "conn" in record:
                        own[record["conn"]] = f"{source}@{session}#{record['conn']}"
                    else:
                        stream = f"{source}@{session}"
                        own.clear()
                    found = record.get("label")
                    yield SessionStart(source, lineno, session,
                                       found if isinstance(found, str) else None, offset)
                    continue
                if type(record) is dict and SETTLED_KEY in record and "dir" not in record:
                    yield _settled(record, source, stream, own)
                    continue
                direction = _DIRECTIONS[record["dir"]]
                data = record["data"]
            except NotJSON as exc:
                yield BadRecord(source, lineno, f"line is {exc.reason}", offset=offset)
                continue
            except (KeyError, TypeError):
                yield BadRecord(source, lineno, 'line needs "dir": "send"|"recv" and "data"',
                                value=_short_line(line), offset=offset)
                continue
            yield Message(direction, data, source, lineno, record.get("time"),
                          _stream(record, stream, own), len(line), offset,
                          record.get("binary") is True, record.get("http") is True)


def _stream(record: dict[str, Any], stream: str, own: dict[object, str]) -> str:
    """The stream of a line: its connection's (``conn``), else the session's."""
    conn = record.get("conn")
    if conn is None:
        return stream
    return own.get(conn) or f"{stream}#{conn}"


def _settled(record: dict[str, Any], source: str, stream: str,
             own: dict[object, str]) -> Settled:
    """A line saying requests were answered outside the protocol (``Recorder.settled``)."""
    reason = record[SETTLED_KEY]
    return Settled(source, _stream(record, stream, own),
                   reason if isinstance(reason, str) else "answered outside the protocol",
                   record.get("every") is True)


def _short_line(line: bytes) -> str:
    text = line.decode("utf-8", "replace").strip()
    return text if len(text) <= 80 else text[:77] + "..."


__all__ = ["read_jsonl"]
