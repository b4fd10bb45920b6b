"""Generated response structs into typed results, with the hot paths kept lean.

The decoders of ``dmsproto.codec`` have already checked types, enumerations
and stamps; here only absent members (``msgspec.UNSET``) become ``None`` and
the version-independent result objects of ``dmsproto.results`` are built from
the structs' snake_case attributes.  Attributes a version lacks (e.g. ``mod``
before v1.5) read as absent, so one builder serves every version.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, cast

import msgspec

from ..results import (
    ChangelogEntry,
    Event,
    ExtInfos,
    History,
    HistoryDetail,
    HistoryDetailEntry,
    ItemError,
    Point,
    _EventSlots,
    _PointSlots,
)
from ..wirebase import HistEntry

UNSET = msgspec.UNSET
_new = object.__new__
_EXT_NAMES = tuple(f.name for f in fields(ExtInfos))
_LOG_NAMES = tuple(f.name for f in fields(ChangelogEntry))[2:]  # after stamp_text, text


def opt(value: Any) -> Any:
    """``None`` for an absent member, the value otherwise."""
    return None if value is UNSET else value


def item_error(item: Any, tag: Any = None) -> ItemError:
    """An ``ItemError`` from a non-ok response item; ``raw`` is its JSON form."""
    return ItemError(item.code, opt(item.path), opt(item.message), tag,
                     msgspec.to_builtins(item))


def ext_infos(ext: Any) -> ExtInfos:
    """``ExtInfos`` from the version's ``ExtInfos`` struct (missing keys are ``None``)."""
    return ExtInfos(*[opt(getattr(ext, name, UNSET)) for name in _EXT_NAMES])


def point(item: Any, tag: Any = UNSET) -> Point:
    """A ``Point`` from an ok get/query item (``tag`` overrides the echoed one)."""
    p: Any = _new(_PointSlots)
    p.path = "" if item.path is UNSET else item.path
    v = item.value
    p.value = None if v is UNSET else v
    v = item.type
    p.type = None if v is UNSET else v
    v = item.stamp
    p.stamp_text = None if v is UNSET else v
    p.has_child = item.has_child is True
    v = item.ext_infos
    p.ext_infos = None if v is UNSET else ext_infos(v)
    v = item.tag if tag is UNSET else tag
    p.tag = None if v is UNSET else v
    p.__class__ = Point  # same slot layout: now the frozen class
    return cast(Point, p)


def points(items: list[Any], ok: str) -> list[Point | ItemError]:
    """Per-item results of a plain multi-item get, in order (the hot path)."""
    out: list[Point | ItemError] = []
    add = out.append
    new = _new
    ps = _PointSlots
    pc = Point
    unset = UNSET
    for item in items:
        if item.code != ok:
            add(item_error(item, opt(item.tag)))
            continue
        p: Any = new(ps)
        v = item.path
        p.path = "" if v is unset else v
        v = item.value
        p.value = None if v is unset else v
        v = item.type
        p.type = None if v is unset else v
        v = item.stamp
        p.stamp_text = None if v is unset else v
        p.has_child = item.has_child is True
        v = item.ext_infos
        p.ext_infos = None if v is unset else ext_infos(v)
        v = item.tag
        p.tag = None if v is unset else v
        p.__class__ = pc
        add(p)
    return out


def event(item: Any) -> Event:
    """An ``Event`` from one ``EventItem`` struct."""
    e: Any = _new(_EventSlots)
    e.code = item.code
    e.path = item.path
    v = item.new_path
    e.new_path = None if v is UNSET else v
    v = item.trigger
    e.trigger = None if v is UNSET else v
    v = item.value
    e.value = None if v is UNSET else v
    v = item.type
    e.type = None if v is UNSET else v
    v = item.stamp
    e.stamp_text = None if v is UNSET else v
    v = item.tag
    e.tag = None if v is UNSET else v
    e.__class__ = Event
    return cast(Event, e)


def history(path: str, entries: list[HistEntry]) -> History:
    """Compact history, column-wise (detail entries are read by stamp and value too)."""
    return History(path, [e.stamp for e in entries], [e.value for e in entries])


def detail_entry(entry: HistEntry) -> HistoryDetailEntry:
    """One detailed history entry; v1.5 marks (mod, original) read as ``None`` before."""
    d = entry.detail
    if d is None:  # a compact entry where detail was asked: keep what there is
        return HistoryDetailEntry(entry.stamp, entry.value, None, None)
    return HistoryDetailEntry(
        entry.stamp,
        entry.value,
        opt(getattr(d, "state", UNSET)),
        opt(getattr(d, "rec", UNSET)),
        opt(getattr(d, "mod", UNSET)),
        opt(getattr(d, "value_original", UNSET)),
        opt(getattr(d, "stamp_modified", UNSET)),
    )


def detail(path: str, entries: list[HistEntry]) -> list[HistoryDetailEntry]:
    return [detail_entry(e) for e in entries]


def history_result(item: Any, path: str, is_detail: bool) -> History | HistoryDetail:
    """The history of one get item, with ``histDataPast`` (v1.5) when the server sent it."""
    path = opt(item.path) or path
    data = opt(item.hist_data) or []
    past_data = opt(getattr(item, "hist_data_past", UNSET))
    if is_detail:
        past = None if past_data is None else detail(path, past_data)
        return HistoryDetail(path, detail(path, data), past)
    return History(
        path,
        [e.stamp for e in data],
        [e.value for e in data],
        None if past_data is None else history(path, past_data),
    )


def changelog_entry(entry: Any) -> ChangelogEntry:
    """A ``ChangelogEntry`` from the version's change-log struct (alarm fields optional)."""
    return ChangelogEntry(
        entry.stamp, entry.text, *[opt(getattr(entry, name, UNSET)) for name in _LOG_NAMES]
    )


def changelog(entries: Any) -> list[ChangelogEntry]:
    return [changelog_entry(e) for e in opt(entries) or []]


__all__ = [
    "changelog",
    "changelog_entry",
    "detail",
    "detail_entry",
    "event",
    "ext_infos",
    "history",
    "history_result",
    "item_error",
    "opt",
    "point",
    "points",
]
