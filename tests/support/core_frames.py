"""Frames for the sans-I/O core tests: answers built from the request frames they answer."""

from __future__ import annotations

from typing import Any

import orjson

from dmsproto.protocol import ClientCore

STAMP = "2015-03-20T08:49:19,000+01:00"
#: a command-level error item: not ok, and no path
FATAL = {"code": "error", "message": "Invalid request"}


def ok(path: str, value: Any = 1, **extra: Any) -> dict[str, Any]:
    """An ok get/set item for ``path``."""
    return {"code": "ok", "path": path, "value": value, "type": "int", "stamp": STAMP, **extra}


def sent(frame: bytes) -> dict[str, Any]:
    """A request frame as JSON."""
    decoded: dict[str, Any] = orjson.loads(frame)
    return decoded


def answer(core: ClientCore, frame: bytes, **commands: Any) -> list[Any]:
    """The core's events for an answer to ``frame`` (same root tag) with ``commands``."""
    return core.receive(orjson.dumps({"tag": sent(frame)["tag"], **commands}))
