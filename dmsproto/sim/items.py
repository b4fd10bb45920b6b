"""Reading request items defensively, and the error items answered for them.

The engine cannot trust a request to have passed validation, so every field
is checked where it is used; a problem becomes that item's error response
(:class:`ItemError`), never an exception out of the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..timestamps import parse_stamp
from .subscriptions import EventSink, Session

NOT_FOUND = "Data point doesn't exist"
TYPE_MISMATCH = "Data type doesn't match"
NOT_EMPTY = "Path is not empty"
NO_IDENTITY = "Identification required: send 'whois' with set, rename and delete"


class ItemError(Exception):
    """A request item fails: ``code`` (error, not found, no perm) and a message."""

    def __init__(self, message: str, code: str = "error") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Context:
    """One request being handled: its session, ``whois``, and where its events go.

    The session's authenticated user wins over ``whois`` (document 3.1.1).
    """

    session: Session
    whois: str | None
    sink: EventSink

    @property
    def trigger(self) -> str | None:
        user = self.session.user
        return user if user is not None else self.whois

    def writer(self) -> str:
        """The trigger of write commands; refuses unidentified writers."""
        trigger = self.trigger
        if trigger is None:
            raise ItemError(NO_IDENTITY)
        return trigger


def as_object(item: object, allowed: frozenset[str]) -> dict[str, Any]:
    """The item as an object without unknown members."""
    if not isinstance(item, dict):
        raise ItemError("Request item must be an object")
    for key in item:
        if key not in allowed:
            raise ItemError(f"Unknown field '{key}'")
    return item


def req_str(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    if value is None:
        raise ItemError(f"Missing field '{key}'")
    if not isinstance(value, str):
        raise ItemError(f"Field '{key}' must be a string")
    return value


def opt_bool(item: dict[str, Any], key: str) -> bool:
    value = item.get(key, False)
    if not isinstance(value, bool):
        raise ItemError(f"Field '{key}' must be a boolean")
    return value


def stamp_field(obj: dict[str, Any], key: str, default: datetime | None) -> datetime:
    """A request timestamp (``Z`` or offset required); ``default`` when absent."""
    raw = obj.get(key)
    if raw is None:
        if default is None:
            raise ItemError(f"Missing field '{key}'")
        return default
    if not isinstance(raw, str):
        raise ItemError(f"Field '{key}' must be a timestamp string")
    try:
        return parse_stamp(raw)
    except ValueError:
        raise ItemError(f"Invalid time stamp '{raw}' (ISO 8601 with Z or offset needed)") from None


def with_tag(out: dict[str, Any], tag: Any) -> dict[str, Any]:
    """``out`` with the request item's tag echoed (a null tag is no tag)."""
    if tag is not None:
        out["tag"] = tag
    return out


def error_item(item: object, message: str, code: str = "error") -> dict[str, Any]:
    """The response item for a failed request item: identifying members echoed."""
    out: dict[str, Any] = {"code": code}
    if isinstance(item, str):
        out["path"] = item
    elif isinstance(item, dict):
        for key in ("path", "newPath", "group"):
            if isinstance(item.get(key), str):
                out[key] = item[key]
    out["message"] = message
    return with_tag(out, item.get("tag") if isinstance(item, dict) else None)


def fatal_item(message: str) -> dict[str, Any]:
    """The item of a fatal error: no path, only code and message."""
    return {"code": "error", "message": message}
