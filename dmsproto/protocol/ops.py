"""Operations: one request item each (or several for ``GetMany``), and how to read its answer.

An operation holds the caller's arguments, independent of the protocol
version.  Given the connection's :class:`~._wire.Wire` it builds the version's
generated request struct(s) (``GetItem``, ``SetItem``, ...) and turns the
generated response structs that belong to it into a typed value.  ``command``
is the snake_case attribute of ``RequestFrame``/``ResponseFrame`` it uses.
Client methods wrap one operation; ``batch`` sends several in one request.
Decoding returns an ``ItemError`` instead of raising so bulk calls can report
per item.  Arguments a version does not know raise ``NotInVersionError``
before anything is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Unpack, cast

import msgspec
from msgspec import Struct

from ..declare import check_names, declared
from ..errors import EncodeError, NotInVersionError
from ..filters import QueryFilter
from ..results import (
    ChangelogEntry,
    ChangelogReadResult,
    DeleteResult,
    History,
    HistoryDetail,
    ItemError,
    Point,
    RenameResult,
    SetResult,
    SubscribeResult,
)
from ..versions import DEFAULT_VERSION
from . import _decode
from ._decode import opt
from ._wire import UNSET, Wire, wire_for
from .ranges import Stamp, encode_stamp, time_range


def _stamp_range(start: Stamp, end: Stamp | None) -> dict[str, Any]:
    """``start`` (and ``end`` when given) as request stamps, checked in order."""
    now = datetime.now(UTC)
    first, last = time_range(start, end, now)
    stamps = {"start": encode_stamp(first, "start")}
    if last is not None:
        stamps["end"] = encode_stamp(last, "end")
    return stamps


def _names(values: Iterable[str] | str, known: tuple[str, ...], what: str) -> list[str]:
    """Sorted, de-duplicated names (comma lists split), each checked against ``known``."""
    given = [values] if isinstance(values, str) else list(values)
    flat = sorted({t.strip() for n in given for t in n.split(",") if t.strip()})
    bad = [t for t in flat if t not in known]
    if bad:
        raise EncodeError(f"unknown {what} {bad}; known: {sorted(known)}")
    return flat


def _ext_list(ext_infos: Iterable[str] | None, wire: Wire) -> list[str] | msgspec.UnsetType:
    if ext_infos is None:
        return UNSET
    return _names(ext_infos, wire.ext_info_keys, "ext_infos")


def query_object(
    *, protocol: str | Wire = DEFAULT_VERSION, **filters: Unpack[QueryFilter]
) -> Any:
    """The version's ``Query`` struct for these filters; unset ones are left to the server.

    Args:
        protocol: the protocol version (or its ``Wire``).
        **filters: the filters of :class:`~dmsproto.filters.QueryFilter`; ``None`` is
            the same as not given.

    Returns:
        The version's generated ``Query`` struct.

    Raises:
        TypeError: an unknown filter.
        NotInVersionError: a filter the version lacks (``has_changelog`` exists from
            1.4 on, ``has_prot_data``, its 1.3 name, only in 1.3).
        EncodeError: a bad value (an unknown type name, a negative ``max_depth``).
    """
    wire = protocol if isinstance(protocol, Wire) else wire_for(protocol)
    check_names(QueryFilter, filters, "query_object()")
    known = declared(QueryFilter)
    members: dict[str, Any] = {}
    given: dict[str, Any] = dict(filters)
    for name, value in given.items():
        if value is None:
            continue
        option = known[name]
        if option.wire not in wire.query_fields:
            raise NotInVersionError(f"query option {name!r} is not part of protocol {wire.name}")
        problem = option.problem(value)
        if problem is not None:
            raise EncodeError(problem)
        if name == "types":
            value = ",".join(_names(value, wire.value_types, "types"))
        elif option.kind is bool:
            value = bool(value)
        members[option.wire] = value
    return wire.common.Query(**members)


QueryArg = QueryFilter | Mapping[str, Any] | msgspec.Struct
"""A query: filters as for ``Client.query``, the version's ``Query`` struct, or a
mapping with the struct's wire or attribute names (``{"regExPath": ".*", "maxDepth": 0}``)."""


def as_query(query: QueryArg, wire: Wire) -> Any:
    """The version's ``Query`` struct for a query given in any of the ``QueryArg`` forms.

    A mapping whose every key is a filter name is read as filters (``query_object``).
    """
    struct = wire.common.Query
    if isinstance(query, struct):
        return query
    if isinstance(query, Mapping) and query.keys() <= declared(QueryFilter).keys():
        return query_object(protocol=wire, **query)
    if isinstance(query, msgspec.Struct):
        query = msgspec.structs.asdict(query)
    if not isinstance(query, Mapping):
        raise EncodeError(f"query must be a mapping or a Query struct, got {query!r:.60}")
    names = wire.query_fields
    try:
        return msgspec.convert({names.get(k, k): v for k, v in query.items()}, struct)
    except msgspec.ValidationError as exc:
        raise EncodeError(f"bad query for protocol {wire.name}: {exc}") from None


def is_empty(struct: msgspec.Struct) -> bool:
    """Whether a request struct has no member set."""
    return all(v is UNSET for v in msgspec.structs.astuple(struct))


def event_spec(
    events: Iterable[str] | str | None, protocol: str | Wire = DEFAULT_VERSION
) -> str | None:
    """The ``event`` filter (comma list or ``*``); ``None`` keeps the default onChange."""
    if events is None:
        return None
    wire = protocol if isinstance(protocol, Wire) else wire_for(protocol)
    given = [events] if isinstance(events, str) else list(events)
    if any(t.strip() == "*" for n in given for t in n.split(",")):
        return "*"
    names = _names(given, wire.event_codes, "events")
    if not names:
        raise EncodeError(f"no events given; known: {sorted(wire.event_codes)} or '*'")
    return ",".join(names)


def _check_path(path: object) -> str:
    if not isinstance(path, str):
        raise EncodeError(f"path must be a string, got {path!r}")
    return path


def _tag(tag: Any) -> Any:
    return UNSET if tag is None else tag


def _one(items: list[Any], op: Op, wire: Wire) -> Any:
    """The single ok response item of ``op``, or an ``ItemError`` saying why not."""
    if not items:
        return ItemError(wire.error, getattr(op, "path", None), "no response item for this request")
    item = items[0]
    if item.code != wire.ok:
        return _decode.item_error(item, opt(item.tag))
    return item


class Op(Struct, frozen=True):
    """Base of all operations (see module docstring): frozen structs, cheap to make."""

    command: ClassVar[str]
    #: what the caller called, for messages (e.g. "changelog_read")
    what: ClassVar[str]
    #: True when one request item can yield any number of response items (a query).
    expands: ClassVar[bool] = False
    #: True when the request root must carry ``whois``/``user`` (write commands).
    writes: ClassVar[bool] = False

    def items(self, wire: Wire) -> list[Any]:
        """The request items (generated structs, or a bare path for the short get)."""
        raise NotImplementedError

    def decode(self, items: list[Any], wire: Wire) -> Any:
        """The typed result from this op's response items (generated structs)."""
        raise NotImplementedError


class Get(Op, frozen=True):
    """Read one datapoint -> ``Point``."""

    path: str
    ext_infos: Iterable[str] | None = None
    tag: Any = None
    command: ClassVar[str] = "get"
    what: ClassVar[str] = "get"

    def items(self, wire: Wire) -> list[Any]:
        _check_path(self.path)
        if self.ext_infos is None and self.tag is None:
            return [self.path]  # short form; wrapped into an object if mixed with others
        ext = _ext_list(self.ext_infos, wire)
        return [wire.request.GetItem(path=self.path, show_ext_infos=ext, tag=_tag(self.tag))]

    def decode(self, items: list[Any], wire: Wire) -> Point | ItemError:
        item = _one(items, self, wire)
        if isinstance(item, ItemError):
            return item
        return _decode.point(item)


class GetMany(Op, frozen=True):
    """Read many datapoints -> ``list[Point | ItemError]`` in order."""

    paths: tuple[str, ...]
    ext_infos: Iterable[str] | None = None
    command: ClassVar[str] = "get"
    what: ClassVar[str] = "get_many"

    def items(self, wire: Wire) -> list[Any]:
        for p in self.paths:
            _check_path(p)
        if self.ext_infos is None:
            return list(self.paths)
        ext = _ext_list(self.ext_infos, wire)
        make = wire.request.GetItem
        return [make(path=p, show_ext_infos=ext) for p in self.paths]

    def decode(self, items: list[Any], wire: Wire) -> list[Point | ItemError]:
        return _decode.points(items, wire.ok)


class Query(Op, frozen=True):
    """Search below ``path`` -> ``list[Point]`` (every match; many response items).

    ``query``: filters as for ``Client.query`` (``{"regex_path": ".*", "max_depth": 0}``),
    the version's ``Query`` struct (see ``query_object``), or a mapping with the struct's
    wire or attribute names (``{"regExPath": ".*", "maxDepth": 0}``).
    """

    path: str
    query: QueryArg
    ext_infos: Iterable[str] | None = None
    tag: Any = None
    command: ClassVar[str] = "get"
    what: ClassVar[str] = "query"
    expands: ClassVar[bool] = True

    def items(self, wire: Wire) -> list[Any]:
        _check_path(self.path)
        return [
            wire.request.GetItem(
                path=self.path,
                query=as_query(self.query, wire),
                show_ext_infos=_ext_list(self.ext_infos, wire),
                tag=_tag(self.tag),
            )
        ]

    def decode(self, items: list[Any], wire: Wire) -> list[Point] | ItemError:
        ok = wire.ok
        for item in items:
            if item.code != ok:
                return _decode.item_error(item, opt(item.tag))
        return cast(list[Point], _decode.points(items))


class ReadHistory(Op, frozen=True):
    """Read recorded history -> ``History`` (compact) or ``HistoryDetail`` (detail).

    ``start``/``end``: an aware ``datetime``, a ``timedelta`` from now or zoned ISO 8601
    text (see :mod:`.ranges`); anything else, or ``end`` before ``start``, raises
    ``EncodeError``.  One operation is one request: ``Client.history`` splits long
    ranges, a ``batch`` does not.  ``show_past`` (v1.5) also reads ``histDataPast``
    into ``.past``; ``show_original`` (v1.5) adds ``value_original`` to modified
    detail entries.
    """

    path: str
    start: Stamp
    end: Stamp | None = None
    interval: int | float | None = None
    format: Literal["compact", "detail"] = "compact"
    tag: Any = None
    show_past: bool = False
    show_original: bool = False
    command: ClassVar[str] = "get"
    what: ClassVar[str] = "history"

    def items(self, wire: Wire) -> list[Any]:
        _check_path(self.path)
        if self.format not in wire.hist_formats:
            raise EncodeError(f"format must be one of {wire.hist_formats}, got {self.format!r}")
        hist: dict[str, Any] = _stamp_range(self.start, self.end)
        if self.interval is not None:
            interval = self.interval
            if isinstance(interval, bool) or not isinstance(interval, int | float) or (
                interval < 0
            ):
                raise EncodeError(f"interval must be seconds >= 0, got {interval!r}")
            if isinstance(interval, float) and not interval.is_integer():
                raise EncodeError(f"interval must be whole seconds, got {interval!r}")
            hist["interval"] = int(interval)
        if self.format != wire.compact:
            hist["format"] = self.format
        for name in ("show_past", "show_original"):
            if getattr(self, name):
                if name not in wire.hist_fields:
                    raise NotInVersionError(
                        f"history({name}=True) is not part of protocol {wire.name} "
                        "(it needs 1.5)"
                    )
                hist[name] = True
        request = wire.common.HistDataRequest(**hist)
        return [wire.request.GetItem(path=self.path, hist_data=request, tag=_tag(self.tag))]

    def decode(self, items: list[Any], wire: Wire) -> History | HistoryDetail | ItemError:
        item = _one(items, self, wire)
        if isinstance(item, ItemError):
            return item
        return _decode.history_result(item, self.path, self.format != wire.compact)


class ReadChangelog(Op, frozen=True):
    """Read a datapoint's changelog -> ``list[ChangelogEntry]`` (protocol >= 1.4)."""

    path: str
    start: Stamp
    end: Stamp | None = None
    tag: Any = None
    command: ClassVar[str] = "get"
    what: ClassVar[str] = "changelog"

    def items(self, wire: Wire) -> list[Any]:
        _check_path(self.path)
        make = wire.type_of(wire.common, "ChangelogRequest", "changelog (get with changelog)")
        request = make(**_stamp_range(self.start, self.end))
        return [wire.request.GetItem(path=self.path, changelog=request, tag=_tag(self.tag))]

    def decode(self, items: list[Any], wire: Wire) -> list[ChangelogEntry] | ItemError:
        item = _one(items, self, wire)
        if isinstance(item, ItemError):
            return item
        return _decode.changelog(getattr(item, "changelog", UNSET))


_VALUE_TYPES = (int, float, str, bool)


class Set(Op, frozen=True):
    """Write a value -> ``SetResult``; ``create`` makes the datapoint if missing."""

    path: str
    value: Any
    type: Literal["int", "double", "string", "bool"] | None = None
    create: bool = False
    stamp: Stamp | None = None
    tag: Any = None
    command: ClassVar[str] = "set"
    what: ClassVar[str] = "set"
    writes: ClassVar[bool] = True

    def items(self, wire: Wire) -> list[Any]:
        _check_path(self.path)
        if self.value is not None and not isinstance(self.value, _VALUE_TYPES):
            raise EncodeError(f"value must be int, float, str, bool or None, got {self.value!r}")
        if self.type is not None and self.type not in wire.set_types:
            raise EncodeError(f"type must be one of {sorted(wire.set_types)}, got {self.type!r}")
        return [
            wire.request.SetItem(
                path=self.path,
                value=self.value,
                type=UNSET if self.type is None else self.type,
                create=True if self.create else UNSET,
                stamp=UNSET if self.stamp is None else encode_stamp(self.stamp),
                tag=_tag(self.tag),
            )
        ]

    def decode(self, items: list[Any], wire: Wire) -> SetResult | ItemError:
        item = _one(items, self, wire)
        if isinstance(item, ItemError):
            return item
        return SetResult(
            opt(item.path) or self.path,
            opt(item.value),
            opt(item.type),
            opt(item.stamp),
            opt(item.tag),
        )


class Rename(Op, frozen=True):
    """Rename a datapoint (and its children) -> ``RenameResult``."""

    path: str
    new_path: str
    tag: Any = None
    command: ClassVar[str] = "rename"
    what: ClassVar[str] = "rename"
    writes: ClassVar[bool] = True

    def items(self, wire: Wire) -> list[Any]:
        _check_path(self.path)
        _check_path(self.new_path)
        return [wire.request.RenameItem(path=self.path, new_path=self.new_path,
                                        tag=_tag(self.tag))]

    def decode(self, items: list[Any], wire: Wire) -> RenameResult | ItemError:
        item = _one(items, self, wire)
        if isinstance(item, ItemError):
            return item
        return RenameResult(
            opt(item.path) or self.path, opt(item.new_path) or self.new_path, opt(item.tag)
        )


class Delete(Op, frozen=True):
    """Delete a datapoint; a node with children needs ``recursive`` -> ``DeleteResult``."""

    path: str
    recursive: bool = False
    tag: Any = None
    command: ClassVar[str] = "delete"
    what: ClassVar[str] = "delete"
    writes: ClassVar[bool] = True

    def items(self, wire: Wire) -> list[Any]:
        _check_path(self.path)
        return [wire.request.DeleteItem(path=self.path,
                                        recursive=True if self.recursive else UNSET,
                                        tag=_tag(self.tag))]

    def decode(self, items: list[Any], wire: Wire) -> DeleteResult | ItemError:
        item = _one(items, self, wire)
        if isinstance(item, ItemError):
            return item
        return DeleteResult(opt(item.path) or self.path, opt(item.tag))


class ChangelogGroups(Op, frozen=True):
    """List the changelog groups -> ``list[str]`` (items carry no tag: root-tag correlated)."""

    command: ClassVar[str] = "changelog_get_groups"
    what: ClassVar[str] = "changelog_groups"
    expands: ClassVar[bool] = True

    def items(self, wire: Wire) -> list[Any]:
        return []

    def decode(self, items: list[Any], wire: Wire) -> list[str] | ItemError:
        groups: list[str] = []
        for item in items:
            if item.code != wire.ok:
                return _decode.item_error(item)
            groups.extend(opt(item.groups) or [])
        return groups


class ChangelogRead(Op, frozen=True):
    """Read a changelog group -> ``ChangelogReadResult`` (protocol >= 1.4)."""

    group: str
    start: Stamp
    end: Stamp | None = None
    tag: Any = None
    command: ClassVar[str] = "changelog_read"
    what: ClassVar[str] = "changelog_read"

    def items(self, wire: Wire) -> list[Any]:
        if not isinstance(self.group, str):
            raise EncodeError(f"group must be a string, got {self.group!r}")
        make = wire.type_of(wire.request, "ChangelogReadItem", "changelog_read")
        return [make(group=self.group, **_stamp_range(self.start, self.end), tag=_tag(self.tag))]

    def decode(self, items: list[Any], wire: Wire) -> ChangelogReadResult | ItemError:
        item = _one(items, self, wire)
        if isinstance(item, ItemError):
            return item
        entries = _decode.changelog(item.changelog)
        return ChangelogReadResult(opt(item.group) or self.group, entries, opt(item.tag))


def _subscribe_result(item: Any, path: str) -> SubscribeResult:
    return SubscribeResult(
        opt(item.path) or path,
        opt(item.value),
        opt(item.type),
        opt(item.stamp),
        opt(item.query),
        opt(item.tag),
    )


class Subscribe(Op, frozen=True):
    """Subscribe (used by the client's subscription registry) -> ``SubscribeResult``.

    ``query`` is given as for ``Query`` (filters, struct or mapping), or ``None``.
    """

    path: str
    tag: Any
    event: str | None = None
    query: QueryArg | None = None
    command: ClassVar[str] = "subscribe"
    what: ClassVar[str] = "subscribe"

    def items(self, wire: Wire) -> list[Any]:
        _check_path(self.path)
        query = UNSET if self.query is None else as_query(self.query, wire)
        if query is not UNSET and is_empty(query):
            query = UNSET
        return [
            wire.request.SubscribeItem(
                path=self.path,
                query=query,
                event=UNSET if self.event is None else self.event,
                tag=_tag(self.tag),
            )
        ]

    def decode(self, items: list[Any], wire: Wire) -> SubscribeResult | ItemError:
        item = _one(items, self, wire)
        if isinstance(item, ItemError):
            return item
        return _subscribe_result(item, self.path)


class Unsubscribe(Op, frozen=True):
    """Cancel a subscription made with the same path and tag -> ``SubscribeResult``."""

    path: str
    tag: Any
    command: ClassVar[str] = "unsubscribe"
    what: ClassVar[str] = "unsubscribe"

    def items(self, wire: Wire) -> list[Any]:
        return [wire.request.UnsubscribeItem(path=self.path, tag=_tag(self.tag))]

    def decode(self, items: list[Any], wire: Wire) -> SubscribeResult | ItemError:
        item = _one(items, self, wire)
        if isinstance(item, ItemError):
            return item
        return _subscribe_result(item, self.path)


__all__ = [
    "ChangelogGroups",
    "ChangelogRead",
    "Delete",
    "Get",
    "GetMany",
    "Op",
    "Query",
    "QueryArg",
    "ReadChangelog",
    "ReadHistory",
    "Rename",
    "Set",
    "Stamp",
    "Subscribe",
    "Unsubscribe",
    "as_query",
    "encode_stamp",
    "event_spec",
    "is_empty",
    "query_object",
]
