"""Which elements of an array need the exact look: those the fast validator refuses.

The exact checks (the pure-Python JSON Schema validator, the annotation rules) cost
microseconds per array element, and an answer may hold 610,000 history entries: a
frame refused for one wrong element, or for one entry over the cap, would have every
element checked again the slow way.  A :class:`Screen` asks a compiled jsonschema-rs
validator of the array's ``items`` schema which elements fail; only those are checked
exactly, the others are known to pass.  So the exact path costs a few fast passes
over a long array plus the exact check of its failing elements.  A short array is not
screened: its few elements cost less checked exactly than a fast pass over all they
hold (a one-item answer holding 610,000 history entries).

This trusts the fast validator on the elements it accepts exactly as :func:`validate`
trusts it on a frame it accepts (the property tests hold the two to agree); where it
cannot judge (a value it cannot represent), every element is checked exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import jsonschema_rs

SHORT = 16
"""Arrays of at most this many elements are checked exactly, element by element."""


def _as_is(schema: Any) -> Any:
    return schema


class Screen:
    """The fast check of the elements of an array that ``items`` schemas describe.

    Args:
        items: the ``items`` schemas that all apply to each element.
        defs: the ``$defs`` their ``$ref`` point into.
        prepare: what to make of the schema before compiling it (the strict twin, for
            the annotation rules).
    """

    def __init__(self, items: tuple[Any, ...], defs: Mapping[str, Any],
                 prepare: Callable[[Any], Any] = _as_is) -> None:
        self.items = items
        self.defs = defs
        self.prepare = prepare
        self._validator = jsonschema_rs.Draft202012Validator(
            prepare({"allOf": [{"items": s} for s in items], "$defs": dict(defs)}))

    def joined(self, other: Screen) -> Screen:
        """The screen of an array both ``self`` and ``other`` describe."""
        return Screen(self.items + other.items, self.defs, self.prepare)

    def to_check(self, array: Sequence[Any]) -> Sequence[int]:
        """The indexes, in order, of the elements to check exactly.

        Those the fast validator refuses; every index of a short array, and where the
        fast validator cannot judge.

        A failing part is halved and its halves checked again: one failing element
        costs about two more fast passes over the array, many cost at most one pass
        per halving (20 for 610,000 elements).

        Args:
            array: the array's elements.

        Returns:
            The indexes; none when every element of a long array passes.
        """
        if len(array) <= SHORT:
            return range(len(array))
        try:
            if self._validator.is_valid(array):
                return ()
            return list(self._within(array, 0, len(array)))
        except (ValueError, OverflowError):
            return range(len(array))

    def _within(self, array: Sequence[Any], start: int, stop: int) -> Iterator[int]:
        """The failing indexes of ``array[start:stop]``, a part known to fail."""
        if stop - start == 1:
            yield start
            return
        middle = (start + stop) // 2
        first = not self._validator.is_valid(array[start:middle])
        if first:
            yield from self._within(array, start, middle)
        # a failing part whose first half passes fails in its second half
        if not first or not self._validator.is_valid(array[middle:stop]):
            yield from self._within(array, middle, stop)


__all__ = ["SHORT", "Screen"]
