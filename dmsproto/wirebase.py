"""Hand-written building blocks that the generated wire types stand on.

The code generator maps every schema object to a subclass of one of the two
base structs below (chosen by the schema's ``additionalProperties``), and the
trend entry, which JSON Schema describes with ``if/then/else``, to
``HistEntry``.  Nothing here knows field names: those live in ``schema/``.
"""

from __future__ import annotations

from typing import Any

import msgspec


class WireStruct(msgspec.Struct, kw_only=True, omit_defaults=True, repr_omit_defaults=True):
    """A protocol object that tolerates unknown members (what the server sends)."""


class StrictWireStruct(WireStruct, forbid_unknown_fields=True):
    """A protocol object that refuses unknown members (what a client sends)."""


class HistEntry:
    """One trend entry, in either wire form.

    ``compact`` entries are ``{"<stamp>": value}`` on the wire; ``detail``
    holds the version's detail struct (stamp, value, state, rec, ...).  Both
    expose ``stamp`` (the server's text) and ``value``; an entry re-encodes to
    the form it was decoded from.

    Args:
        stamp: the timestamp as the server wrote it.
        value: the recorded value.
        detail: the version's detail struct, for a ``detail`` entry; ``None`` for
            a compact one.
    """

    __slots__ = ("detail", "stamp", "value")

    def __init__(self, stamp: str, value: float, detail: msgspec.Struct | None = None) -> None:
        self.stamp = stamp
        self.value = value
        self.detail = detail

    @property
    def is_compact(self) -> bool:
        """True for the ``{"<stamp>": value}`` form."""
        return self.detail is None

    def to_wire(self) -> Any:
        """The JSON-ready form this entry came in.

        Returns:
            ``{stamp: value}`` for a compact entry, the detail struct otherwise.
        """
        if self.detail is None:
            return {self.stamp: self.value}
        return self.detail

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HistEntry):
            return NotImplemented
        return (self.stamp, self.value, self.detail) == (other.stamp, other.value, other.detail)

    def __hash__(self) -> int:
        return hash((self.stamp, self.value))

    def __repr__(self) -> str:
        if self.detail is None:
            return f"HistEntry({self.stamp!r}, {self.value!r})"
        return f"HistEntry({self.detail!r})"
