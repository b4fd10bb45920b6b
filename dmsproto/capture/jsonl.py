"""Reader for our JSON Lines capture format (what :class:`~.recorder.Recorder` writes).

One object per line: ``{"time": <ISO 8601 text or epoch seconds>, "dir": "send" |
"recv", "data": <the message as JSON text, or as a JSON value>}`` and an optional
``"conn"`` naming the connection when one file holds several.  Each line is parsed
once with orjson; ``data`` given as text is left for the validator to parse.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from ..versions import Direction
from .model import BadRecord, CaptureError, Message, Record

_DIRECTIONS: dict[str, Direction] = {"send": "send", "recv": "recv"}


def read_jsonl(path: str | Path, *, label: str | None = None) -> Iterator[Record]:
    """Yield one record per non-blank line of ``path``."""
    source = label or str(path)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the with below, in a generator
    except OSError as exc:
        raise CaptureError(f"cannot read {path}: {exc.strerror or exc}") from exc
    loads = orjson.loads
    offset = 0
    with handle:
        for lineno, line in enumerate(handle, 1):
            offset += len(line)
            if not line.strip():
                continue
            try:
                record: Any = loads(line)
                direction = _DIRECTIONS[record["dir"]]
                data = record["data"]
            except orjson.JSONDecodeError as exc:
                yield BadRecord(source, lineno, f"line is not JSON: {exc}", offset=offset)
                continue
            except (KeyError, TypeError):
                yield BadRecord(source, lineno, 'line needs "dir": "send"|"recv" and "data"',
                                value=_short_line(line), offset=offset)
                continue
            conn = record.get("conn")
            yield Message(direction, data, source, lineno, record.get("time"),
                          source if conn is None else f"{source}#{conn}", len(line), offset)


def _short_line(line: bytes) -> str:
    text = line.decode("utf-8", "replace").strip()
    return text if len(text) <= 80 else text[:77] + "..."


__all__ = ["read_jsonl"]
