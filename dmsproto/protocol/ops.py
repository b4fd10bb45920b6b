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

import math
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
from .ranges import Stamp, check_interval, encode_stamp, time_range


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

    Args:
        query: the query (see ``QueryArg``).
        wire: the protocol version's generated types and names.

    Returns:
        The version's generated ``Query`` struct.

    Raises:
        EncodeError: neither a mapping nor a ``Query`` struct, or a member the
            version's struct does not take.
        NotInVersionError: a filter the version lacks.
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
    """Whether a request struct has no member set.

    Args:
        struct: a generated request struct.

    Returns:
        ``True`` when every member is unset.
    """
    return all(v is UNSET for v in msgspec.structs.astuple(struct))


def event_spec(
    events: Iterable[str] | str | None, protocol: str | Wire = DEFAULT_VERSION
) -> str | None:
    """The ``event`` filter of a subscription, checked against the version's event codes.

    Args:
        events: event codes (``onChange``, ``onSet``, ...) as names or one comma list;
            ``*`` for every event.
        protocol: the protocol version (or its ``Wire``) whose event codes apply.

    Returns:
        The codes sorted into one comma list, ``*``, or ``None`` (nothing given: the
        DMS's default, ``onChange``).

    Raises:
        EncodeError: an event code the version does not know, or an empty list.
    """
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
    """Base of all operations: one caller's request, independent of the protocol version.

    ``Client.batch`` takes a list of operations; the client core sends their items in
    one request and hands each operation its own response items to decode.

    Attributes:
        command: the snake_case attribute of the version's ``RequestFrame`` and
            ``ResponseFrame`` the operation uses (``get``, ``set``, ...).
        what: what the caller called, for messages (``changelog_read``).
        expands: whether one request item can be answered by any number of
            response items (a query).
        writes: whether the request must carry ``whois``/``user`` (write commands).
    """

    command: ClassVar[str]
    what: ClassVar[str]
    expands: ClassVar[bool] = False
    writes: ClassVar[bool] = False

    def items(self, wire: Wire) -> list[Any]:
        """The request items of this operation, for one protocol version.

        Args:
            wire: the protocol version's generated types and names.

        Returns:
            The version's generated request structs (or a bare path, the short form
            of a plain ``get``).

        Raises:
            EncodeError: an argument the request cannot carry (a path that is not
                text, a bad value or range).
            NotInVersionError: an argument or command the version does not have.
        """
        raise NotImplementedError

    def decode(self, items: list[Any], wire: Wire) -> Any:
        """The typed result of this operation from its response items.

        Args:
            items: the generated response structs that answer this operation.
            wire: the protocol version's generated types and names.

        Returns:
            The typed result (``Point``, ``SetResult``, ...), or an ``ItemError``
            when the DMS refused the item: decoding does not raise, so a batch
            can report per item.
        """
        raise NotImplementedError


class Get(Op, frozen=True):
    """Read one datapoint -> ``Point``.

    Attributes:
        path: the datapoint's path.
        ext_infos: names of extra information to read (``unit``, ``comment``, ...;
            the version's ``ExtInfoKey`` enumeration).
        tag: a JSON value the DMS echoes in ``Point.tag``.
    """

    path: str
    ext_infos: Iterable[str] | None = None
    tag: Any = None
    command: ClassVar[str] = "get"
    what: ClassVar[str] = "get"

    def items(self, wire: Wire) -> list[Any]:
        """The bare path (the short form) unless ``ext_infos`` or ``tag`` needs an object."""
        _check_path(self.path)
        if self.ext_infos is None and self.tag is None:
            return [self.path]  # short form; wrapped into an object if mixed with others
        ext = _ext_list(self.ext_infos, wire)
        return [wire.request.GetItem(path=self.path, show_ext_infos=ext, tag=_tag(self.tag))]

    def decode(self, items: list[Any], wire: Wire) -> Point | ItemError:
        """The ``Point`` read, or the ``ItemError`` the DMS answered."""
        item = _one(items, self, wire)
        if isinstance(item, ItemError):
            return item
        return _decode.point(item)


def path_list(paths: Iterable[str]) -> tuple[str, ...]:
    """``paths`` as a tuple; one string is refused, not read letter by letter.

    Args:
        paths: the paths of a bulk call.

    Returns:
        The paths, in order.

    Raises:
        EncodeError: ``paths`` is a single string.
    """
    if isinstance(paths, str):
        raise EncodeError(f"paths must be a list of paths, got one string {paths!r}")
    return tuple(paths)


class GetMany(Op, frozen=True):
    """Read many datapoints -> ``list[Point | ItemError]`` in order.

    Attributes:
        paths: the datapoints' paths.
        ext_infos: names of extra information to read for each (as for ``Get``).
    """

    paths: tuple[str, ...]
    ext_infos: Iterable[str] | None = None
    command: ClassVar[str] = "get"
    what: ClassVar[str] = "get_many"

    def items(self, wire: Wire) -> list[Any]:
        """One item per path, in order (bare paths unless ``ext_infos`` is given)."""
        for p in path_list(self.paths):
            _check_path(p)
        if self.ext_infos is None:
            return list(self.paths)
        ext = _ext_list(self.ext_infos, wire)
        make = wire.request.GetItem
        return [make(path=p, show_ext_infos=ext) for p in self.paths]

    def decode(self, items: list[Any], wire: Wire) -> list[Point | ItemError]:
        """One ``Point`` or ``ItemError`` per path, in the order asked."""
        return _decode.points(items, wire.ok)


class Query(Op, frozen=True):
    """Search below ``path`` -> ``list[Point]`` (every match; many response items).

    Attributes:
        path: where the search starts.
        query: filters as for ``Client.query`` (``{"regex_path": ".*", "max_depth": 0}``),
            the version's ``Query`` struct (see ``query_object``), or a mapping with the
            struct's wire or attribute names (``{"regExPath": ".*", "maxDepth": 0}``).
        ext_infos: names of extra information to read for each match (as for ``Get``).
        tag: a JSON value the DMS echoes in every ``Point.tag``.
    """

    path: str
    query: QueryArg
    ext_infos: Iterable[str] | None = None
    tag: Any = None
    command: ClassVar[str] = "get"
    what: ClassVar[str] = "query"
    expands: ClassVar[bool] = True

    def items(self, wire: Wire) -> list[Any]:
        """One ``get`` item with the version's ``Query`` struct."""
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
        """Every match, or the first ``ItemError`` (the search as a whole failed)."""
        ok = wire.ok
        for item in items:
            if item.code != ok:
                return _decode.item_error(item, opt(item.tag))
        return cast(list[Point], _decode.points(items))


class ReadHistory(Op, frozen=True):
    """Read recorded history -> ``History`` (compact) or ``HistoryDetail`` (detail).

    One operation is one request: ``Client.history`` splits long ranges, a ``batch``
    does not.

    Attributes:
        path: the datapoint's path.
        start: the first instant: an aware ``datetime``, a ``timedelta`` back from now
            or zoned ISO 8601 text (anything else raises ``EncodeError``).
        end: the last instant, as ``start``; ``None`` is now.  Before ``start`` it
            raises ``EncodeError``.
        interval: whole seconds between values the DMS condenses to (``None``: every
            recorded value).
        format: ``compact`` (stamps and values) or ``detail`` (entries with state and
            modification flags).
        tag: a JSON value the DMS echoes.
        show_past: also read ``histDataPast`` into ``.past`` (protocol 1.5).
        show_original: add ``value_original`` to modified detail entries (protocol 1.5).
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
        """One ``get`` item with ``histData``; options the version lacks raise first."""
        _check_path(self.path)
        if self.format not in wire.hist_formats:
            raise EncodeError(f"format must be one of {wire.hist_formats}, got {self.format!r}")
        hist: dict[str, Any] = _stamp_range(self.start, self.end)
        if self.interval is not None:
            hist["interval"] = check_interval(self.interval)
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
        """``History`` (compact) or ``HistoryDetail`` (detail), or the ``ItemError``."""
        item = _one(items, self, wire)
        if isinstance(item, ItemError):
            return item
        return _decode.history_result(item, self.path, self.format != wire.compact)


class ReadChangelog(Op, frozen=True):
    """Read a datapoint's changelog -> ``list[ChangelogEntry]`` (protocol >= 1.4).

    Attributes:
        path: the datapoint's path.
        start: the first instant (as for ``ReadHistory``).
        end: the last instant; ``None`` is now.
        tag: a JSON value the DMS echoes.
    """

    path: str
    start: Stamp
    end: Stamp | None = None
    tag: Any = None
    command: ClassVar[str] = "get"
    what: ClassVar[str] = "changelog"

    def items(self, wire: Wire) -> list[Any]:
        """One ``get`` item with ``changelog`` (``NotInVersionError`` before 1.4)."""
        _check_path(self.path)
        make = wire.type_of(wire.common, "ChangelogRequest", "changelog (get with changelog)")
        request = make(**_stamp_range(self.start, self.end))
        return [wire.request.GetItem(path=self.path, changelog=request, tag=_tag(self.tag))]

    def decode(self, items: list[Any], wire: Wire) -> list[ChangelogEntry] | ItemError:
        """The changelog entries, or the ``ItemError``."""
        item = _one(items, self, wire)
        if isinstance(item, ItemError):
            return item
        return _decode.changelog(getattr(item, "changelog", UNSET))


_VALUE_TYPES = (int, float, str, bool)


class Set(Op, frozen=True):
    """Write a value -> ``SetResult``.

    Attributes:
        path: the datapoint's path.
        value: the value: ``int``, ``float``, ``str``, ``bool`` or ``None``.
        type: the DMS type to store it as (``int``, ``double``, ``string``, ``bool``);
            ``None`` lets the DMS keep the datapoint's type.
        create: make the datapoint if it does not exist.
        stamp: the value's timestamp (as for ``ReadHistory``'s ``start``); ``None``
            lets the DMS stamp it.
        tag: a JSON value the DMS echoes.
    """

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
        """One ``set`` item; a value or type the DMS cannot store raises first."""
        _check_path(self.path)
        if self.value is not None and not isinstance(self.value, _VALUE_TYPES):
            raise EncodeError(f"value must be int, float, str, bool or None, got {self.value!r}")
        if isinstance(self.value, float) and not math.isfinite(self.value):
            # JSON has no NaN or infinity: the encoder would send null in their place
            raise EncodeError(f"value must be a finite number, got {self.value!r}")
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
        """The ``SetResult`` (what the DMS stored), or the ``ItemError``."""
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
    """Rename a datapoint (and its children) -> ``RenameResult``.

    Attributes:
        path: the datapoint's path.
        new_path: its new path.
        tag: a JSON value the DMS echoes.
    """

    path: str
    new_path: str
    tag: Any = None
    command: ClassVar[str] = "rename"
    what: ClassVar[str] = "rename"
    writes: ClassVar[bool] = True

    def items(self, wire: Wire) -> list[Any]:
        """One ``rename`` item."""
        _check_path(self.path)
        _check_path(self.new_path)
        return [wire.request.RenameItem(path=self.path, new_path=self.new_path,
                                        tag=_tag(self.tag))]

    def decode(self, items: list[Any], wire: Wire) -> RenameResult | ItemError:
        """The ``RenameResult``, or the ``ItemError``."""
        item = _one(items, self, wire)
        if isinstance(item, ItemError):
            return item
        return RenameResult(
            opt(item.path) or self.path, opt(item.new_path) or self.new_path, opt(item.tag)
        )


class Delete(Op, frozen=True):
    """Delete a datapoint -> ``DeleteResult``.

    Attributes:
        path: the datapoint's path.
        recursive: delete its children too; without it the DMS refuses a node that
            has children.
        tag: a JSON value the DMS echoes.
    """

    path: str
    recursive: bool = False
    tag: Any = None
    command: ClassVar[str] = "delete"
    what: ClassVar[str] = "delete"
    writes: ClassVar[bool] = True

    def items(self, wire: Wire) -> list[Any]:
        """One ``delete`` item."""
        _check_path(self.path)
        return [wire.request.DeleteItem(path=self.path,
                                        recursive=True if self.recursive else UNSET,
                                        tag=_tag(self.tag))]

    def decode(self, items: list[Any], wire: Wire) -> DeleteResult | ItemError:
        """The ``DeleteResult``, or the ``ItemError``."""
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
        """No items: the command is an empty list."""
        return []

    def decode(self, items: list[Any], wire: Wire) -> list[str] | ItemError:
        """The group names of every response item, or the first ``ItemError``."""
        groups: list[str] = []
        for item in items:
            if item.code != wire.ok:
                return _decode.item_error(item)
            groups.extend(opt(item.groups) or [])
        return groups


class ChangelogRead(Op, frozen=True):
    """Read a changelog group -> ``ChangelogReadResult`` (protocol >= 1.4).

    Attributes:
        group: the group's name (``ChangelogGroups`` lists them).
        start: the first instant (as for ``ReadHistory``).
        end: the last instant; ``None`` is now.
        tag: a JSON value the DMS echoes.
    """

    group: str
    start: Stamp
    end: Stamp | None = None
    tag: Any = None
    command: ClassVar[str] = "changelog_read"
    what: ClassVar[str] = "changelog_read"

    def items(self, wire: Wire) -> list[Any]:
        """One ``changelog_read`` item (``NotInVersionError`` before 1.4)."""
        if not isinstance(self.group, str):
            raise EncodeError(f"group must be a string, got {self.group!r}")
        make = wire.type_of(wire.request, "ChangelogReadItem", "changelog_read")
        return [make(group=self.group, **_stamp_range(self.start, self.end), tag=_tag(self.tag))]

    def decode(self, items: list[Any], wire: Wire) -> ChangelogReadResult | ItemError:
        """The ``ChangelogReadResult``, or the ``ItemError``."""
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

    Attributes:
        path: the datapoint (or, with ``query``, where the search starts).
        tag: the subscription's tag: with ``path`` it names the subscription, and
            the DMS echoes it in every event.
        event: the events to report (``event_spec``); ``None`` is ``onChange``.
        query: filters as for ``Query`` (filters, struct or mapping), or ``None``.
    """

    path: str
    tag: Any
    event: str | None = None
    query: QueryArg | None = None
    command: ClassVar[str] = "subscribe"
    what: ClassVar[str] = "subscribe"

    def items(self, wire: Wire) -> list[Any]:
        """One ``subscribe`` item; an empty query is left out."""
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
        """The ``SubscribeResult`` (the current value), or the ``ItemError``."""
        item = _one(items, self, wire)
        if isinstance(item, ItemError):
            return item
        return _subscribe_result(item, self.path)


class Unsubscribe(Op, frozen=True):
    """Cancel a subscription made with the same path and tag -> ``SubscribeResult``.

    Attributes:
        path: the subscription's path.
        tag: the subscription's tag.
    """

    path: str
    tag: Any
    command: ClassVar[str] = "unsubscribe"
    what: ClassVar[str] = "unsubscribe"

    def items(self, wire: Wire) -> list[Any]:
        """One ``unsubscribe`` item."""
        return [wire.request.UnsubscribeItem(path=self.path, tag=_tag(self.tag))]

    def decode(self, items: list[Any], wire: Wire) -> SubscribeResult | ItemError:
        """The ``SubscribeResult``, or the ``ItemError``."""
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
    "path_list",
    "query_object",
]
