"""``parse_indexed``: how a string-array path is read, and what a bad one is told.

The rules ``array-index`` and ``value-type`` build on it; here its answers are
compared whole, one kind of path at a time.
"""

from __future__ import annotations

import pytest

from dmsproto.validation.paths import BadIndex, IndexedPath, array_elements, parse_indexed

ELEMENTS = array_elements("1.4")


def test_a_path_without_brackets_has_no_index() -> None:
    assert parse_indexed("A:B", ELEMENTS) is None


@pytest.mark.parametrize(("path", "base", "index", "suffix"), [
    ("A:B[2]", "A:B", 2, ""),
    ("A:B[17]BIT", "A:B", 17, "BIT"),
    ("A:B[1]FLT", "A:B", 1, "FLT"),
])
def test_an_indexed_path_is_split_into_base_index_and_suffix(path: str, base: str, index: int,
                                                           suffix: str) -> None:
    assert parse_indexed(path, ELEMENTS) == IndexedPath(base, index, suffix, ELEMENTS[suffix])


@pytest.mark.parametrize("path", ["A:B]", "A:B[", "A:B[x]", "A:B[]"])
def test_a_lone_or_empty_bracket_is_refused_with_the_path(path: str) -> None:
    with pytest.raises(BadIndex) as caught:
        parse_indexed(path, ELEMENTS)
    assert str(caught.value) == f'string-array path must read PATH[n]SUFFIX, got "{path}"'


def test_an_unknown_suffix_is_refused_with_the_known_ones() -> None:
    with pytest.raises(BadIndex) as caught:
        parse_indexed("A:B[2]x", ELEMENTS)
    assert str(caught.value) == "unknown index suffix 'x'; known: BIT, FLT"
