"""Generated response structs into typed results, with the hot paths kept lean.

The decoders of ``dmsproto.codec`` have already checked types, enumerations
and stamps; here only absent members (``msgspec.UNSET``) become ``None`` and
the version-independent result objects of ``dmsproto.results`` are built from
the structs' snake_case attributes.  Attributes a version lacks (e.g. ``mod``
before v1.5) read as absent, so one builder serves every version.
"""

from __future__ import annotations

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
)
from ..wirebase import HistEntry

UNSET = msgspec.UNSET
_EXT_NAMES = ExtInfos.__struct_fields__
_LOG_NAMES = ChangelogEntry.__struct_fields__[2:]  # after stamp_text, text


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


def point(item: Any) -> Point:
    """A ``Point`` from an ok get/query item."""
    (made,) = points([item])
    return cast(Point, made)


def points(items: list[Any], ok: str | None = None) -> list[Point | ItemError]:
    """Per-item results of a plain multi-item get, in order (the hot path).

    A ``Point`` for each item, or an ``ItemError`` for one whose code is not
    ``ok`` (``None``: the caller checked every item).
    """
    out: list[Point | ItemError] = []
    add = out.append
    make = Point
    unset = UNSET
    for item in items:
        if ok is not None and item.code != ok:
            add(item_error(item, opt(item.tag)))
            continue
        v = item.ext_infos
        add(make(
            "" if (p := item.path) is unset else p,
            None if (x := item.value) is unset else x,
            None if (y := item.type) is unset else y,
            None if (st := item.stamp) is unset else st,
            item.has_child is True,
            None if v is unset else ext_infos(v),
            None if (t := item.tag) is unset else t,
        ))
    return out


def event(item: Any) -> Event:
    """An ``Event`` from one ``EventItem`` struct."""
    unset = UNSET
    return Event(
        item.code,
        item.path,
        None if (n := item.new_path) is unset else n,
        None if (w := item.trigger) is unset else w,
        None if (x := item.value) is unset else x,
        None if (y := item.type) is unset else y,
        None if (st := item.stamp) is unset else st,
        None if (t := item.tag) is unset else t,
    )


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
