"""Write traffic in our JSON Lines capture format, cheaply and safely.

The client and the simulator call :meth:`Recorder.record` for every message on the
wire.  The message text is stored as a JSON string (``"data": "<text>"``), byte for
byte as sent, so even a malformed message is recorded faithfully and can never
break the line it sits in; each line is flushed at once, so a crash loses nothing.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from types import TracebackType
from typing import IO

import orjson

from ..versions import Direction


class Recorder:
    """``with Recorder("session.jsonl") as rec: rec.record("send", text)``.

    ``conn`` (optional) names the connection when several share one file.  After
    :meth:`close`, ``record`` does nothing: a late message during teardown must not
    turn into an error in the code that is being recorded.
    """

    def __init__(self, path: str | os.PathLike[str], *, append: bool = False) -> None:
        self.path = os.fspath(path)
        self._file: IO[bytes] | None = open(self.path, "ab" if append else "wb")  # noqa: SIM115
        self.count = 0

    def record(self, direction: Direction, text: str | bytes, *, conn: str | None = None,
               time: datetime | float | None = None) -> None:
        """Append one message (``direction`` "send" = client to server)."""
        file = self._file
        if file is None:
            return
        if direction not in ("send", "recv"):
            raise ValueError(f"direction must be 'send' or 'recv', not {direction!r}")
        if isinstance(text, (bytes, bytearray, memoryview)):
            text = bytes(text).decode("utf-8", "replace")
        if time is None:
            stamp: str | float = datetime.now(UTC).isoformat(timespec="microseconds")
        elif isinstance(time, datetime):
            stamp = time.isoformat()
        else:
            stamp = time
        record: dict[str, object] = {"time": stamp, "dir": direction, "data": text}
        if conn is not None:
            record["conn"] = conn
        try:
            line = orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
        except TypeError:  # lone surrogates: keep what can be kept
            record["data"] = text.encode("utf-8", "replace").decode("utf-8")
            line = orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
        file.write(line)
        file.flush()
        self.count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    @property
    def closed(self) -> bool:
        return self._file is None

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


__all__ = ["Recorder"]
