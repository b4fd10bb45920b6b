"""Request items as the handlers see them, and the error items answered for them.

Handlers receive the version's generated request structs (see :mod:`.wire`):
members were checked by the validator and by the conversion, so a handler
checks only meaning (a path exists, a stamp parses, a regex compiles). A
problem becomes that item's error response (:class:`ItemRefused`), never an
exception out of the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..timestamps import parse_stamp
from .subscriptions import EventSink, Session
from .wire import ERROR, UNSET, Command

NOT_FOUND = "Data point doesn't exist"
TYPE_MISMATCH = "Data type doesn't match"
NOT_EMPTY = "Path is not empty"
NO_IDENTITY = "Identification required: send 'whois' with set, rename and delete"


class ItemRefused(Exception):
    """A request item fails: ``code`` (error, not found, no perm) and a message."""

    def __init__(self, message: str, code: str = ERROR) -> None:
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
            raise ItemRefused(NO_IDENTITY)
        return trigger


def stamp_field(raw: Any, default: datetime | None, name: str = "start") -> datetime:
    """A request timestamp (``Z`` or offset required); ``default`` when absent."""
    if raw is UNSET or raw is None:
        if default is None:
            raise ItemRefused(f"Missing field '{name}'")
        return default
    try:
        return parse_stamp(raw)
    except ValueError:
        raise ItemRefused(
            f"Invalid time stamp '{raw}' (ISO 8601 with Z or offset needed)"
        ) from None


def tag_of(item: Any) -> Any:
    """The item's tag for echoing: absent and null are no tag."""
    tag = item.tag
    return None if tag is UNSET else tag


def tagged(tag: Any) -> dict[str, Any]:
    """``{"tag": tag}`` as constructor keywords, or nothing for no tag."""
    return {} if tag is None or tag is UNSET else {"tag": tag}


def error_item(command: Command, item: object, message: str, code: str = ERROR) -> Any:
    """The response item for a failed request item: identifying members echoed."""
    echo: dict[str, Any] = {}
    if isinstance(item, str):
        if "path" in command.result.__struct_fields__:
            echo["path"] = item
    elif isinstance(item, dict):
        for attr, name in command.echo:
            if isinstance(item.get(name), str):
                echo[attr] = item[name]
        echo.update(tagged(item.get(command.tag)))
    return command.result(code=code, message=message, **echo)


def fatal_item(command: Command, message: str) -> Any:
    """The item of a fatal error: no path, only code and message."""
    return command.result(code=ERROR, message=message)
