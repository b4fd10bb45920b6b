"""The write commands: set (incl. create and string-array elements), rename, delete.

Events: a write raises ``onChange`` (value or type changed) and then ``onSet``
(every write); creating a datapoint raises ``onCreate`` for it and for every
parent created on the way (parents first) and nothing else. A rename raises
``onRename`` (with ``newPath``, parents first) and ``onDelete`` (children
first) for every node of the moved subtree under its old path, then
``onCreate`` for new parents and the subtree under the new one; a delete raises
``onDelete`` children first. Subscriptions stay bound to their path.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from .arrays import ArrayError, parse_ref, write_element
from .changelog import LogEntry
from .items import (
    NOT_EMPTY,
    NOT_FOUND,
    TYPE_MISMATCH,
    Context,
    ItemError,
    as_object,
    opt_bool,
    req_str,
    stamp_field,
    with_tag,
)
from .query import value_text
from .tree import Node, PathError, ValueType, split_path

if TYPE_CHECKING:
    from .engine import Engine

_SET_FIELDS = frozenset({"path", "value", "type", "create", "stamp", "tag"})
_RENAME_FIELDS = frozenset({"path", "newPath", "tag"})
_DELETE_FIELDS = frozenset({"path", "recursive", "tag"})
_SET_TYPES = ("int", "double", "string", "bool")
NO_WRITE = "No permission to write this data point"
_INT_RANGE = (-(2**63), 2**63 - 1)


def set_item(engine: Engine, ctx: Context, raw: object) -> list[dict[str, Any]]:
    item = as_object(raw, _SET_FIELDS)
    path = req_str(item, "path")
    trigger = ctx.writer()
    if "value" not in item:
        raise ItemError("Missing field 'value'")
    value = item["value"]
    if value is not None and not isinstance(value, bool | int | float | str):
        raise ItemError("Field 'value' must be a number, string, boolean or null")
    wanted = item.get("type")
    if wanted is not None and wanted not in _SET_TYPES:
        raise ItemError("Field 'type' must be one of int, double, string, bool")
    create = opt_bool(item, "create")
    stamp = stamp_field(item, "stamp", engine.now())
    check_path_length(engine, path)
    node = engine.tree.get(path)
    if node is None:
        ref = _array_ref(engine, path)
        if ref is not None:
            return [_set_element(engine, ctx, item, trigger, stamp)]
        if not create:
            raise ItemError(NOT_FOUND)
        node = create_node(engine, ctx, path, wanted, value, stamp, trigger)
    else:
        if node is engine.tree.root:
            raise ItemError("Invalid path")
        if node.ext.perm != "rw":
            raise ItemError(NO_WRITE, "no perm")
        vtype, converted = convert(node.type, wanted, value, create=create)
        assign(engine, ctx, node, vtype, converted, stamp, trigger)
    return [_result(engine, path, node, item.get("tag"))]


def _result(engine: Engine, path: str, node: Node, tag: Any) -> dict[str, Any]:
    return with_tag({"code": "ok", "path": path, **engine.node_state(node)}, tag)


def check_path_length(engine: Engine, path: str) -> None:
    if len(path) > engine.max_path_length:
        raise ItemError(f"Path too long (max. {engine.max_path_length} characters)")


def _array_ref(engine: Engine, path: str) -> Any:
    try:
        return parse_ref(path, engine.protocol)
    except ArrayError as exc:
        raise ItemError(str(exc)) from None


def _set_element(
    engine: Engine, ctx: Context, item: dict[str, Any], trigger: str, stamp: datetime
) -> dict[str, Any]:
    path: str = item["path"]
    ref = _array_ref(engine, path)
    base = engine.tree.get(ref.base)
    if base is None:
        raise ItemError(NOT_FOUND)
    if base.ext.perm != "rw":
        raise ItemError(NO_WRITE, "no perm")
    if item.get("type") not in (None, ref.type):
        raise ItemError(TYPE_MISMATCH)
    value = item["value"]
    if ref.type == "double" and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    try:
        text = write_element(base.value if base.type == "string" else None, ref, value)
    except ArrayError as exc:
        raise ItemError(str(exc)) from None
    assign(engine, ctx, base, "string", text, stamp, trigger)
    out = {"code": "ok", "path": path, "value": value, "type": ref.type,
           "stamp": engine.stamp(base.stamp)}
    return with_tag(out, item.get("tag"))


def json_type(value: object) -> ValueType:
    """The internal type a JSON value implies (document 3.3.2)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    return "string"


def convert(current: ValueType, wanted: str | None, value: Any, *, create: bool) -> tuple[
    ValueType, Any
]:
    """Check a write against the datapoint's type; returns the type and stored value.

    An integer may be written to a double; a ``none`` node takes a value only
    with ``create`` (it then becomes a datapoint of the value's type).
    """
    given = json_type(value)
    target: ValueType = cast(ValueType, wanted) if wanted is not None else given
    if wanted is not None and not (given == wanted or (given == "int" and wanted == "double")):
        raise ItemError(TYPE_MISMATCH)
    if current == "none":
        if value is None and wanted is None:
            return "none", None
        if not create or value is None:
            raise ItemError(TYPE_MISMATCH)
        current = target
    if not (target == current or (target == "int" and current == "double")):
        raise ItemError(TYPE_MISMATCH)
    if current == "double":
        value = float(value)
        if not math.isfinite(value):
            raise ItemError("Value out of range")
    elif current == "int" and not _INT_RANGE[0] <= value <= _INT_RANGE[1]:
        raise ItemError("Value out of range")
    return current, value


def create_node(
    engine: Engine,
    ctx: Context,
    path: str,
    wanted: str | None,
    value: Any,
    stamp: datetime,
    trigger: str,
) -> Node:
    """Create the datapoint ``path`` (and missing parents) holding ``value``."""
    try:
        split_path(path)
        if path == "":
            raise PathError("Invalid path")
    except PathError as exc:
        raise ItemError(str(exc)) from None
    vtype, converted = convert("none", wanted, value, create=True)
    node, created = engine.tree.ensure(path)
    node.type, node.value = vtype, converted
    node.stamp = None if vtype == "none" else stamp
    for new in created:
        engine.emit(ctx.sink, "onCreate", new, trigger)
    return node


def assign(
    engine: Engine,
    ctx: Context,
    node: Node,
    vtype: ValueType,
    value: Any,
    stamp: datetime,
    trigger: str,
) -> None:
    """Store a checked write: history, change log, then onChange/onSet events."""
    changed = node.type != vtype or node.value != value
    old_text = value_text(node)
    node.type, node.value = vtype, value
    node.stamp = None if vtype == "none" else stamp
    if changed and node.history is not None and vtype in ("int", "double", "bool"):
        node.history.record(stamp.timestamp(), float(value), "ok", "change")
    if changed and node.ext.changelog_group is not None:
        _log_change(engine, node, old_text, stamp)
    if changed:
        engine.emit(ctx.sink, "onChange", node, trigger)
    engine.emit(ctx.sink, "onSet", node, trigger)


def _log_change(engine: Engine, node: Node, old_text: str, stamp: datetime) -> None:
    group = node.ext.changelog_group
    if group is None:
        return
    new_text = value_text(node)
    label = node.ext.name or node.path
    text = node.ext.log_texts.get(new_text, f"{label}: {old_text} -> {new_text}")
    state = None
    if node.alarm is not None:
        state = "occurred" if node.value else "left"
    engine.logs.add(group, LogEntry(node.path, stamp, text, state, node.alarm))


def rename_item(engine: Engine, ctx: Context, raw: object) -> list[dict[str, Any]]:
    item = as_object(raw, _RENAME_FIELDS)
    path = req_str(item, "path")
    new_path = req_str(item, "newPath")
    trigger = ctx.writer()
    node = _existing(engine, path)
    check_path_length(engine, new_path)
    try:
        if not split_path(new_path):
            raise PathError("Invalid path")
    except PathError as exc:
        raise ItemError(str(exc)) from None
    if new_path in engine.tree:
        raise ItemError("Destination path already exists")
    if new_path.startswith(path + ":"):
        raise ItemError("A path cannot be moved below itself")
    moved = engine.tree.subtree(node)
    old_paths = [n.path for n in moved]
    for n, old in zip(moved, old_paths, strict=True):
        engine.emit(ctx.sink, "onRename", n, trigger, new_path=new_path + old[len(path):])
    for n in reversed(moved):
        engine.emit(ctx.sink, "onDelete", n, trigger)
    created = engine.tree.move(node, new_path)
    for n, old in zip(moved, old_paths, strict=True):
        engine.logs.moved(old, n.path)
    for n in [*created, *moved]:
        engine.emit(ctx.sink, "onCreate", n, trigger)
    return [with_tag({"code": "ok", "path": path, "newPath": new_path}, item.get("tag"))]


def delete_item(engine: Engine, ctx: Context, raw: object) -> list[dict[str, Any]]:
    item = as_object(raw, _DELETE_FIELDS)
    path = req_str(item, "path")
    recursive = opt_bool(item, "recursive")
    trigger = ctx.writer()
    node = _existing(engine, path)
    if node.children and not recursive:
        raise ItemError(NOT_EMPTY)
    doomed = engine.tree.subtree(node)
    if any(n.ext.perm != "rw" for n in doomed):
        raise ItemError(NO_WRITE, "no perm")
    for n in reversed(doomed):
        engine.emit(ctx.sink, "onDelete", n, trigger)
    engine.tree.remove(node)
    for n in doomed:
        engine.logs.deleted(n.path)
    return [with_tag({"code": "ok", "path": path}, item.get("tag"))]


def _existing(engine: Engine, path: str) -> Node:
    """The node a rename/delete acts on: must exist, not be the root, be writable."""
    if path == "":
        raise ItemError("Invalid path")
    node = engine.tree.get(path)
    if node is None:
        raise ItemError(NOT_FOUND, "not found")
    if node.ext.perm != "rw":
        raise ItemError(NO_WRITE, "no perm")
    return node
