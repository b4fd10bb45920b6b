"""Request items as the handlers see them, and the error items answered for them.

Handlers receive the version's generated request structs (see :mod:`.wire`):
members were checked by the validator and by the conversion, so a handler
checks only meaning (a path exists, a stamp parses, a regex compiles). A
problem becomes that item's error response (:class:`ItemRefused`), never an
exception out of the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .limits import MAX_ANSWER_ENTRIES, MAX_ANSWER_ITEMS
from .messages import MISSING_FIELD, NO_IDENTITY, invalid_stamp, too_many
from .stamps import parse_request_stamp
from .subscriptions import EventSink, Session
from .wire import ERROR, UNSET, Command


class ItemRefused(Exception):
    """A request item fails: ``code`` (error, not found, no perm) and a message."""

    def __init__(self, message: str, code: str = ERROR) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class AnswerTooLarge(Exception):
    """One request's answer would pass a :class:`Budget` limit; the text says which."""


@dataclass
class Budget:
    """What is left of one request's answer: response items and history/log entries.

    The limits are ``MAX_ANSWER_ITEMS`` and ``MAX_ANSWER_ENTRIES`` of
    ``dmsproto.sim.limits``.
    """

    items: int = MAX_ANSWER_ITEMS
    entries: int = MAX_ANSWER_ENTRIES
    item_limit: int = field(init=False)
    entry_limit: int = field(init=False)

    def __post_init__(self) -> None:
        self.item_limit, self.entry_limit = self.items, self.entries

    def check_items(self) -> None:
        """Raise :class:`AnswerTooLarge` when no response item is left."""
        if self.items <= 0:
            raise AnswerTooLarge(too_many("response items", self.item_limit))

    def take_items(self, count: int) -> None:
        """Use ``count`` response items; raises :class:`AnswerTooLarge` past the limit."""
        self.items -= count
        if self.items < 0:
            self.items = 0
            raise AnswerTooLarge(too_many("response items", self.item_limit))

    def take_entries(self, count: int) -> None:
        """Use ``count`` entries; raises :class:`AnswerTooLarge` past the limit."""
        self.entries -= count
        if self.entries < 0:
            self.entries = 0
            raise AnswerTooLarge(too_many("history and change-log entries",
                                          self.entry_limit))


@dataclass(frozen=True)
class Context:
    """One request being handled.

    It holds the request's session, its ``whois``, where its events go, and what is
    left of its answer.

    The trigger of its writes is the request's ``whois`` (3.6.4: "the whois field from
    the request"); on an authenticated connection ``whois`` is optional and the
    authenticated user name stands in when it is absent (3.1.1).
    """

    session: Session
    whois: str | None
    sink: EventSink
    budget: Budget = field(default_factory=Budget)

    @property
    def trigger(self) -> str | None:
        """Who writes: the request's ``whois``, else the authenticated user, else ``None``."""
        return self.whois if self.whois is not None else self.session.user

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
            raise ItemRefused(MISSING_FIELD.format(name))
        return default
    try:
        return parse_request_stamp(raw)
    except ValueError:
        raise ItemRefused(invalid_stamp(raw)) from None


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
