"""Long arrays with few faults get exactly the findings of an element-by-element check.

The exact path looks only at the array elements the fast validator refuses
(:mod:`dmsproto.validation.screen`).  Here: an answer one entry over its cap (3.2.3:
610,000 history entries; 3.2.4: 100,000 changelog entries), a long answer whose last
element alone is wrong, a bad value deep inside a long array of items, each with its
findings spelled out; and generated arrays with faults anywhere, checked both ways:
screened, and with every element checked exactly (as before the screen).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from dmsproto.sim.limits import MAX_CHANGELOG_ENTRIES, MAX_HIST_ENTRIES
from dmsproto.validation import Violation, validate
from dmsproto.validation.frame import compiled, frame_kind
from dmsproto.validation.screen import SHORT, Screen
from dmsproto.versions import Direction, get_version

STAMP = "2015-04-03T04:33:20,000+02:00"
HIST = {STAMP: 0.95}
LOG = {"stamp": "2016-03-01T11:54:48,536+01:00", "text": "Heizungsventil Aus", "path": "A"}
HIST_SHOWN = '[{"2015-04-03T04:33:20,000+02:00":0.95},{"2015-04-03T04:3...'
LOG_SHOWN = '[{"stamp":"2016-03-01T11:54:48,536+01:00","text":"Heizung...'


def _error(pointer: str, rule: str, value: Any, message: str) -> Violation:
    return Violation(pointer, rule, value, message, "error")


def _warning(pointer: str, rule: str, value: Any, message: str) -> Violation:
    return Violation(pointer, rule, value, message, "warning")


@pytest.mark.parametrize(("protocol", "member"), [
    ("1.3", "histData"), ("1.4", "histData"), ("1.5", "histData"), ("1.5", "histDataPast")])
def test_one_history_entry_over_the_cap(protocol: str, member: str) -> None:
    entries = [HIST] * (MAX_HIST_ENTRIES + 1)
    answer = {"tag": 1, "get": [{"code": "ok", "path": "A", "value": 1.0, "type": "double",
                                 "stamp": None, member: entries}]}
    assert validate(answer, direction="recv", protocol=protocol) == [
        _error(f"/get/0/{member}", "maxItems", entries,
               f"{HIST_SHOWN} has 610,001 items; at most 610000 allowed")]


def test_one_changelog_entry_over_the_cap() -> None:
    entries = [LOG] * (MAX_CHANGELOG_ENTRIES + 1)
    read = {"changelogRead": [{"code": "ok", "group": "ABS1", "changelog": entries}]}
    in_get = {"get": [{"code": "ok", "path": "A", "changelog": entries}]}
    expected = f"{LOG_SHOWN} has 100,001 items; at most 100000 allowed"
    assert validate(read, direction="recv", protocol="1.4") == [
        _error("/changelogRead/0/changelog", "maxItems", entries, expected)]
    assert validate(in_get, direction="recv", protocol="1.5") == [
        _error("/get/0/changelog", "maxItems", entries, expected)]


def _get_results(n: int) -> list[dict[str, Any]]:
    return [{"code": "ok", "path": f"PLANT:P{i}", "value": i, "type": "int", "stamp": STAMP}
            for i in range(n)]


def test_only_the_last_of_200000_items_is_wrong() -> None:
    items = _get_results(200_000)
    items[-1] = {**items[-1], "value": "x"}  # an annotation rule's finding
    assert validate({"get": items}, direction="recv") == [
        _error("/get/199999/value", "value-type", "x",
               '"x" is not a whole number, as type int needs')]
    items[-1] = {**items[-1], "value": 7, "code": "fine"}  # a schema keyword's finding
    assert validate({"get": items}, direction="recv") == [
        _error("/get/199999/code", "enum", "fine",
               '"fine" is not an allowed value; allowed: "ok", "no perm", "not found", "error"')]


def test_only_the_last_of_200000_requests_is_wrong() -> None:
    request = {"set": [{"path": f"PLANT:P{i}", "value": i} for i in range(200_000)],
               "whois": "x", "user": ""}
    request["set"][-1] = {"path": "A" * 161, "value": 1, "colour": "red"}
    assert validate(request, direction="send") == [
        _error("/set/199999/colour", "additionalProperties", "red",
               "unknown member 'colour' is not allowed"),
        _error("/set/199999/path", "path-length", "A" * 161,
               "path has 161 characters; a DMS stores at most 160 and rejects longer "
               "writes (3.1.5)")]


def test_bad_values_deep_inside_a_long_array_of_items() -> None:
    items = [{"code": "ok", "path": f"PLANT:P{i}", "value": 1.0, "type": "double",
              "stamp": None, "histData": [HIST] * 300} for i in range(1000)]
    deep = list(items[637]["histData"])
    deep[12] = {"2015-02-29T04:33:20,000+02:00": 0.95}  # no such day
    deep[13] = {"2016-02-29T04:33:20,000+02:00": 0.95}  # a leap day: the fast check refuses it
    deep[20] = {STAMP: "x"}
    deep[21] = {"2015-04-03T04:33:20.000Z": 1}
    deep[299] = {"2015-04-03T04:33:20.000Z": 1, "b": 2}
    items[637] = {**items[637], "histData": deep}
    items[999] = {**items[999], "type": "none"}
    assert validate({"get": items}, direction="recv") == [
        _error("/get/637/histData/12/2015-02-29T04:33:20,000+02:00", "timestamp",
               "2015-02-29T04:33:20,000+02:00",
               '"2015-02-29T04:33:20,000+02:00": 2015-02 has no day 29'),
        _error("/get/637/histData/20/2015-04-03T04:33:20,000+02:00", "type", "x",
               '"x" is not an integer or a number'),
        _warning("/get/637/histData/21/2015-04-03T04:33:20.000Z", "stamp-form",
                 "2015-04-03T04:33:20.000Z",
                 "\"2015-04-03T04:33:20.000Z\" is valid ISO 8601, but not the DMS's form "
                 "YYYY-MM-DDThh:mm:ss,fff+hh:mm (2.8)"),
        _error("/get/637/histData/299", "maxProperties", deep[299],
               '{"2015-04-03T04:33:20.000Z":1,"b":2} has 2 members; at most 1 allowed'),
        _warning("/get/637/histData/299/2015-04-03T04:33:20.000Z", "stamp-form",
                 "2015-04-03T04:33:20.000Z",
                 "\"2015-04-03T04:33:20.000Z\" is valid ISO 8601, but not the DMS's form "
                 "YYYY-MM-DDThh:mm:ss,fff+hh:mm (2.8)"),
        _error("/get/637/histData/299/b", "timestamp", "b",
               '"b": not an ISO 8601 date-time (e.g. 2015-04-28T07:10:11,023Z)'),
        _error("/get/999/value", "none-type", 1.0,
               "a node of type none has value null, not 1.0 (2.8)"),
    ]


# -- generated arrays with faults anywhere: screened == every element checked -------------

Mutation = Callable[[dict[str, Any]], dict[str, Any]]


def _deep(entry: dict[str, Any]) -> Mutation:
    """A mutation of an item's history: ``entry`` after its entries, one good entry after it."""
    return lambda item: {**item, "histData": [*item.get("histData", []), entry, HIST]}


@dataclass(frozen=True)
class Case:
    """Frames of one kind: a valid element, ways to break it, how the frame holds them."""

    direction: Direction
    protocols: tuple[str, ...]
    element: Callable[[int], dict[str, Any]]
    mutations: tuple[Mutation, ...]
    frame: Callable[[list[dict[str, Any]]], dict[str, Any]]


CASES = (
    Case("recv", ("1.3", "1.4", "1.5"),
         lambda i: {"code": "ok", "path": f"P{i}", "value": 1.5, "type": "double",
                    "stamp": STAMP, "histData": [HIST] * (i % 5)},
         (lambda e: {**e, "code": "fine"},
          lambda e: {**e, "value": "x"},
          lambda e: {**e, "type": "none"},
          lambda e: {**e, "stamp": "2015-02-29T04:33:20Z"},
          lambda e: {**e, "stamp": "2016-02-29T04:33:20,000+01:00"},
          lambda e: {k: v for k, v in e.items() if k != "code"},
          lambda e: {**e, "histData": {"x": 1}},
          _deep({"2015-02-30T00:00:00Z": 1}),
          _deep({STAMP: None}),
          _deep({}),
          _deep({"stamp": STAMP, "value": 1, "state": "bad", "rec": "cycle"}),
          _deep({"stamp": "2016-02-29T00:00:00,000+01:00", "value": 1, "state": "ok",
                 "rec": "cycle"})),
         lambda items: {"tag": 3, "get": items}),
    Case("recv", ("1.4",),
         lambda i: {**LOG, "priority": i},
         (lambda e: {**e, "stamp": "x"},
          lambda e: {**e, "priority": "1"},
          lambda e: {k: v for k, v in e.items() if k != "text"},
          lambda e: {**e, "state": "gone"}),
         lambda entries: {"changelogRead": [{"code": "ok", "group": "G", "changelog": entries}]}),
    Case("recv", ("1.3", "1.4", "1.5"),
         lambda i: {"code": "onChange", "path": f"P{i}", "value": i, "type": "int",
                    "stamp": STAMP, "tag": "s"},
         (lambda e: {**e, "value": 1.5},
          lambda e: {**e, "code": "onBoom"},
          lambda e: {**e, "stamp": "2015-04-03T04:33:20Z"},
          lambda e: {"code": "onChange", "path": e}),
         lambda events: {"event": events}),
    Case("send", ("1.3", "1.4", "1.5"),
         lambda i: {"path": f"P{i}", "tag": i},
         (lambda e: {**e, "path": "A[0]"},
          lambda e: {**e, "path": "A[2]FLT"},
          lambda e: {**e, "colour": "red"},
          lambda e: {**e, "histData": {"start": "2015-02-29T00:00:00Z"}},
          lambda e: {**e, "query": {"regExPath": "(*pla:x)"}},
          lambda e: {**e, "path": 5}),
         lambda items: {"get": items, "tag": "t"}),
)


@st.composite
def faulty_frames(draw: st.DrawFn) -> tuple[Direction, str, dict[str, Any]]:
    """A frame with a long-ish array of good elements, a few of them broken anywhere."""
    case = draw(st.sampled_from(CASES))
    n = draw(st.integers(1, 300))
    elements = [case.element(i) for i in range(n)]
    faults = draw(st.dictionaries(st.integers(0, n - 1), st.sampled_from(case.mutations),
                                  max_size=5))
    for index, mutate in faults.items():
        elements[index] = mutate(elements[index])
    return case.direction, draw(st.sampled_from(case.protocols)), case.frame(elements)


@contextmanager
def _every_element_checked() -> Iterator[None]:
    with mock.patch.object(Screen, "to_check", lambda self, array: range(len(array))):
        yield


def _said(errors: Iterator[ValidationError]) -> list[Any]:
    """What a schema error hands to our wording, its branches' errors included."""
    return [(e.validator, e.validator_value, list(e.absolute_path),
             list(e.absolute_schema_path), id(e.instance), _said(iter(e.context)))
            for e in errors]


@cache
def _library_validator(protocol: str, kind: str) -> Draft202012Validator:
    return Draft202012Validator(get_version(protocol).schemas[kind])


@settings(max_examples=150, deadline=None, database=None)
@given(faulty_frames())
def test_the_screen_finds_what_checking_every_element_finds(
        drawn: tuple[Direction, str, dict[str, Any]]) -> None:
    direction, protocol, frame = drawn
    screened = validate(frame, direction=direction, protocol=protocol)
    with _every_element_checked():
        everywhere = validate(frame, direction=direction, protocol=protocol)
    assert screened == everywhere
    # the schema's part, against the jsonschema library's own validator
    kind = frame_kind(frame, direction)
    assert _said(compiled(protocol, kind).full.iter_errors(frame)) == _said(
        _library_validator(protocol, kind).iter_errors(frame))


# -- the screen itself ------------------------------------------------------------------

INTEGERS = Screen(({"type": "integer"},), {})
LONG = [0] * (SHORT + 1)


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.one_of(st.integers(), st.text(max_size=2)), max_size=200))
def test_a_screen_names_exactly_the_failing_elements_in_order(tail: list[Any]) -> None:
    array = LONG + tail
    assert list(INTEGERS.to_check(array)) == [
        i for i, value in enumerate(array) if not isinstance(value, int)]


def test_a_short_array_is_checked_element_by_element() -> None:
    assert list(INTEGERS.to_check([0] * SHORT)) == list(range(SHORT))
    assert list(INTEGERS.to_check([])) == []


def test_a_screen_names_every_element_where_the_fast_validator_cannot_judge() -> None:
    assert list(INTEGERS.to_check([*LONG, object()])) == list(range(SHORT + 2))


def test_joined_screens_name_the_elements_either_refuses() -> None:
    small = Screen(({"maximum": 9},), {})
    assert list(INTEGERS.joined(small).to_check([*LONG, 10, "a", 3, 2.5])) == [
        SHORT + 1, SHORT + 2, SHORT + 4]
