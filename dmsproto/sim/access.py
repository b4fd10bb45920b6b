"""Access types (``accType``): what a datapoint can hold, and enforcing it on writes.

The access types are the schema's (``extInfos.accType``: ``int8`` ... ``uint64``,
``double32``, ``double64``, ``string``, ``bool``, ``none``, 3.2.6); what each admits
follows from its name: ``intN`` is a signed N-bit integer, ``uintN`` an unsigned
one, ``double32`` a finite IEEE single (magnitude at most 3.4028235e38),
``double64`` a finite double, and the others hold exactly their value type. A
write outside its datapoint's access type is answered like the document's error
examples (3.3.1): code ``error``, the path, and "Data type doesn't match" for the
wrong kind of value or "Value out of range (uint8: 0 to 255)" for a number that
does not fit.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from typing import Any

from .messages import out_of_range
from .tree import ValueType
from .wire import ACC_TYPES

#: largest finite IEEE 754 single-precision value
FLOAT32_MAX = 3.4028234663852886e38

_INTEGER = re.compile(r"^(u?)int([0-9]+)$")
_DOUBLE = {"double32": FLOAT32_MAX, "double64": sys.float_info.max}
_PLAIN: dict[str, ValueType] = {"string": "string", "bool": "bool", "none": "none"}


@dataclass(frozen=True)
class AccessType:
    """One access type: the value type it holds and, for numbers, its bounds."""

    name: str
    kind: ValueType
    low: float = -math.inf
    high: float = math.inf

    def check(self, value: Any) -> None:
        """Refuse a value of the datapoint's type that this access type cannot hold.

        Raises:
            ValueError: the value does not fit; the text is the item's message.
        """
        if self.kind not in ("int", "double"):
            return
        finite = self.kind == "int" or math.isfinite(value)
        if not finite or not self.low <= value <= self.high:
            raise ValueError(out_of_range(self.name, self.low, self.high))


def _define(name: str) -> AccessType:
    m = _INTEGER.match(name)
    if m is not None:
        bits = int(m.group(2))
        if m.group(1):
            return AccessType(name, "int", 0, 2**bits - 1)
        return AccessType(name, "int", -(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    if name in _DOUBLE:
        return AccessType(name, "double", -_DOUBLE[name], _DOUBLE[name])
    if name in _PLAIN:
        return AccessType(name, _PLAIN[name])
    raise RuntimeError(f"access type {name!r} of the schema is unknown here: update access.py")


#: every access type of the schema, by name
ACCESS_TYPES: dict[str, AccessType] = {name: _define(name) for name in ACC_TYPES}

#: the access type a datapoint reports and obeys when its plant names none
DEFAULT_ACC_TYPE: dict[ValueType, str] = {
    "int": "int32",
    "double": "double64",
    "string": "string",
    "bool": "bool",
    "none": "none",
}


def access_type(name: str | None, kind: ValueType) -> AccessType:
    """The access type ``name`` (or the default of ``kind``)."""
    return ACCESS_TYPES[name or DEFAULT_ACC_TYPE[kind]]


def fits(name: str, kind: ValueType) -> bool:
    """Whether access type ``name`` exists and holds values of type ``kind``."""
    known = ACCESS_TYPES.get(name)
    return known is not None and known.kind == kind


def as_number(value: Any, kind: ValueType) -> Any:
    """``value`` as stored in a ``kind`` datapoint.

    Ints written to a double become floats (an integer too large for a double is out
    of any range).
    """
    if kind == "double" and not isinstance(value, float):
        try:
            return float(value)
        except OverflowError:
            return math.inf
    return value


__all__ = ["ACCESS_TYPES", "DEFAULT_ACC_TYPE", "FLOAT32_MAX", "AccessType", "access_type",
           "as_number", "fits"]
