"""Rules ``path-length`` and ``array-index``, and the table of string-array elements.

The element table (``PATH[n]SUFFIX``: which suffix reads and writes which type, in
which range) is schema data, ``x-dms-elements`` on ``ArrayIndexSuffix``;
:func:`array_elements` reads it for a protocol version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..versions import get_version
from .model import Violation, short
from .rules import found


@dataclass(frozen=True)
class Element:
    """What an index suffix means: the element's value type and, if any, its range.

    Args:
        type: the element's value type (``int``, ``double``, ``string``, ``bool``).
        minimum: the smallest value it holds, if bounded.
        maximum: the largest value it holds, if bounded.
    """

    type: str
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class IndexedPath:
    """A parsed ``BASE[index]SUFFIX`` path."""

    base: str
    index: int
    suffix: str
    element: Element


@cache
def array_elements(protocol: str) -> dict[str, Element]:
    """Suffix (``""`` = none) -> ``Element`` for ``protocol``, from its schema.

    Args:
        protocol: the protocol version.

    Returns:
        What each array index suffix means in that version.

    Raises:
        UnknownVersionError: ``protocol`` is not a shipped version.
    """
    suffix_def = get_version(protocol).schemas["request"]["$defs"]["ArrayIndexSuffix"]
    table: dict[str, Any] = suffix_def["x-dms-elements"]
    return {name: Element(spec["type"], spec.get("minimum"), spec.get("maximum"))
            for name, spec in table.items()}


_INDEX_RE = re.compile(r"(?P<base>[^\[\]]*)\[(?P<index>[^\]]*)\](?P<suffix>.*)")


class BadIndex(ValueError):
    """An index part that does not read ``PATH[n]SUFFIX``; the text says why."""


def parse_indexed(path: str, elements: Mapping[str, Element]) -> IndexedPath | None:
    """The index part of ``path``; ``None`` when it has none.

    Raises:
        BadIndex: the path has brackets but no valid ``[n]SUFFIX``.
    """
    if "[" not in path and "]" not in path:
        return None
    m = _INDEX_RE.fullmatch(path)
    if m is None or not m.group("index").isdigit() or not m.group("index").isascii():
        raise BadIndex(f"string-array path must read PATH[n]SUFFIX, got {short(path)}")
    suffix = m.group("suffix")
    element = elements.get(suffix)
    if element is None:
        known = ", ".join(sorted(s for s in elements if s))
        raise BadIndex(f"unknown index suffix {suffix!r}; known: {known}")
    index = int(m.group("index"))
    if index < 1:
        raise BadIndex("array index starts at 1")
    return IndexedPath(m.group("base"), index, suffix, element)


def check_array_index(value: Any, ptr: str, params: Mapping[str, Any], ctx: Any,
                      out: list[Violation]) -> None:
    """Rule ``array-index``; a written path (``x-dms-maxIndex``) also bounds the index."""
    if type(value) is not str:
        return
    try:
        indexed = parse_indexed(value, ctx.elements)
    except BadIndex as exc:
        out.append(found("array-index", ptr, value, str(exc)))
        return
    limit = params.get("x-dms-maxIndex")
    if indexed is not None and limit is not None and indexed.index > int(limit):
        out.append(found("array-index", ptr, value,
                         f"array index {indexed.index} outside 1..{limit} for a write (3.1.4)"))


def check_path_length(value: Any, ptr: str, params: Mapping[str, Any], ctx: Any,
                      out: list[Violation]) -> None:
    """Rule ``path-length``: at most ``x-dms-maxLength`` characters."""
    limit = int(params["x-dms-maxLength"])
    if type(value) is str and len(value) > limit:
        out.append(found("path-length", ptr, value,
                         f"path has {len(value)} characters; a DMS stores at most {limit} "
                         "and rejects longer writes (3.1.5)"))


__all__ = ["Element", "BadIndex", "IndexedPath", "array_elements", "check_array_index",
           "check_path_length", "parse_indexed"]
