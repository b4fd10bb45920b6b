"""String-array elements of the wrong type: refused per item, the array left as it was.

With validation on, the request validator refuses most of these before the
engine sees them; with it off (a version without schemas) the engine's own
element checks (``dmsproto.sim.arrays``) must give the same answers.
"""

from __future__ import annotations

from typing import Any

import pytest

from dmsproto.sim.testing import Harness

MISMATCH = "Data type doesn't match"


def harness(validating: bool) -> Harness:
    h = Harness(protocol="1.5")
    h.engine.validating = validating
    return h


def answer(h: Harness, message: dict[str, Any], command: str) -> list[dict[str, Any]]:
    reply = h.handle_message(h.session(), message, check=h.engine.validating)
    assert reply.response is not None
    items: list[dict[str, Any]] = reply.response[command]
    return items


def stored(h: Harness, path: str) -> Any:
    node = h.engine.tree.get(path)
    assert node is not None
    return node.value


@pytest.mark.parametrize("validating", [True, False], ids=["validated", "unvalidated"])
def test_a_value_of_another_type_than_the_suffix_says_is_refused(validating: bool) -> None:
    h = harness(validating)
    writes = [
        ("A:Bits[1]BIT", 1),
        ("A:Bits[1]BIT", "T"),
        ("A:Flt[1]FLT", "1.5"),
        ("A:Flt[1]FLT", True),
        ("A:Arr[1]", 1.5),
        ("A:Arr[1]", True),
        ("A:Arr[1]", "1"),
        ("A:Arr[1]STR", 5),
        ("A:Arr[1]DWS", 2.0),
    ]
    got = answer(h, {"whois": "w", "set": [{"path": p, "value": v} for p, v in writes]}, "set")
    assert got == [{"code": "error", "path": p, "message": MISMATCH} for p, _ in writes]
    assert (stored(h, "A:Bits"), stored(h, "A:Flt"), stored(h, "A:Arr")) == (
        "(T,T,F,T)",
        "{1.5,2.25}",
        "(11,12,13,14)",
    )


@pytest.mark.parametrize("validating", [True, False], ids=["validated", "unvalidated"])
def test_a_string_element_cannot_hold_the_array_syntax(validating: bool) -> None:
    h = harness(validating)
    got = answer(
        h,
        {"whois": "w", "set": [{"path": "A:Arr[1]STR", "value": v} for v in ("a,b", "(a", "b}")]},
        "set",
    )
    assert [i["message"] for i in got] == [
        "Array elements cannot contain ',', brackets or braces"
    ] * 3
    assert stored(h, "A:Arr") == "(11,12,13,14)"


def test_an_element_outside_the_range_of_its_suffix_is_refused() -> None:
    h = harness(False)
    got = answer(
        h,
        {
            "whois": "w",
            "set": [
                {"path": "A:Arr[1]BYS", "value": 128},
                {"path": "A:Arr[2]BYU", "value": -1},
                {"path": "A:Arr[3]BYS", "value": -128},
            ],
        },
        "set",
    )
    assert got[:2] == [
        {
            "code": "error",
            "path": "A:Arr[1]BYS",
            "message": "Value out of range (BYS: -128 to 127)",
        },
        {"code": "error", "path": "A:Arr[2]BYU", "message": "Value out of range (BYU: 0 to 255)"},
    ]
    assert got[2]["code"] == "ok"
    assert stored(h, "A:Arr") == "(11,12,-128,14)"
    refused = answer(
        harness(True), {"whois": "w", "set": [{"path": "A:Arr[1]BYS", "value": 128}]}, "set"
    )
    assert refused[0]["code"] == "error"


@pytest.mark.parametrize("validating", [True, False], ids=["validated", "unvalidated"])
def test_elements_that_do_not_read_as_the_suffix_type_are_item_errors(validating: bool) -> None:
    h = harness(validating)
    answer(
        h,
        {
            "whois": "w",
            "set": [
                {"path": "A:Flt", "value": "{x,2}"},
                {"path": "A:Bits", "value": "(T,maybe)"},
                {"path": "A:Arr", "value": "(1,b)"},
            ],
        },
        "set",
    )
    got = answer(
        h, {"get": ["A:Flt[1]FLT", "A:Flt[2]FLT", "A:Bits[2]BIT", "A:Arr[2]", "A:Arr[1]"]}, "get"
    )
    assert [(i["code"], i.get("message", i.get("value"))) for i in got] == [
        ("error", "Array element 'x' is not a double"),
        ("ok", 2.0),
        ("error", "Array element 'maybe' is not a bool"),
        ("error", "Array element 'b' is not an int"),
        ("ok", 1),
    ]


def test_an_unreadable_index_or_suffix_is_named_when_requests_are_not_validated() -> None:
    h = harness(False)
    got = answer(h, {"get": ["A:Arr[x]", "A:Arr[1]ZZ"]}, "get")
    assert got == [
        {"code": "error", "path": "A:Arr[x]", "message": "Invalid array index 'x'"},
        {"code": "error", "path": "A:Arr[1]ZZ", "message": "Unknown array type suffix 'ZZ'"},
    ]
