"""The write commands: set (incl. create and string-array elements), rename, delete.

Events: a write raises ``onChange`` (value or type changed) and then ``onSet``
(every write); creating a datapoint raises ``onCreate`` for it and for every
parent created on the way (parents first) and nothing else. A rename raises
``onRename`` (with ``newPath``, parents first) and ``onDelete`` (children
first) for every node of the moved subtree under its old path, then
``onCreate`` for new parents and the subtree under the new one; a delete raises
``onDelete`` children first. Subscriptions stay bound to their path.

Event stamps are the time of the event (3.6.4): the written stamp for writes, the
time of the rename or delete for the events those raise (null on ``none`` nodes).

Every write obeys the datapoint's access type (:mod:`.access`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from .access import access_type, as_number
from .arrays import ArrayError, ArrayRef, parse_ref, write_element
from .changelog import LogEntry
from .items import Context, ItemRefused, stamp_field, tag_of, tagged
from .messages import (
    BELOW_ITSELF,
    DESTINATION_EXISTS,
    INVALID_PATH,
    NO_WRITE,
    NOT_EMPTY,
    NOT_FOUND,
    PATH_TOO_LONG,
    TYPE_MISMATCH,
)
from .query import value_text
from .tree import Node, PathError, ValueType, split_path
from .wire import (
    ALARM_LEFT,
    ALARM_OCCURRED,
    HIST_OK,
    NO_PERM,
    OK,
    ON_CHANGE,
    ON_CREATE,
    ON_DELETE,
    ON_RENAME,
    ON_SET,
    REC_CHANGE,
    UNSET,
)
from .wire import NOT_FOUND as NOT_FOUND_CODE

if TYPE_CHECKING:
    from .engine import Engine


def set_item(engine: Engine, ctx: Context, item: Any) -> list[Any]:
    """One ``SetItem`` -> one ``SetResult`` (value, type and stamp after the write)."""
    path: str = item.path
    trigger = ctx.writer()
    value = item.value
    wanted: str | None = None if item.type is UNSET else item.type
    create = item.create is True
    stamp = stamp_field(item.stamp, engine.now(), "stamp")
    check_path_length(engine, path)
    node = engine.tree.get(path)
    if node is None:
        ref = _array_ref(engine, path)
        if ref is not None:
            return [_set_element(engine, ctx, item, ref, trigger, stamp)]
        if not create:
            raise ItemRefused(NOT_FOUND)
        node = create_node(engine, ctx, path, wanted, value, stamp, trigger)
    else:
        if node is engine.tree.root:
            raise ItemRefused(INVALID_PATH)
        if node.ext.perm != "rw":
            raise ItemRefused(NO_WRITE, NO_PERM)
        vtype, converted = convert(node.type, wanted, value, create=create,
                                   acc_type=node.ext.acc_type)
        assign(engine, ctx, node, vtype, converted, stamp, trigger)
    return [engine.wire.response.SetResult(
        code=OK, path=path, value=node.value, type=node.type, stamp=engine.stamp(node.stamp),
        **tagged(tag_of(item)))]


def check_path_length(engine: Engine, path: str) -> None:
    """Refuse a path longer than the engine allows (``ItemRefused``)."""
    if len(path) > engine.max_path_length:
        raise ItemRefused(PATH_TOO_LONG.format(engine.max_path_length))


def _array_ref(engine: Engine, path: str) -> ArrayRef | None:
    try:
        return parse_ref(path, engine.wire.name)
    except ArrayError as exc:
        raise ItemRefused(str(exc)) from None


def _set_element(
    engine: Engine, ctx: Context, item: Any, ref: ArrayRef, trigger: str, stamp: datetime
) -> Any:
    base = engine.tree.get(ref.base)
    if base is None:
        raise ItemRefused(NOT_FOUND)
    if base.ext.perm != "rw":
        raise ItemRefused(NO_WRITE, NO_PERM)
    if item.type is not UNSET and item.type != ref.type:
        raise ItemRefused(TYPE_MISMATCH)
    value = item.value
    if ref.type == "double" and isinstance(value, int) and not isinstance(value, bool):
        value = as_number(value, "double")
    try:
        text = write_element(base.value if base.type == "string" else None, ref, value,
                             engine.wire.max_write_index)
    except ArrayError as exc:
        raise ItemRefused(str(exc)) from None
    assign(engine, ctx, base, "string", text, stamp, trigger)
    return engine.wire.response.SetResult(
        code=OK, path=item.path, value=value, type=ref.type, stamp=engine.stamp(base.stamp),
        **tagged(tag_of(item)))


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


def convert(current: ValueType, wanted: str | None, value: Any, *, create: bool,
            acc_type: str | None = None) -> tuple[ValueType, Any]:
    """Check a write against the datapoint's type and access type.

    Returns the type and the stored value.

    An integer may be written to a double; a ``none`` node takes a value only
    with ``create`` (it then becomes a datapoint of the value's type, with that
    type's default access type).
    """
    given = json_type(value)
    target: ValueType = cast(ValueType, wanted) if wanted is not None else given
    if wanted is not None and not (given == wanted or (given == "int" and wanted == "double")):
        raise ItemRefused(TYPE_MISMATCH)
    if current == "none":
        if value is None and wanted is None:
            return "none", None
        if not create or value is None:
            raise ItemRefused(TYPE_MISMATCH)
        current, acc_type = target, None
    if not (target == current or (target == "int" and current == "double")):
        raise ItemRefused(TYPE_MISMATCH)
    value = as_number(value, current)
    try:
        access_type(acc_type, current).check(value)
    except ValueError as exc:
        raise ItemRefused(str(exc)) from None
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
            raise PathError(INVALID_PATH)
    except PathError as exc:
        raise ItemRefused(str(exc)) from None
    vtype, converted = convert("none", wanted, value, create=True)
    node, created = engine.tree.ensure(path)
    node.type, node.value = vtype, converted
    node.stamp = None if vtype == "none" else stamp
    for new in created:
        engine.emit(ctx.sink, ON_CREATE, new, trigger)
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
        node.history.record(stamp.timestamp(), float(value), HIST_OK, REC_CHANGE)
    if changed and node.ext.changelog_group is not None:
        _log_change(engine, node, old_text, stamp)
    if changed:
        engine.emit(ctx.sink, ON_CHANGE, node, trigger)
    engine.emit(ctx.sink, ON_SET, node, trigger)


def _log_change(engine: Engine, node: Node, old_text: str, stamp: datetime) -> None:
    group = node.ext.changelog_group
    if group is None:
        return
    new_text = value_text(node)
    label = node.ext.name or node.path
    text = node.ext.log_texts.get(new_text, f"{label}: {old_text} -> {new_text}")
    state = None
    if node.alarm is not None:
        state = ALARM_OCCURRED if node.value else ALARM_LEFT
    engine.logs.add(group, LogEntry(node.path, stamp, text, state, node.alarm))


def rename_item(engine: Engine, ctx: Context, item: Any) -> list[Any]:
    """One ``RenameItem`` -> one ``RenameResult``; the subtree moves with its events."""
    path: str = item.path
    new_path: str = item.new_path
    trigger = ctx.writer()
    node = _existing(engine, path)
    check_path_length(engine, new_path)
    try:
        if not split_path(new_path):
            raise PathError(INVALID_PATH)
    except PathError as exc:
        raise ItemRefused(str(exc)) from None
    if new_path in engine.tree:
        raise ItemRefused(DESTINATION_EXISTS)
    if new_path.startswith(path + ":"):
        raise ItemRefused(BELOW_ITSELF)
    now = engine.now()
    moved = engine.tree.subtree(node)
    old_paths = [n.path for n in moved]
    for n, old in zip(moved, old_paths, strict=True):
        engine.emit(ctx.sink, ON_RENAME, n, trigger, new_path=new_path + old[len(path):],
                    at=now)
    for n in reversed(moved):
        engine.emit(ctx.sink, ON_DELETE, n, trigger, at=now)
    created = engine.tree.move(node, new_path)
    for n, old in zip(moved, old_paths, strict=True):
        engine.logs.moved(old, n.path)
    for n in [*created, *moved]:
        engine.emit(ctx.sink, ON_CREATE, n, trigger, at=now)
    return [engine.wire.response.RenameResult(code=OK, path=path, new_path=new_path,
                                              **tagged(tag_of(item)))]


def delete_item(engine: Engine, ctx: Context, item: Any) -> list[Any]:
    """One ``DeleteItem`` -> one ``DeleteResult``; ``recursive`` takes the subtree."""
    path: str = item.path
    recursive = item.recursive is True
    trigger = ctx.writer()
    node = _existing(engine, path)
    if node.children and not recursive:
        raise ItemRefused(NOT_EMPTY)
    doomed = engine.tree.subtree(node)
    if any(n.ext.perm != "rw" for n in doomed):
        raise ItemRefused(NO_WRITE, NO_PERM)
    now = engine.now()
    for n in reversed(doomed):
        engine.emit(ctx.sink, ON_DELETE, n, trigger, at=now)
    engine.tree.remove(node)
    for n in doomed:
        engine.logs.deleted(n.path)
    return [engine.wire.response.DeleteResult(code=OK, path=path, **tagged(tag_of(item)))]


def _existing(engine: Engine, path: str) -> Node:
    """The node a rename/delete acts on: must exist, not be the root, be writable."""
    if path == "":
        raise ItemRefused(INVALID_PATH)
    node = engine.tree.get(path)
    if node is None:
        raise ItemRefused(NOT_FOUND, NOT_FOUND_CODE)
    if node.ext.perm != "rw":
        raise ItemRefused(NO_WRITE, NO_PERM)
    return node
