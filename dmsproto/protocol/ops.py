"""Operations: one request item each (or several for ``GetMany``), and how to read its answer.

An operation knows its command key, the request item(s) it contributes and how
to turn the response items that belong to it into a typed value.  Client
methods wrap one operation; ``batch`` sends several in one request.  Decoding
returns an ``ItemError`` instead of raising so bulk calls can report per item.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal

from ..errors import EncodeError
from ..results import (
    ChangelogEntry,
    ChangelogReadResult,
    DeleteResult,
    History,
    HistoryDetailEntry,
    ItemError,
    Point,
    RenameResult,
    SetResult,
    SubscribeResult,
)
from ..timestamps import format_stamp
from . import _decode

Stamp = datetime | str
"""A timestamp argument: an aware ``datetime`` or ISO 8601 text with a zone."""

EXT_INFOS = frozenset({"state", "accType", "name", "template", "unit", "comment", "changelogGroup"})
EVENT_CODES = frozenset({"onChange", "onSet", "onCreate", "onRename", "onDelete"})
SET_TYPES = frozenset({"int", "double", "string", "bool"})
QUERY_TYPES = frozenset({"none", "bool", "int", "double", "string"})


def encode_stamp(value: Stamp, what: str = "stamp") -> str:
    """A request timestamp: datetimes formatted (naive ones refused), text passed through."""
    if isinstance(value, datetime):
        return format_stamp(value)
    if isinstance(value, str) and value:
        return value
    raise EncodeError(f"{what} must be an aware datetime or ISO 8601 text, got {value!r}")


def _ext_list(ext_infos: Iterable[str] | None) -> list[str] | None:
    if ext_infos is None:
        return None
    if isinstance(ext_infos, str):
        ext_infos = [ext_infos]
    names = sorted(set(ext_infos))
    bad = [n for n in names if n not in EXT_INFOS]
    if bad:
        raise EncodeError(f"unknown extInfos {bad}; known: {sorted(EXT_INFOS)}")
    return names


def query_object(
    *,
    regex_path: str | None = None,
    regex_value: str | None = None,
    regex_stamp: str | None = None,
    types: Iterable[str] | str | None = None,
    has_hist_data: bool | None = None,
    has_changelog: bool | None = None,
    has_alarm_data: bool | None = None,
    max_depth: int | None = None,
) -> dict[str, Any]:
    """The wire ``query`` object; unset parameters are left to the server's defaults."""
    q: dict[str, Any] = {}
    if regex_path is not None:
        q["regExPath"] = regex_path
    if regex_value is not None:
        q["regExValue"] = regex_value
    if regex_stamp is not None:
        q["regExStamp"] = regex_stamp
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        flat = [t.strip() for n in names for t in n.split(",") if t.strip()]
        bad = [t for t in flat if t not in QUERY_TYPES]
        if bad:
            raise EncodeError(f"unknown isType {bad}; known: {sorted(QUERY_TYPES)}")
        q["isType"] = ",".join(flat)
    if has_hist_data is not None:
        q["hasHistData"] = bool(has_hist_data)
    if has_changelog is not None:
        q["hasChangelog"] = bool(has_changelog)
    if has_alarm_data is not None:
        q["hasAlarmData"] = bool(has_alarm_data)
    if max_depth is not None:
        if isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 0:
            raise EncodeError(f"max_depth must be an int >= 0 (0 = unlimited), got {max_depth!r}")
        q["maxDepth"] = max_depth
    return q


def event_spec(events: Iterable[str] | str | None) -> str | None:
    """The wire ``event`` string (comma list or ``*``); ``None`` keeps the default onChange."""
    if events is None:
        return None
    names = [events] if isinstance(events, str) else sorted(set(events))
    flat = [t.strip() for n in names for t in n.split(",") if t.strip()]
    if "*" in flat:
        return "*"
    bad = [t for t in flat if t not in EVENT_CODES]
    if bad or not flat:
        raise EncodeError(f"unknown events {bad or flat}; known: {sorted(EVENT_CODES)} or '*'")
    return ",".join(flat)


def _check_path(path: object) -> str:
    if not isinstance(path, str):
        raise EncodeError(f"path must be a string, got {path!r}")
    return path


def _one(items: list[Any], op: Op) -> dict[str, Any] | ItemError:
    """The single response item of ``op``, or an ``ItemError`` saying why not."""
    if not items:
        return ItemError("error", getattr(op, "path", None), "no response item for this request")
    item = items[0]
    if type(item) is not dict:
        return ItemError("error", None, f"malformed response item: {item!r:.80}", None, item)
    if item.get("code") != "ok":
        return ItemError.from_wire(item, item.get("tag"))
    return item


class Op:
    """Base of all operations (see module docstring)."""

    __slots__ = ()
    command: ClassVar[str]
    #: True when one request item can yield any number of response items (a query).
    expands: ClassVar[bool] = False
    #: True when the request root must carry ``whois``/``user`` (write commands).
    writes: ClassVar[bool] = False

    def items(self) -> list[Any]:
        raise NotImplementedError

    def decode(self, items: list[Any]) -> Any:
        raise NotImplementedError


def _item(path: str, tag: Any, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"path": path}
    for k, v in extra.items():
        if v is not None:
            item[k] = v
    if tag is not None:
        item["tag"] = tag
    return item


@dataclass(frozen=True, slots=True)
class Get(Op):
    """Read one datapoint -> ``Point``."""

    path: str
    ext_infos: Iterable[str] | None = None
    tag: Any = None
    command: ClassVar[str] = "get"

    def items(self) -> list[Any]:
        _check_path(self.path)
        if self.ext_infos is None and self.tag is None:
            return [self.path]  # short form; wrapped into an object if mixed with others
        return [_item(self.path, self.tag, showExtInfos=_ext_list(self.ext_infos))]

    def decode(self, items: list[Any]) -> Point | ItemError:
        item = _one(items, self)
        if isinstance(item, ItemError):
            return item
        return _decode.point(item)


@dataclass(frozen=True, slots=True)
class GetMany(Op):
    """Read many datapoints -> ``list[Point | ItemError]`` in order."""

    paths: tuple[str, ...]
    ext_infos: Iterable[str] | None = None
    command: ClassVar[str] = "get"

    def items(self) -> list[Any]:
        for p in self.paths:
            _check_path(p)
        if self.ext_infos is None:
            return list(self.paths)
        ext = _ext_list(self.ext_infos)
        return [{"path": p, "showExtInfos": ext} for p in self.paths]

    def decode(self, items: list[Any]) -> list[Point | ItemError]:
        return _decode.points(items)


@dataclass(frozen=True, slots=True)
class Query(Op):
    """Search below ``path`` -> ``list[Point]`` (every match; many response items)."""

    path: str
    query: Mapping[str, Any]
    ext_infos: Iterable[str] | None = None
    tag: Any = None
    command: ClassVar[str] = "get"
    expands: ClassVar[bool] = True

    def items(self) -> list[Any]:
        _check_path(self.path)
        return [
            _item(
                self.path,
                self.tag,
                query=dict(self.query),
                showExtInfos=_ext_list(self.ext_infos),
            )
        ]

    def decode(self, items: list[Any]) -> list[Point] | ItemError:
        out: list[Point] = []
        for item in items:
            if type(item) is not dict:
                return ItemError("error", None, f"malformed response item: {item!r:.80}", None)
            if item.get("code") != "ok":
                return ItemError.from_wire(item, item.get("tag"))
            out.append(_decode.point(item))
        return out


@dataclass(frozen=True, slots=True)
class ReadHistory(Op):
    """Read recorded history -> ``History`` (compact) or ``list[HistoryDetailEntry]``."""

    path: str
    start: Stamp
    end: Stamp | None = None
    interval: int | float | None = None
    format: Literal["compact", "detail"] = "compact"
    tag: Any = None
    command: ClassVar[str] = "get"

    def items(self) -> list[Any]:
        _check_path(self.path)
        if self.format not in ("compact", "detail"):
            raise EncodeError(f"format must be 'compact' or 'detail', got {self.format!r}")
        hist: dict[str, Any] = {"start": encode_stamp(self.start, "start")}
        if self.end is not None:
            hist["end"] = encode_stamp(self.end, "end")
        if self.interval is not None:
            if isinstance(self.interval, bool) or self.interval < 0:
                raise EncodeError(f"interval must be seconds >= 0, got {self.interval!r}")
            hist["interval"] = self.interval
        if self.format != "compact":
            hist["format"] = self.format
        return [_item(self.path, self.tag, histData=hist)]

    def decode(self, items: list[Any]) -> History | list[HistoryDetailEntry] | ItemError:
        item = _one(items, self)
        if isinstance(item, ItemError):
            return item
        data = item.get("histData") or []
        if self.format == "detail":
            return [HistoryDetailEntry.from_wire(e) for e in data]
        return History.from_wire(item.get("path", self.path), data)


@dataclass(frozen=True, slots=True)
class ReadChangelog(Op):
    """Read a datapoint's changelog -> ``list[ChangelogEntry]``."""

    path: str
    start: Stamp
    end: Stamp | None = None
    tag: Any = None
    command: ClassVar[str] = "get"

    def items(self) -> list[Any]:
        _check_path(self.path)
        log: dict[str, Any] = {"start": encode_stamp(self.start, "start")}
        if self.end is not None:
            log["end"] = encode_stamp(self.end, "end")
        return [_item(self.path, self.tag, changelog=log)]

    def decode(self, items: list[Any]) -> list[ChangelogEntry] | ItemError:
        item = _one(items, self)
        if isinstance(item, ItemError):
            return item
        return [ChangelogEntry.from_wire(e) for e in item.get("changelog") or []]


_VALUE_TYPES = (int, float, str, bool)


@dataclass(frozen=True, slots=True)
class Set(Op):
    """Write a value -> ``SetResult``; ``create`` makes the datapoint if missing."""

    path: str
    value: Any
    type: Literal["int", "double", "string", "bool"] | None = None
    create: bool = False
    stamp: Stamp | None = None
    tag: Any = None
    command: ClassVar[str] = "set"
    writes: ClassVar[bool] = True

    def items(self) -> list[Any]:
        _check_path(self.path)
        if self.value is not None and not isinstance(self.value, _VALUE_TYPES):
            raise EncodeError(f"value must be int, float, str, bool or None, got {self.value!r}")
        if self.type is not None and self.type not in SET_TYPES:
            raise EncodeError(f"type must be one of {sorted(SET_TYPES)}, got {self.type!r}")
        item: dict[str, Any] = {"path": self.path, "value": self.value}
        if self.type is not None:
            item["type"] = self.type
        if self.create:
            item["create"] = True
        if self.stamp is not None:
            item["stamp"] = encode_stamp(self.stamp)
        if self.tag is not None:
            item["tag"] = self.tag
        return [item]

    def decode(self, items: list[Any]) -> SetResult | ItemError:
        item = _one(items, self)
        if isinstance(item, ItemError):
            return item
        g = item.get
        return SetResult(g("path", self.path), g("value"), g("type"), g("stamp"), g("tag"))


@dataclass(frozen=True, slots=True)
class Rename(Op):
    """Rename a datapoint (and its children) -> ``RenameResult``."""

    path: str
    new_path: str
    tag: Any = None
    command: ClassVar[str] = "rename"
    writes: ClassVar[bool] = True

    def items(self) -> list[Any]:
        _check_path(self.path)
        _check_path(self.new_path)
        return [_item(self.path, self.tag, newPath=self.new_path)]

    def decode(self, items: list[Any]) -> RenameResult | ItemError:
        item = _one(items, self)
        if isinstance(item, ItemError):
            return item
        g = item.get
        return RenameResult(g("path", self.path), g("newPath", self.new_path), g("tag"))


@dataclass(frozen=True, slots=True)
class Delete(Op):
    """Delete a datapoint; a node with children needs ``recursive`` -> ``DeleteResult``."""

    path: str
    recursive: bool = False
    tag: Any = None
    command: ClassVar[str] = "delete"
    writes: ClassVar[bool] = True

    def items(self) -> list[Any]:
        _check_path(self.path)
        return [_item(self.path, self.tag, recursive=True if self.recursive else None)]

    def decode(self, items: list[Any]) -> DeleteResult | ItemError:
        item = _one(items, self)
        if isinstance(item, ItemError):
            return item
        return DeleteResult(item.get("path", self.path), item.get("tag"))


@dataclass(frozen=True, slots=True)
class ChangelogGroups(Op):
    """List the changelog groups -> ``list[str]`` (items carry no tag: root-tag correlated)."""

    command: ClassVar[str] = "changelogGetGroups"
    expands: ClassVar[bool] = True

    def items(self) -> list[Any]:
        return []

    def decode(self, items: list[Any]) -> list[str] | ItemError:
        groups: list[str] = []
        for item in items:
            if type(item) is not dict:
                return ItemError("error", None, f"malformed response item: {item!r:.80}", None)
            if item.get("code") != "ok":
                return ItemError.from_wire(item)
            groups.extend(item.get("groups") or [])
        return groups


@dataclass(frozen=True, slots=True)
class ChangelogRead(Op):
    """Read a changelog group -> ``ChangelogReadResult``."""

    group: str
    start: Stamp
    end: Stamp | None = None
    tag: Any = None
    command: ClassVar[str] = "changelogRead"

    def items(self) -> list[Any]:
        if not isinstance(self.group, str):
            raise EncodeError(f"group must be a string, got {self.group!r}")
        item: dict[str, Any] = {"group": self.group, "start": encode_stamp(self.start, "start")}
        if self.end is not None:
            item["end"] = encode_stamp(self.end, "end")
        if self.tag is not None:
            item["tag"] = self.tag
        return [item]

    def decode(self, items: list[Any]) -> ChangelogReadResult | ItemError:
        item = _one(items, self)
        if isinstance(item, ItemError):
            return item
        entries = [ChangelogEntry.from_wire(e) for e in item.get("changelog") or []]
        return ChangelogReadResult(item.get("group", self.group), entries, item.get("tag"))


def _subscribe_result(item: dict[str, Any], path: str) -> SubscribeResult:
    g = item.get
    return SubscribeResult(g("path", path), g("value"), g("type"), g("stamp"), g("query"), g("tag"))


@dataclass(frozen=True, slots=True)
class Subscribe(Op):
    """Subscribe (used by the client's subscription registry) -> ``SubscribeResult``."""

    path: str
    tag: Any
    event: str | None = None
    query: Mapping[str, Any] | None = None
    command: ClassVar[str] = "subscribe"

    def items(self) -> list[Any]:
        item: dict[str, Any] = {"path": self.path}
        if self.query:
            item["query"] = dict(self.query)
        if self.event is not None:
            item["event"] = self.event
        item["tag"] = self.tag
        return [item]

    def decode(self, items: list[Any]) -> SubscribeResult | ItemError:
        item = _one(items, self)
        if isinstance(item, ItemError):
            return item
        return _subscribe_result(item, self.path)


@dataclass(frozen=True, slots=True)
class Unsubscribe(Op):
    """Cancel a subscription made with the same path and tag -> ``SubscribeResult``."""

    path: str
    tag: Any
    command: ClassVar[str] = "unsubscribe"

    def items(self) -> list[Any]:
        return [{"path": self.path, "tag": self.tag}]

    def decode(self, items: list[Any]) -> SubscribeResult | ItemError:
        item = _one(items, self)
        if isinstance(item, ItemError):
            return item
        return _subscribe_result(item, self.path)


__all__ = [
    "EVENT_CODES",
    "EXT_INFOS",
    "ChangelogGroups",
    "ChangelogRead",
    "Delete",
    "Get",
    "GetMany",
    "Op",
    "Query",
    "ReadChangelog",
    "ReadHistory",
    "Rename",
    "Set",
    "Stamp",
    "Subscribe",
    "Unsubscribe",
    "encode_stamp",
    "event_spec",
    "query_object",
]
