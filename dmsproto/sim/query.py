"""The ``query`` object of get and subscribe: parsing, matching and tree search.

Depth: ``maxDepth`` 1 (default) searches the children of ``path`` (the
document's example "get first child paths" uses ``"path": ""`` with an empty
query); n searches n levels below ``path``; 0 searches the whole subtree. The
start node itself is never a match. A subscription evaluates the same rules
against the changed node when the event happens.

Regular expressions: the DMS uses PCRE 8.35 (Perl syntax) and, like
``pcre_exec`` without ``PCRE_ANCHORED``, finds a match anywhere in the subject:
the document's ``^(?!BMO).*$`` needs its ``^`` for that reason. We use Python's
``re.search`` on the full path, the value text and the stamp text (server
format, ``""`` for a null stamp). Differences from PCRE worth knowing: no
``\\Q...\\E``, no recursion ``(?R)``/subroutines ``(?1)``, no ``\\K``, no
backtracking verbs ``(*SKIP)(*FAIL)``, no ``\\p{..}`` properties, ``\\h``/``\\R``/``\\X``;
``(?<name>...)`` is rewritten to Python's ``(?P<name>...)``. Atomic groups and
possessive quantifiers work (Python 3.11+).

Protocol v1.3 names the change-log filter ``hasProtData`` ("protocol data";
renamed ``hasChangelog`` in v1.4); it means the same here: the datapoint has a
change-log group. The v1.3 table prints ``hasProtocolData``, but the v1.4
history says "hasProtData changed to hasChangelog"; we take ``hasProtData``.

Value text: bools ``true``/``false``, ints in decimal, doubles in Python's
shortest repr (``21.5``, ``3.0``), strings as they are, ``none`` nodes ``""``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..versions import at_least
from .tree import VALUE_TYPES, Node

#: A query matching more datapoints than this is aborted (document 3.2.2).
MAX_QUERY_MATCHES = 100_000

_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")
_COMMON_FIELDS = {
    "regExPath",
    "regExValue",
    "regExStamp",
    "isType",
    "hasHistData",
    "hasAlarmData",
    "maxDepth",
}
_FIELDS = _COMMON_FIELDS | {"hasChangelog"}


def changelog_flag(protocol: str) -> str:
    """The query member that filters on change logs in ``protocol``."""
    return "hasChangelog" if at_least(protocol, "1.4") else "hasProtData"


class QueryError(ValueError):
    """The query object is unusable; the text is the item's error message."""


class TooManyMatches(QueryError):
    """More than :data:`MAX_QUERY_MATCHES` datapoints matched."""


StampText = Callable[[datetime | None], str]


@dataclass(frozen=True)
class Query:
    """A parsed query."""

    path_re: re.Pattern[str] | None = None
    value_re: re.Pattern[str] | None = None
    stamp_re: re.Pattern[str] | None = None
    types: frozenset[str] | None = None
    has_hist: bool = False
    has_changelog: bool = False
    has_alarm: bool = False
    max_depth: int = 1

    def in_depth(self, rel_depth: int) -> bool:
        """Whether a node ``rel_depth`` levels below the start lies in the search."""
        return rel_depth >= 1 and (self.max_depth == 0 or rel_depth <= self.max_depth)

    def matches(self, node: Node, stamp_text: StampText) -> bool:
        """All filters hold for ``node`` (depth is checked by the caller)."""
        if self.types is not None and node.type not in self.types:
            return False
        if self.has_hist and node.history is None:
            return False
        if self.has_changelog and node.ext.changelog_group is None:
            return False
        if self.has_alarm and node.alarm is None:
            return False
        if self.path_re is not None and self.path_re.search(node.path) is None:
            return False
        if self.value_re is not None and self.value_re.search(value_text(node)) is None:
            return False
        return self.stamp_re is None or self.stamp_re.search(stamp_text(node.stamp)) is not None


def value_text(node: Node) -> str:
    """The text a value regex is matched against."""
    value = node.value
    if node.type == "none" or value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def parse_query(raw: object, protocol: str = "1.4") -> Query:
    """Build a :class:`Query` from the request's object, checking every member."""
    if not isinstance(raw, dict):
        raise QueryError("query must be an object")
    flag = changelog_flag(protocol)
    unknown = sorted(set(raw) - _COMMON_FIELDS - {flag})
    if unknown:
        raise QueryError(f"Unknown query field '{unknown[0]}'")
    return Query(
        path_re=_regex(raw, "regExPath"),
        value_re=_regex(raw, "regExValue"),
        stamp_re=_regex(raw, "regExStamp"),
        types=_types(raw.get("isType")),
        has_hist=_flag(raw, "hasHistData"),
        has_changelog=_flag(raw, flag),
        has_alarm=_flag(raw, "hasAlarmData"),
        max_depth=_depth(raw.get("maxDepth", 1)),
    )


def search(start: Node, query: Query, stamp_text: StampText) -> list[Node]:
    """Matching nodes below ``start`` in pre-order (children sorted by name)."""
    found: list[Node] = []
    for node, _ in start.walk(query.max_depth):
        if query.matches(node, stamp_text):
            found.append(node)
            if len(found) > MAX_QUERY_MATCHES:
                raise TooManyMatches(
                    f"Query aborted: more than {MAX_QUERY_MATCHES:,} matches".replace(",", "'")
                )
    return found


def _regex(raw: dict[str, Any], key: str) -> re.Pattern[str] | None:
    pattern = raw.get(key)
    if pattern is None or pattern == "":
        return None
    if not isinstance(pattern, str):
        raise QueryError(f"{key} must be a string")
    try:
        return re.compile(_NAMED_GROUP.sub("(?P<", pattern))
    except re.error as exc:
        raise QueryError(f"Invalid regular expression in {key}: {exc}") from None


def _types(raw: object) -> frozenset[str] | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise QueryError("isType must be a string")
    names = {t.strip() for t in raw.split(",") if t.strip()}
    bad = sorted(names - set(VALUE_TYPES))
    if bad:
        raise QueryError(f"Unknown type '{bad[0]}' in isType")
    return frozenset(names) if names else None


def _flag(raw: dict[str, Any], key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise QueryError(f"{key} must be a boolean")
    return value


def _depth(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0 or raw != int(raw):
        raise QueryError("maxDepth must be a whole number >= 0")
    return int(raw)
