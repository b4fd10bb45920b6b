"""Indexed access to string arrays: ``PATH[n]SUFFIX`` on a string ``(a,b,c)`` or ``{a,b,c}``.

Document 3.1.4: the first index is 1; reading past the end is an error; a write
may use 1..1024 and grows the array, filling new elements with ``NULL``. The
suffix picks the element type: none = int (v1.4) or ``DWU`` (v1.5), ``BIT`` =
bool, ``FLT`` = double; v1.5 adds ``BYS BYU WOS WOU DWS DWU`` and ``STR``. What each
suffix means (type and range) is the schema's element table (``x-dms-elements``,
read by :func:`dmsproto.validation.array_elements`), shared with the validator.
Booleans are read from ``T``/``F`` (also ``1``/``0``, ``true``/``false``) and
written as ``T``/``F`` as in the document's example; a ``NULL`` element reads
as ``null``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, cast

from ..validation import array_elements
from ..versions import DEFAULT_VERSION
from .messages import TYPE_MISMATCH, out_of_range
from .tree import ValueType

_REF_RE = re.compile(r"^(.*)\[([^\]]*)\]([A-Za-z]*)$")


class ArrayError(ValueError):
    """An indexed access failed; the text is the item's error message."""


@dataclass(frozen=True)
class ArrayRef:
    """A parsed ``BASE[index]SUFFIX`` path."""

    base: str
    index: int
    suffix: str
    type: ValueType
    bounds: tuple[int, int] | None


def parse_ref(path: str, protocol: str = DEFAULT_VERSION) -> ArrayRef | None:
    """Parse an indexed path; ``None`` when ``path`` has no index part.

    Args:
        path: the path as requested.
        protocol: a version with schemas (its element table applies).
    """
    m = _REF_RE.match(path)
    if m is None:
        return None
    base, digits, suffix = m.group(1), m.group(2), m.group(3)
    if not digits.isdigit():
        raise ArrayError(f"Invalid array index '{digits}'")
    element = array_elements(protocol).get(suffix.upper())
    if element is None:
        raise ArrayError(f"Unknown array type suffix '{suffix}'")
    bounds = None
    if element.minimum is not None and element.maximum is not None:
        bounds = (element.minimum, element.maximum)
    return ArrayRef(base, int(digits), suffix.upper(), cast(ValueType, element.type), bounds)


def split_array(text: object) -> tuple[str, str, list[str]]:
    """Split ``(a,b,c)``/``{a,b,c}`` into brackets and elements."""
    if not isinstance(text, str) or len(text) < 2 or text[0] not in "({" or text[-1] not in ")}":
        raise ArrayError("Data point is not a string array")
    inner = text[1:-1]
    return text[0], text[-1], (inner.split(",") if inner != "" else [])


def read_element(text: object, ref: ArrayRef) -> Any:
    """The element at ``ref.index`` converted to the suffix's type."""
    _, _, elements = split_array(text)
    if not 1 <= ref.index <= len(elements):
        raise ArrayError(f"Array index {ref.index} out of range (1..{len(elements)})")
    raw = elements[ref.index - 1].strip()
    if raw == "NULL":
        return None
    return _decode(raw, ref)


def write_element(text: object, ref: ArrayRef, value: Any, max_index: int) -> str:
    """``text`` with element ``ref.index`` replaced by ``value`` (growing with NULLs).

    ``max_index`` is the highest index a write may name (the schema's).
    """
    opening, closing, elements = split_array(text)
    if not 1 <= ref.index <= max_index:
        raise ArrayError(f"Array index {ref.index} out of range (1..{max_index})")
    encoded = _encode(value, ref)
    while len(elements) < ref.index:
        elements.append("NULL")
    elements[ref.index - 1] = encoded
    return opening + ",".join(elements) + closing


def _decode(raw: str, ref: ArrayRef) -> Any:
    if ref.type == "bool":
        low = raw.lower()
        if low in ("t", "1", "true"):
            return True
        if low in ("f", "0", "false"):
            return False
        raise ArrayError(f"Array element '{raw}' is not a bool")
    if ref.type == "double":
        try:
            return float(raw)
        except ValueError:
            raise ArrayError(f"Array element '{raw}' is not a double") from None
    if ref.type == "string":
        return raw
    try:
        return int(raw)
    except ValueError:
        raise ArrayError(f"Array element '{raw}' is not an int") from None


def _encode(value: Any, ref: ArrayRef) -> str:
    mismatch = ArrayError(TYPE_MISMATCH)
    if ref.type == "bool":
        if not isinstance(value, bool):
            raise mismatch
        return "T" if value else "F"
    if ref.type == "double":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise mismatch
        return repr(float(value))
    if ref.type == "string":
        if not isinstance(value, str):
            raise mismatch
        if any(c in value for c in ",(){}"):
            raise ArrayError("Array elements cannot contain ',', brackets or braces")
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise mismatch
    if ref.bounds is not None and not ref.bounds[0] <= value <= ref.bounds[1]:
        raise ArrayError(out_of_range(ref.suffix or "int", *ref.bounds))
    return str(value)
