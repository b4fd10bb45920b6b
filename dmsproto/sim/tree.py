"""The simulator's datapoint tree: nodes addressed by ``:``-joined paths.

A flat ``path -> Node`` index beside the parent/child links keeps lookups O(1)
for big ``get`` requests while queries and renames still walk the hierarchy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from .._generated.v1_4.common import ValueType as ValueType
from .history import History
from .messages import INVALID_PATH
from .wire import literal_values

#: The value types of the protocol (the same in every version), from the schema.
VALUE_TYPES: tuple[ValueType, ...] = literal_values(ValueType)  # type: ignore[assignment]
SEP = ":"


class PathError(ValueError):
    """A path is syntactically unusable (empty level, root where a node is needed)."""


@dataclass
class AlarmInfo:
    """Alarm configuration copied into the alarm change-log entries of a datapoint."""

    priority: int = 1
    priority_bacnet: int = 0
    alarm_group: int = 0
    alarm_collect_group: int = 0
    site_group: int = 0
    screen: str | None = None


@dataclass
class ExtInfo:
    """Extended infos of one node; name/template are inherited from ancestors."""

    name: str | None = None
    template: str | None = None
    unit: str | None = None
    comment: str | None = None
    changelog_group: str | None = None
    acc_type: str | None = None
    state: str = "ok"
    perm: Literal["rw", "ro", "none"] = "rw"
    log_texts: dict[str, str] = field(default_factory=dict)


@dataclass(eq=False)
class Node:
    """One datapoint (or a value-less ``none`` node)."""

    name: str
    parent: Node | None
    type: ValueType = "none"
    value: Any = None
    stamp: datetime | None = None
    ext: ExtInfo = field(default_factory=ExtInfo)
    history: History | None = None
    alarm: AlarmInfo | None = None
    children: dict[str, Node] = field(default_factory=dict)
    path: str = ""
    depth: int = 0

    def sorted_children(self) -> list[Node]:
        """Children in name order: the order queries report them in."""
        return [self.children[k] for k in sorted(self.children)]

    def walk(self, max_depth: int = 0) -> Iterator[tuple[Node, int]]:
        """Yield (descendant, relative depth) in pre-order; ``max_depth`` 0 = unlimited."""
        stack: list[tuple[Node, int]] = [(c, 1) for c in reversed(self.sorted_children())]
        while stack:
            node, rel = stack.pop()
            yield node, rel
            if max_depth == 0 or rel < max_depth:
                stack.extend((c, rel + 1) for c in reversed(node.sorted_children()))

    def inherited(self, attr: Literal["name", "template"]) -> str | None:
        """name/template: the node's own, else the nearest ancestor's (ProMoS NAME/OBJECT)."""
        node: Node | None = self
        while node is not None:
            found: str | None = getattr(node.ext, attr)
            if found is not None:
                return found
            node = node.parent
        return None


def split_path(path: str) -> list[str]:
    """Split a path into levels; ``""`` is the root (no levels). Empty levels are refused."""
    if path == "":
        return []
    parts = path.split(SEP)
    if any(p == "" for p in parts):
        raise PathError(INVALID_PATH)
    return parts


def parent_path(path: str) -> str:
    """The parent of a non-root path (``""`` for a top-level node)."""
    head, _, _ = path.rpartition(SEP)
    return head


def is_within(path: str, ancestor: str) -> bool:
    """True when ``path`` equals ``ancestor`` or lies below it."""
    return ancestor == "" or path == ancestor or path.startswith(ancestor + SEP)


class Tree:
    """All nodes, with an index by path."""

    def __init__(self) -> None:
        self.root = Node(name="", parent=None)
        self._index: dict[str, Node] = {"": self.root}

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, path: str) -> bool:
        return path in self._index

    def get(self, path: str) -> Node | None:
        """The node at ``path``, or ``None``."""
        return self._index.get(path)

    def nodes(self) -> Iterator[Node]:
        """Every node except the root, in index (creation) order."""
        return (n for p, n in self._index.items() if p != "")

    def ensure(self, path: str) -> tuple[Node, list[Node]]:
        """The node at ``path``, creating it and missing parents as ``none`` nodes.

        Returns the node and the list of nodes created (parents first).
        """
        node = self._index.get(path)
        if node is not None:
            return node, []
        parts = split_path(path)
        if not parts:
            raise PathError(INVALID_PATH)
        created: list[Node] = []
        node = self.root
        for part in parts:
            child = node.children.get(part)
            if child is None:
                child = Node(name=part, parent=node)
                self._attach(node, child)
                created.append(child)
            node = child
        return node, created

    def _attach(self, parent: Node, child: Node) -> None:
        parent.children[child.name] = child
        child.parent = parent
        child.path = child.name if parent.path == "" else parent.path + SEP + child.name
        child.depth = parent.depth + 1
        self._index[child.path] = child

    def subtree(self, node: Node) -> list[Node]:
        """``node`` and all its descendants, pre-order."""
        return [node, *(n for n, _ in node.walk())]

    def remove(self, node: Node) -> list[Node]:
        """Detach ``node`` with its subtree; returns the removed nodes, pre-order."""
        if node is self.root:
            raise PathError("The root cannot be removed")
        removed = self.subtree(node)
        for n in removed:
            del self._index[n.path]
        if node.parent is not None:
            del node.parent.children[node.name]
        return removed

    def move(self, node: Node, new_path: str) -> list[Node]:
        """Move ``node`` (and subtree) to ``new_path``; returns the parents created for it."""
        parts = split_path(new_path)
        if not parts:
            raise PathError(INVALID_PATH)
        if new_path in self._index:
            raise PathError("Destination path already exists")
        if is_within(new_path, node.path):
            raise PathError("A path cannot be moved below itself")
        parent, created = self.ensure(parent_path(new_path)) if len(parts) > 1 else (self.root, [])
        moved = self.remove(node)
        node.name = parts[-1]
        self._attach(parent, node)
        for n in moved[1:]:  # inner links survive the detach: only paths change
            if n.parent is not None:
                self._attach(n.parent, n)
        return created
