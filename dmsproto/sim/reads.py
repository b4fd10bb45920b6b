"""The read commands: get, changelogGetGroups and changelogRead.

A get is plain, in short form, a query, or asks for histData, changelog or extInfos.

Protocol differences: v1.3 has no ``changelog`` member in get and no extInfos
``state``/``changelogGroup``; v1.5 adds histData ``showPast`` (``histDataPast``)
and ``showOriginal`` (``valueOriginal``), and marks modified detail entries with
``mod`` (see ``history.py`` for what counts as modified past).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..versions import at_least
from ..wirebase import HistEntry
from .access import DEFAULT_ACC_TYPE
from .arrays import ArrayError, parse_ref, read_element
from .history import HistPoint
from .items import Context, ItemRefused, stamp_field, tag_of, tagged
from .messages import NO_READ, NOT_FOUND, UNKNOWN_GROUP
from .query import QueryError, parse_query, search
from .tree import Node
from .wire import NO_PERM, OK, UNSET
from .wire import NOT_FOUND as NOT_FOUND_CODE

if TYPE_CHECKING:
    from .engine import Engine
#: histData interval when the request gives none (seconds, document 3.2.3)
DEFAULT_INTERVAL = 900


@dataclass(frozen=True)
class HistRequest:
    """A histData request as the engine reads it: the range, the grid and the form."""

    start: datetime
    end: datetime
    interval: float
    detail: bool
    show_past: bool
    show_original: bool = False


@dataclass(slots=True)
class Extras:
    """What a get item asks beside the value, applied to every datapoint it answers."""

    ext: tuple[str, ...]  # ExtInfos attributes
    hist: HistRequest | None
    log: tuple[datetime, datetime] | None
    tag: Any


_PLAIN = Extras((), None, None, None)


def _extras(engine: Engine, item: Any) -> Extras:
    changelog = getattr(item, "changelog", UNSET)  # not in v1.3
    if (item.show_ext_infos is UNSET and item.hist_data is UNSET and changelog is UNSET
            and item.tag is UNSET):
        return _PLAIN  # the common plain read: nothing to parse
    return Extras(
        ext=_ext_attrs(engine, item.show_ext_infos),
        hist=_hist_request(engine, item.hist_data),
        log=_range(engine, changelog),
        tag=tag_of(item),
    )


def get_item(engine: Engine, ctx: Context, item: Any) -> list[Any]:
    """One get request item (``GetItem``) -> one ``GetResult``, or one per query match."""
    extras = _extras(engine, item)
    path: str = item.path
    if item.query is not UNSET:
        try:
            query = parse_query(item.query, engine.protocol)
        except QueryError as exc:
            raise ItemRefused(str(exc)) from None
        start = engine.tree.get(path)
        if start is None:
            raise ItemRefused(NOT_FOUND, NOT_FOUND_CODE)
        try:
            found = search(start, query, engine.stamp_text, engine.limits.query_matches)
        except QueryError as exc:
            raise ItemRefused(str(exc)) from None
        return [_answer(engine, ctx, n, extras) for n in found if n.ext.perm != "none"]
    node = engine.tree.get(path)
    if node is None:
        return [_array_answer(engine, path, extras.tag)]
    if node.ext.perm == "none":
        raise ItemRefused(NO_READ, NO_PERM)
    return [_answer(engine, ctx, node, extras)]


def _answer(engine: Engine, ctx: Context, node: Node, extras: Extras) -> Any:
    """The ``GetResult`` of one datapoint.

    Its history and log entries count against the request's budget
    (``AnswerTooLarge`` past it).
    """
    out: dict[str, Any] = {}
    if node.children:
        out["has_child"] = True
    if extras.ext:
        out["ext_infos"] = ext_infos(engine, node, extras.ext)
    if extras.hist is not None:
        hist = _hist(engine, node, extras.hist)
        ctx.budget.take_entries(sum(map(len, hist.values())))
        out.update(hist)
    if extras.log is not None:
        entries = engine.logs.read_path(node.path, *extras.log,
                                        engine.limits.changelog_entries)
        ctx.budget.take_entries(len(entries))
        entry = engine.wire.common.ChangelogEntry
        out["changelog"] = [e.to_struct(entry, engine.stamp_text, with_path=False)
                            for e in entries]
    if extras.tag is not None:
        out["tag"] = extras.tag
    return engine.wire.response.GetResult(code=OK, path=node.path, value=node.value,
                                          type=node.type, stamp=engine.stamp(node.stamp), **out)


def _array_answer(engine: Engine, path: str, tag: Any) -> Any:
    try:
        ref = parse_ref(path, engine.wire.name)
    except ArrayError as exc:
        raise ItemRefused(str(exc)) from None
    base = engine.tree.get(ref.base) if ref is not None else None
    if ref is None or base is None:
        raise ItemRefused(NOT_FOUND, NOT_FOUND_CODE)
    if base.ext.perm == "none":
        raise ItemRefused(NO_READ, NO_PERM)
    try:
        value = read_element(base.value if base.type == "string" else None, ref)
    except ArrayError as exc:
        raise ItemRefused(str(exc)) from None
    return engine.wire.response.GetResult(code=OK, path=path, value=value, type=ref.type,
                                          stamp=engine.stamp(base.stamp), **tagged(tag))


def ext_infos(engine: Engine, node: Node, attrs: tuple[str, ...]) -> Any:
    """The asked extended infos (``ExtInfos`` attributes) that exist for ``node``."""
    ext = node.ext
    known: dict[str, str | None] = {
        "state": ext.state,
        "acc_type": ext.acc_type or DEFAULT_ACC_TYPE[node.type],
        "name": node.inherited("name"),
        "template": node.inherited("template"),
        "unit": ext.unit,
        "comment": ext.comment,
        "changelog_group": ext.changelog_group,
    }
    return engine.wire.common.ExtInfos(
        **{a: known[a] for a in attrs if known.get(a) is not None}
    )


def _hist(engine: Engine, node: Node, req: HistRequest) -> dict[str, Any]:
    """``hist_data`` (and ``hist_data_past`` with showPast) for ``node``."""
    out: dict[str, Any] = {"hist_data": []}
    if req.show_past:
        out["hist_data_past"] = []
    if node.history is None:
        return out
    start, end = req.start.timestamp(), req.end.timestamp()
    limit = engine.limits.hist_entries
    points = node.history.read(start, end, req.interval, step=node.type != "double",
                               limit=limit)
    marks = at_least(engine.protocol, "1.5")  # mod/valueOriginal exist from v1.5 on
    out["hist_data"] = _entries(engine, node, points, req, marks=marks, past=False)
    if req.show_past:
        past = node.history.read_past(start, end, limit)
        out["hist_data_past"] = _entries(engine, node, past, req, marks=marks, past=True)
    return out


def _entries(
    engine: Engine, node: Node, points: list[HistPoint], req: HistRequest, *, marks: bool,
    past: bool,
) -> list[HistEntry]:
    """HistData / histDataPast entries in the requested format."""
    as_int = node.type != "double"
    fmt = engine.epoch_stamp
    if not req.detail:
        if as_int:
            return [HistEntry(fmt(p.t), int(p.value)) for p in points]
        return [HistEntry(fmt(p.t), p.value) for p in points]
    detail = engine.wire.common.HistDetailEntry
    out = []
    for p in points:
        stamp = fmt(p.t)
        value = int(p.value) if as_int else p.value
        extra: dict[str, Any] = {}
        change = p.change
        if marks and change is not None:
            extra["mod"] = change.mod
            if req.show_original and change.original is not None:
                original = change.original
                extra["value_original"] = int(original) if as_int else original
            if past:
                extra["stamp_modified"] = fmt(change.at)
        out.append(HistEntry(stamp, value, detail(stamp=stamp, value=value, state=p.state,
                                                  rec=p.rec, **extra)))
    return out


def _ext_attrs(engine: Engine, keys: Any) -> tuple[str, ...]:
    """ShowExtInfos keys (wire names, deduplicated) as ``ExtInfos`` attributes."""
    if keys is UNSET:
        return ()
    attrs = engine.wire.ext_attrs
    return tuple(attrs[k] for k in dict.fromkeys(keys))


def _hist_request(engine: Engine, req: Any) -> HistRequest | None:
    if req is UNSET:
        return None
    interval = DEFAULT_INTERVAL if req.interval is UNSET else req.interval
    fmt = engine.wire.compact if req.format is UNSET else req.format
    return HistRequest(
        start=stamp_field(req.start, None),
        end=stamp_field(req.end, engine.now(), "end"),
        interval=float(interval),
        detail=fmt == engine.wire.detail,
        show_past=getattr(req, "show_past", UNSET) is True,
        show_original=getattr(req, "show_original", UNSET) is True,
    )


def _range(engine: Engine, req: Any) -> tuple[datetime, datetime] | None:
    if req is UNSET:
        return None
    return stamp_field(req.start, None), stamp_field(req.end, engine.now(), "end")


def changelog_groups(engine: Engine, ctx: Context, item: Any) -> list[Any]:
    """changelogGetGroups: one ``ChangelogGroupsResult`` with every group, per request item.

    It has no per-item tag: clients correlate by position and the root tag.

    The document sends an empty array and gets one item (the engine asks once, with
    ``item`` None); visitoolkit-connector sends one ``{"changelogGetGroups": []}`` item
    per call and reads answer item i as the answer to request item i.
    """
    return [engine.wire.response.ChangelogGroupsResult(code=OK, groups=engine.logs.groups())]


def changelog_read(engine: Engine, ctx: Context, item: Any) -> list[Any]:
    """One ``ChangelogReadItem`` -> one ``ChangelogReadResult`` with the group's entries."""
    group: str = item.group
    start = stamp_field(item.start, None)
    end = stamp_field(item.end, engine.now(), "end")
    if not engine.logs.has_group(group):
        raise ItemRefused(UNKNOWN_GROUP.format(group))
    entries = engine.logs.read_group(group, start, end, engine.limits.changelog_entries)
    ctx.budget.take_entries(len(entries))
    entry = engine.wire.common.ChangelogEntry
    return [engine.wire.response.ChangelogReadResult(
        code=OK, group=group,
        changelog=[e.to_struct(entry, engine.stamp_text, with_path=True) for e in entries],
        **tagged(tag_of(item)),
    )]
