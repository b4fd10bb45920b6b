"""The read commands: get (plain, short form, query, histData, changelog, extInfos),
changelogGetGroups and changelogRead.

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
from .arrays import ArrayError, parse_ref, read_element
from .changelog import MAX_CHANGELOG_ENTRIES, TooManyLogEntries
from .history import MAX_HIST_ENTRIES, HistPoint, TooManyEntries
from .items import NOT_FOUND, Context, ItemError, as_object, req_str, stamp_field, with_tag
from .query import QueryError, parse_query, search
from .tree import DEFAULT_ACC_TYPE, Node

if TYPE_CHECKING:
    from .engine import Engine

EXT_KEYS = ("state", "accType", "name", "template", "unit", "comment", "changelogGroup")
EXT_KEYS_13 = ("accType", "name", "template", "unit", "comment")
_GET_FIELDS = frozenset({"path", "showExtInfos", "query", "histData", "changelog", "tag"})
_GET_FIELDS_13 = _GET_FIELDS - {"changelog"}
_HIST_FIELDS = frozenset({"start", "end", "interval", "format"})
_HIST_FIELDS_15 = _HIST_FIELDS | {"showPast", "showOriginal"}
_RANGE_FIELDS = frozenset({"start", "end"})
_READ_FIELDS = frozenset({"group", "start", "end", "tag"})
NO_READ = "No permission to read this data point"


@dataclass(frozen=True)
class HistRequest:
    start: datetime
    end: datetime
    interval: float
    detail: bool
    show_past: bool
    show_original: bool = False


@dataclass(frozen=True)
class Extras:
    """What a get item asks beside the value, applied to every datapoint it answers."""

    ext: tuple[str, ...]
    hist: HistRequest | None
    log: tuple[datetime, datetime] | None
    tag: Any


def get_item(engine: Engine, ctx: Context, raw: object) -> list[dict[str, Any]]:
    """One get request item -> one response item, or one per match with a query."""
    v14 = at_least(engine.protocol, "1.4")
    item = as_object({"path": raw} if isinstance(raw, str) else raw,
                     _GET_FIELDS if v14 else _GET_FIELDS_13)
    path = req_str(item, "path")
    extras = Extras(
        ext=_ext_keys(item.get("showExtInfos"), EXT_KEYS if v14 else EXT_KEYS_13),
        hist=_hist_request(engine, item.get("histData")),
        log=_range(engine, item.get("changelog"), "changelog"),
        tag=item.get("tag"),
    )
    if "query" in item:
        try:
            query = parse_query(item["query"], engine.protocol)
        except QueryError as exc:
            raise ItemError(str(exc)) from None
        start = engine.tree.get(path)
        if start is None:
            raise ItemError(NOT_FOUND, "not found")
        try:
            found = search(start, query, engine.stamp_text)
        except QueryError as exc:
            raise ItemError(str(exc)) from None
        return [_answer(engine, n, extras) for n in found if n.ext.perm != "none"]
    node = engine.tree.get(path)
    if node is None:
        return [_array_answer(engine, path, extras.tag)]
    if node.ext.perm == "none":
        raise ItemError(NO_READ, "no perm")
    return [_answer(engine, node, extras)]


def _answer(engine: Engine, node: Node, extras: Extras) -> dict[str, Any]:
    out: dict[str, Any] = {"code": "ok", "path": node.path, **engine.node_state(node)}
    if node.children:
        out["hasChild"] = True
    try:
        if extras.ext:
            out["extInfos"] = ext_infos(node, extras.ext)
        if extras.hist is not None:
            out.update(_hist(engine, node, extras.hist))
        if extras.log is not None:
            entries = engine.logs.read_path(node.path, *extras.log)
            out["changelog"] = [e.to_wire(engine.stamp_text, with_path=False) for e in entries]
    except TooManyEntries:
        out = _too_many(node.path, f"histData exceeds {MAX_HIST_ENTRIES:,} entries")
    except TooManyLogEntries:
        out = _too_many(node.path, f"changelog exceeds {MAX_CHANGELOG_ENTRIES:,} entries")
    return with_tag(out, extras.tag)


def _too_many(path: str, what: str) -> dict[str, Any]:
    message = what.replace(",", "'") + ": refine start/end or the interval"
    return {"code": "error", "path": path, "message": message}


def _array_answer(engine: Engine, path: str, tag: Any) -> dict[str, Any]:
    try:
        ref = parse_ref(path, engine.protocol)
    except ArrayError as exc:
        raise ItemError(str(exc)) from None
    base = engine.tree.get(ref.base) if ref is not None else None
    if ref is None or base is None:
        raise ItemError(NOT_FOUND, "not found")
    if base.ext.perm == "none":
        raise ItemError(NO_READ, "no perm")
    try:
        value = read_element(base.value if base.type == "string" else None, ref)
    except ArrayError as exc:
        raise ItemError(str(exc)) from None
    out = {"code": "ok", "path": path, "value": value, "type": ref.type,
           "stamp": engine.stamp(base.stamp)}
    return with_tag(out, tag)


def ext_infos(node: Node, keys: tuple[str, ...]) -> dict[str, Any]:
    """The asked extended infos that exist for ``node``."""
    ext = node.ext
    known: dict[str, str | None] = {
        "state": ext.state,
        "accType": ext.acc_type or DEFAULT_ACC_TYPE[node.type],
        "name": node.inherited("name"),
        "template": node.inherited("template"),
        "unit": ext.unit,
        "comment": ext.comment,
        "changelogGroup": ext.changelog_group,
    }
    return {k: known[k] for k in keys if known[k] is not None}


def _hist(engine: Engine, node: Node, req: HistRequest) -> dict[str, Any]:
    out: dict[str, Any] = {"histData": []}
    if req.show_past:
        out["histDataPast"] = []
    if node.history is None:
        return out
    start, end = req.start.timestamp(), req.end.timestamp()
    points = node.history.read(start, end, req.interval, step=node.type != "double")
    marks = at_least(engine.protocol, "1.5")  # mod/valueOriginal exist from v1.5 on
    out["histData"] = _entries(engine, node, points, req, marks=marks, past=False)
    if req.show_past:
        past = node.history.read_past(start, end)
        out["histDataPast"] = _entries(engine, node, past, req, marks=marks, past=True)
    return out


def _entries(
    engine: Engine, node: Node, points: list[HistPoint], req: HistRequest, *, marks: bool,
    past: bool,
) -> list[dict[str, Any]]:
    """histData / histDataPast entries in the requested format."""
    as_int = node.type != "double"
    fmt = engine.epoch_stamp
    if not req.detail:
        return [{fmt(p.t): int(p.value) if as_int else p.value} for p in points]
    out = []
    for p in points:
        entry: dict[str, Any] = {"stamp": fmt(p.t), "value": int(p.value) if as_int else p.value,
                                 "state": p.state, "rec": p.rec}
        change = p.change
        if marks and change is not None:
            entry["mod"] = change.mod
            if req.show_original and change.original is not None:
                original = change.original
                entry["valueOriginal"] = int(original) if as_int else original
            if past:
                entry["stampModified"] = fmt(change.at)
        out.append(entry)
    return out


def _ext_keys(raw: object, known: tuple[str, ...] = EXT_KEYS) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
        raise ItemError("showExtInfos must be an array of strings")
    for key in raw:
        if key not in known:
            raise ItemError(f"Unknown extInfos field '{key}'")
    return tuple(dict.fromkeys(raw))


def _hist_request(engine: Engine, raw: object) -> HistRequest | None:
    if raw is None:
        return None
    allowed = _HIST_FIELDS_15 if at_least(engine.protocol, "1.5") else _HIST_FIELDS
    obj = _sub_object(raw, "histData", allowed)
    interval = obj.get("interval", 900)
    if isinstance(interval, bool) or not isinstance(interval, int | float) or interval < 0:
        raise ItemError("histData interval must be a number of seconds >= 0")
    fmt = obj.get("format", "compact")
    if fmt not in ("compact", "detail"):
        raise ItemError("histData format must be 'compact' or 'detail'")
    for key in ("showPast", "showOriginal"):
        if not isinstance(obj.get(key, False), bool):
            raise ItemError(f"histData {key} must be a boolean")
    return HistRequest(
        start=stamp_field(obj, "start", None),
        end=stamp_field(obj, "end", engine.now()),
        interval=float(interval),
        detail=fmt == "detail",
        show_past=bool(obj.get("showPast", False)),
        show_original=bool(obj.get("showOriginal", False)),
    )


def _range(engine: Engine, raw: object, what: str) -> tuple[datetime, datetime] | None:
    if raw is None:
        return None
    obj = _sub_object(raw, what, _RANGE_FIELDS)
    return stamp_field(obj, "start", None), stamp_field(obj, "end", engine.now())


def _sub_object(raw: object, what: str, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ItemError(f"{what} must be an object")
    for key in raw:
        if key not in allowed:
            raise ItemError(f"Unknown {what} field '{key}'")
    return raw


def changelog_groups(engine: Engine, ctx: Context, items: list[Any]) -> list[dict[str, Any]]:
    """changelogGetGroups: always one item with all groups (no per-item tag)."""
    return [{"code": "ok", "groups": engine.logs.groups()}]


def changelog_read(engine: Engine, ctx: Context, raw: object) -> list[dict[str, Any]]:
    item = as_object(raw, _READ_FIELDS)
    group = req_str(item, "group")
    start = stamp_field(item, "start", None)
    end = stamp_field(item, "end", engine.now())
    if not engine.logs.has_group(group):
        raise ItemError(f"Unknown change log group '{group}'")
    try:
        entries = engine.logs.read_group(group, start, end)
    except TooManyLogEntries:
        raise ItemError(
            f"changelog exceeds {MAX_CHANGELOG_ENTRIES:,} entries".replace(",", "'")
            + ": refine start/end"
        ) from None
    out: dict[str, Any] = {
        "code": "ok",
        "group": group,
        "changelog": [e.to_wire(engine.stamp_text, with_path=True) for e in entries],
    }
    return [with_tag(out, item.get("tag"))]
