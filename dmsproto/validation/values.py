"""Rules ``value-type`` and ``none-type``: a value agrees with its type.

``value-type`` (set items, response items, events): ``int`` is a whole number
(``2.0`` counts: JSON writers may add the fraction) within 64 bits, ``double`` any
number (an integer literal too: 3.3.2 and the examples), ``string`` a string,
``bool`` a boolean (2.3: a string ``"FALSE"`` would read as true).  ``null`` is
allowed with any type (a node without data, a ``NULL`` array element).  A path
with an index part names an array element: the suffix's type and range apply
(``x-dms-elements``), and a ``type`` member must name the suffix's type.

``none-type`` (response items, events): type ``none`` is a node without value:
``value`` and ``stamp`` are null (2.8, 3.2.6).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from .model import Violation, short
from .paths import BadIndex, Element, parse_indexed
from .rules import found

INT_RANGE = (-(2**63), 2**64 - 1)
"""Widest integer any DMS access type holds (int64 .. uint64, 3.2.6 accType)."""

DOUBLE_MAX = sys.float_info.max
"""Largest magnitude a double holds (double64, 3.2.6 accType): an integer literal beyond it
is no double (the JSON reader refuses ``1e999`` for the same reason)."""


def _mismatch(value: Any, vtype: str, element: Element | None = None) -> str | None:
    """Why ``value`` is no ``vtype`` value (``None`` when it is one)."""
    kind = type(value)
    if vtype == "int":
        if kind is float and value.is_integer():
            value = int(value)
        elif kind is not int:
            return f"{short(value)} is not a whole number"
        low, high = INT_RANGE
        if element is not None and element.minimum is not None and element.maximum is not None:
            low, high = element.minimum, element.maximum
        if not low <= value <= high:
            return f"{short(value)} is out of range {low}..{high}"
        return None
    if vtype == "double":
        if kind is int:
            return None if -DOUBLE_MAX <= value <= DOUBLE_MAX else \
                f"{short(value)} is beyond the range of a double"
        return None if kind is float else f"{short(value)} is not a number"
    if vtype == "string":
        return None if kind is str else f"{short(value)} is not a string"
    if vtype == "bool":
        return None if kind is bool else f"{short(value)} is not a boolean"
    return None


def check_value_type(item: Any, ptr: str, params: Mapping[str, Any], ctx: Any,
                     out: list[Violation]) -> None:
    """Rule ``value-type`` on one item (an object with ``value`` and maybe ``type``)."""
    if type(item) is not dict:
        return
    vtype = item.get("type")
    element: Element | None = None
    path = item.get("path")
    if type(path) is str:
        try:
            indexed = parse_indexed(path, ctx.elements)
        except BadIndex:
            indexed = None  # the array-index rule reports it
        if indexed is not None:
            element = indexed.element
            if type(vtype) is str and vtype != element.type:
                out.append(found("value-type", f"{ptr}/type", vtype,
                                 f"type {vtype} does not match the element type {element.type}"
                                 f" of {path!r} (3.1.4)"))
                return
            vtype = element.type
    if type(vtype) is not str or "value" not in item:
        return
    value = item["value"]
    if value is None or type(value) in (dict, list):
        return  # null fits any type; an object or array is the schema's to report
    why = _mismatch(value, vtype, element)
    if why is not None:
        what = f"element {path!r}" if element is not None else f"type {vtype}"
        out.append(found("value-type", f"{ptr}/value", value, f"{why}, as {what} needs"))


def check_none_type(item: Any, ptr: str, params: Mapping[str, Any], ctx: Any,
                    out: list[Violation]) -> None:
    """Rule ``none-type``: a ``none`` node carries neither value nor stamp."""
    if type(item) is not dict or item.get("type") != "none":
        return
    for member in ("value", "stamp"):
        if item.get(member) is not None:
            out.append(found("none-type", f"{ptr}/{member}", item[member],
                             f"a node of type none has {member} null, not "
                             f"{short(item[member])} (2.8)"))


__all__ = ["DOUBLE_MAX", "INT_RANGE", "check_none_type", "check_value_type"]
