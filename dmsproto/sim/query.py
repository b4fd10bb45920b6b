"""The ``query`` object of get and subscribe: parsing, matching and tree search.

Depth: ``maxDepth`` 1 (default) searches the children of ``path`` (the
document's example "get first child paths" uses ``"path": ""`` with an empty
query); n searches n levels below ``path``; 0 searches the whole subtree. The
start node itself is never a match of a get. A subscription evaluates the same
rules against the changed node when the event happens, and its own node is in
its scope too (:meth:`Query.in_scope`; see :mod:`.subscriptions` for why).

Regular expressions: the DMS uses PCRE 8.35 (Perl syntax) and, like
``pcre_exec`` without ``PCRE_ANCHORED``, finds a match anywhere in the subject:
the document's ``^(?!BMO).*$`` needs its ``^`` for that reason. Patterns are
compiled as the validator judges them (:func:`dmsproto.validation.regex.compile_pcre`:
PCRE2 with PCRE 8.35's differences evened out) and searched in the full path, the
value text and the stamp text (server format, ``""`` for a null stamp), so a
pattern the validator accepts is one the simulator runs.

Protocol v1.3 names the change-log filter ``hasProtData`` ("protocol data";
renamed ``hasChangelog`` in v1.4); it means the same here: the datapoint has a
change-log group. The v1.3 table prints ``hasProtocolData``, but the v1.4
history says "hasProtData changed to hasChangelog"; we take ``hasProtData``.

Value text: bools ``true``/``false``, ints in decimal, doubles in Python's
shortest repr (``21.5``, ``3.0``), strings as they are, ``none`` nodes ``""``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..validation.regex import Matcher, PatternRefused, compile_pcre
from ..versions import DEFAULT_VERSION, at_least
from .limits import MAX_QUERY_MATCHES
from .messages import UNKNOWN_TYPE, invalid_regex, too_many
from .tree import VALUE_TYPES, Node
from .wire import UNSET, wire_names


def changelog_flag(protocol: str) -> str:
    """The generated ``Query`` attribute that filters on change logs in ``protocol``."""
    return "has_changelog" if at_least(protocol, "1.4") else "has_prot_data"


class QueryError(ValueError):
    """The query object is unusable; the text is the item's error message."""


class TooManyMatches(QueryError):
    """More datapoints matched than the limit (3.2.2: the query is aborted with an error)."""


StampText = Callable[[datetime | None], str]


@dataclass(frozen=True)
class Query:
    """A parsed query."""

    path_re: Matcher | None = None
    value_re: Matcher | None = None
    stamp_re: Matcher | None = None
    types: frozenset[str] | None = None
    has_hist: bool = False
    has_changelog: bool = False
    has_alarm: bool = False
    max_depth: int = 1

    def in_depth(self, rel_depth: int) -> bool:
        """Whether a node ``rel_depth`` levels below the start lies in a get's search."""
        return rel_depth >= 1 and (self.max_depth == 0 or rel_depth <= self.max_depth)

    def in_scope(self, rel_depth: int) -> bool:
        """Whether a subscription's events include a node ``rel_depth`` levels below its path.

        They do for the subscribed node itself (0) and the nodes a get would search.
        """
        return rel_depth == 0 or self.in_depth(rel_depth)

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


def parse_query(raw: Any, protocol: str = DEFAULT_VERSION) -> Query:
    """Build a :class:`Query` from the request's generated ``Query`` struct."""
    names = wire_names(raw.__class__)
    return Query(
        path_re=_regex(raw.reg_ex_path, names["reg_ex_path"]),
        value_re=_regex(raw.reg_ex_value, names["reg_ex_value"]),
        stamp_re=_regex(raw.reg_ex_stamp, names["reg_ex_stamp"]),
        types=_types(raw.is_type),
        has_hist=raw.has_hist_data is True,
        has_changelog=getattr(raw, changelog_flag(protocol), UNSET) is True,
        has_alarm=raw.has_alarm_data is True,
        max_depth=1 if raw.max_depth is UNSET else raw.max_depth,
    )


def search(start: Node, query: Query, stamp_text: StampText,
           limit: int = MAX_QUERY_MATCHES) -> list[Node]:
    """Matching nodes below ``start`` in pre-order (children sorted by name).

    Raises:
        TooManyMatches: more than ``limit`` matched (the query is aborted).
    """
    found: list[Node] = []
    for node, _ in start.walk(query.max_depth):
        if query.matches(node, stamp_text):
            found.append(node)
            if len(found) > limit:
                raise TooManyMatches(too_many("matching data points", limit))
    return found


def _regex(pattern: Any, name: str) -> Matcher | None:
    """The query pattern compiled as a DMS compiles it (PCRE, section 3.2.2)."""
    if pattern is UNSET or pattern == "":
        return None
    try:
        return compile_pcre(pattern)
    except PatternRefused:
        raise QueryError(invalid_regex(name, None)) from None


def _types(raw: Any) -> frozenset[str] | None:
    if raw is UNSET:
        return None
    names = {t.strip() for t in raw.split(",") if t.strip()}
    bad = sorted(names - set(VALUE_TYPES))
    if bad:
        raise QueryError(UNKNOWN_TYPE.format(bad[0]))
    return frozenset(names) if names else None
