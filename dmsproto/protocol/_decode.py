"""Response items (parsed JSON dicts) into typed results, with the hot paths kept lean."""

from __future__ import annotations

from typing import Any, cast

from ..results import Event, ExtInfos, ItemError, Point, _EventSlots, _PointSlots

_new = object.__new__


def point(item: dict[str, Any], tag: Any = None) -> Point:
    """A ``Point`` from an ok get/query item (``tag`` overrides the echoed tag)."""
    g = item.get
    p: Any = _new(_PointSlots)
    p.path = g("path", "")
    p.value = g("value")
    p.type = g("type")
    p.stamp_text = g("stamp")
    p.has_child = g("hasChild", False) is True
    ext = g("extInfos")
    p.ext_infos = ExtInfos.from_wire(ext) if ext is not None else None
    p.tag = g("tag") if tag is None else tag
    p.__class__ = Point  # same slot layout: now the frozen class
    return cast(Point, p)


def points(items: list[Any]) -> list[Point | ItemError]:
    """Per-item results of a plain multi-item get, in order."""
    out: list[Point | ItemError] = []
    add = out.append
    new = _new
    ps = _PointSlots
    pc = Point
    for item in items:
        if type(item) is not dict:
            add(ItemError("error", None, f"malformed response item: {item!r:.80}", None, item))
            continue
        g = item.get
        if g("code") != "ok":
            add(ItemError.from_wire(item, g("tag")))
            continue
        p: Any = new(ps)
        p.path = g("path", "")
        p.value = g("value")
        p.type = g("type")
        p.stamp_text = g("stamp")
        p.has_child = g("hasChild", False) is True
        ext = g("extInfos")
        p.ext_infos = ExtInfos.from_wire(ext) if ext is not None else None
        p.tag = g("tag")
        p.__class__ = pc
        add(p)
    return out


def event(item: dict[str, Any]) -> Event:
    """An ``Event`` from one item of an ``event`` frame."""
    g = item.get
    e: Any = _new(_EventSlots)
    e.code = g("code", "")
    e.path = g("path", "")
    e.new_path = g("newPath")
    e.trigger = g("trigger")
    e.value = g("value")
    e.type = g("type")
    e.stamp_text = g("stamp")
    e.tag = g("tag")
    e.__class__ = Event
    return cast(Event, e)


__all__ = ["event", "point", "points"]
