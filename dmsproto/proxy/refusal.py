"""The answer to a request the proxy refuses (``--block-invalid``), shaped like a DMS's.

A DMS answers a request it cannot carry out with a normal response frame: the
root ``tag`` echoed, and in each command array the request named, error items
(``code: "error"`` and an English ``message``; per item with its ``path`` and
``tag`` when the item could be read, one item without a path when the command or
the whole frame could not).  The proxy answers a refused request the same way,
one error item per request item, so a client correlates the answer as it would a
DMS's and nothing waits forever.  The message names the first error.  Over HTTP
the frame is the body of a 200 answer, as a DMS sends its fatal JSON answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import msgspec

from ..capture.checker import COMMANDS
from ..errors import NotJSON
from ..jsontext import parse_json
from ..wording import count
from .live import Finding

REFUSED: Final = "Request refused by dmsproto proxy"
"""The message of the error answer the proxy sends for a request it does not forward."""


def _item(item: Any, reason: str) -> dict[str, Any]:
    answer: dict[str, Any] = {"code": "error"}
    path = item if isinstance(item, str) else item.get("path") if isinstance(item, dict) else None
    if isinstance(path, str):
        answer["path"] = path
    answer["message"] = reason
    if isinstance(item, dict) and item.get("tag") is not None:
        answer["tag"] = item["tag"]
    return answer


def refusal(data: str | bytes, findings: Sequence[Finding]) -> str:
    """The response frame (JSON text) refusing the request ``data`` for ``findings``."""
    first = next((f for f in findings if f.severity == "error"), None)
    reason = REFUSED if first is None else (
        f"{REFUSED}: {first.pointer or '/'}: {first.message}")
    try:
        frame: Any = parse_json(data)
    except NotJSON:
        frame = None
    answer: dict[str, Any] = {}
    named: list[str] = []
    if isinstance(frame, dict):
        if frame.get("tag") is not None:
            answer["tag"] = frame["tag"]
        named = [key for key in frame if key in COMMANDS]
        for key in named:
            items = frame[key]
            answer[key] = ([_item(item, reason) for item in items] if isinstance(items, list)
                           else [{"code": "error", "message": reason}])
    if not named:
        answer["get"] = [{"code": "error", "message": reason}]
    return msgspec.json.encode(answer).decode()


def blocked_notice(request: str, findings: Sequence[Finding]) -> str:
    """The notice that ``request`` (``request 3``, ``POST 2``) was refused for ``findings``."""
    errors = sum(f.severity == "error" for f in findings)
    return f"{request} refused, not forwarded ({count(errors, 'error')})"


__all__ = ["REFUSED", "blocked_notice", "refusal"]
