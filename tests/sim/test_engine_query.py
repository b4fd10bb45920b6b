"""get with query: depth, regexes, type and capability filters, limits."""

from __future__ import annotations

from typing import Any

from dmsproto.sim.limits import Limits
from dmsproto.sim.testing import Harness


def paths(h: Harness, item: dict[str, Any]) -> list[str]:
    reply = h.request(h.session(), {"get": [item]})
    assert reply.response is not None
    assert all(i["code"] == "ok" for i in reply.response["get"]), reply.response
    return [i["path"] for i in reply.response["get"]]


def test_empty_query_lists_first_children_of_path() -> None:
    h = Harness()
    assert paths(h, {"path": "", "query": {}}) == ["A", "B", "System"]
    assert paths(h, {"path": "System", "query": {"maxDepth": 1}}) == [
        "System:Blinker", "System:Time"]


def test_max_depth_counts_levels_below_path_and_zero_is_unlimited() -> None:
    h = Harness()
    assert paths(h, {"path": "A:Sub", "query": {"maxDepth": 2}}) == ["A:Sub:Deep",
                                                                   "A:Sub:Deep:Leaf"]
    assert paths(h, {"path": "A", "query": {"regExPath": "Leaf", "maxDepth": 2}}) == []
    assert paths(h, {"path": "A", "query": {"regExPath": "Leaf", "maxDepth": 3}}) == [
        "A:Sub:Deep:Leaf"]
    assert paths(h, {"path": "", "query": {"regExPath": "Leaf", "maxDepth": 0}}) == [
        "A:Sub:Deep:Leaf"]


def test_unreadable_datapoints_are_left_out_of_query_results() -> None:
    h = Harness()
    found = paths(h, {"path": "A", "query": {"isType": "int", "maxDepth": 0}})
    assert found == ["A:Int", "A:Sub:Deep:Leaf"]  # A:Hidden (perm none) is an int too


def test_regex_path_searches_the_full_path_like_pcre_unanchored() -> None:
    h = Harness()
    everything_but_a = paths(h, {"path": "", "query": {"regExPath": "^(?!(A|System)).*$",
                                                       "maxDepth": 0}})
    assert everything_but_a == ["B", "B:X"]
    assert paths(h, {"path": "A", "query": {"regExPath": "B", "maxDepth": 0}}) == [
        "A:Bad", "A:Bits", "A:Bool"]


def test_regex_value_and_is_type_filters() -> None:
    h = Harness()
    assert paths(h, {"path": "A", "query": {"regExValue": "^1", "maxDepth": 0}}) == [
        "A:Dbl", "A:RO", "A:Sub:Deep:Leaf"]
    assert paths(h, {"path": "", "query": {"regExValue": "true", "isType": "bool",
                                           "maxDepth": 0}}) == [
        "A:Bool", "System:Blinker:Blink1", "System:Blinker:Blink4"]  # lit at 11:00:00
    assert paths(h, {"path": "A", "query": {"isType": "double,none", "maxDepth": 0}}) == [
        "A:Bad", "A:Dbl", "A:RO", "A:Sub", "A:Sub:Deep"]


def test_regex_stamp_matches_server_format_and_null_stamps_match_empty_text() -> None:
    h = Harness()
    assert paths(h, {"path": "B", "query": {"regExStamp": r"T11:00:00,000\+01:00"}}) == ["B:X"]
    assert paths(h, {"path": "", "query": {"regExStamp": "^$"}}) == ["A", "B", "System"]


def test_capability_filters() -> None:
    h = Harness()
    assert paths(h, {"path": "", "query": {"hasHistData": True, "maxDepth": 0}}) == ["A:Dbl"]
    assert paths(h, {"path": "", "query": {"hasChangelog": True, "maxDepth": 0}}) == [
        "A:Alarm", "A:Int"]
    assert paths(h, {"path": "", "query": {"hasAlarmData": True, "maxDepth": 0}}) == ["A:Alarm"]


def test_every_match_carries_the_item_tag_and_extras() -> None:
    h = Harness()
    reply = h.request(h.session(), {"get": [{
        "path": "A:Sub", "tag": "t", "showExtInfos": ["accType"],
        "query": {"maxDepth": 0},
    }]})
    assert reply.response == {"get": [
        {"code": "ok", "path": "A:Sub:Deep", "value": None, "type": "none", "stamp": None,
         "hasChild": True, "extInfos": {"accType": "none"}, "tag": "t"},
        {"code": "ok", "path": "A:Sub:Deep:Leaf", "value": 1, "type": "int",
         "stamp": "2026-01-15T11:00:00,000+01:00", "extInfos": {"accType": "int32"}, "tag": "t"},
    ]}


def test_query_with_no_match_answers_no_item_but_other_items_stay() -> None:
    h = Harness()
    reply = h.request(h.session(), {"get": [{"path": "B", "query": {"regExPath": "zzz"}},
                                            "B:X"]})
    assert reply.response is not None
    assert [i["path"] for i in reply.response["get"]] == ["B:X"]


def test_query_errors() -> None:
    h = Harness()
    reply = h.request(h.session(), {"get": [
        {"path": "Missing", "query": {}},
        {"path": "A", "query": {"regExPath": "("}},
        {"path": "A", "query": {"isType": "float"}},
        {"path": "A", "query": {"maxDepth": -1}},
    ]})
    assert reply.response is not None
    items = reply.response["get"]
    assert items[0] == {"code": "not found", "path": "Missing",
                        "message": "Data point doesn't exist"}
    assert items[1]["code"] == "error" and items[1]["path"] == "A"
    assert items[1]["message"] == "Invalid regular expression in regExPath"
    assert [i["code"] for i in items[2:]] == ["error", "error"]
    assert all(i["path"] == "A" and i["message"] for i in items[2:])


def test_engine_rejects_bad_query_fields_even_without_validator() -> None:
    h = Harness()
    h.engine.validating = False
    reply = h.handle_message(h.session(), {"get": [
        {"path": "A", "query": {"isType": "float"}},
        {"path": "A", "query": {"maxDepth": 1.5}},
        {"path": "A", "query": {"colour": "red"}},
    ]})
    assert reply.response == {"get": [
        {"code": "error", "path": "A", "message": "Invalid value of field 'isType'"},
        {"code": "error", "path": "A", "message": "Invalid data type of field 'maxDepth'"},
        {"code": "error", "path": "A", "message": "Unknown field 'colour'"},
    ]}


def test_more_matches_than_the_limit_aborts_with_an_error() -> None:
    h = Harness(limits=Limits(query_matches=3))
    reply = h.request(h.session(), {"get": [{"path": "A", "query": {"maxDepth": 0}},
                                            {"path": "A:Sub", "query": {"maxDepth": 0}}]})
    assert reply.response is not None
    assert reply.response["get"][0] == {
        "code": "error", "path": "A",
        "message": "Aborted: more than 3 matching data points; refine the request"}
    assert [i["path"] for i in reply.response["get"][1:]] == ["A:Sub:Deep", "A:Sub:Deep:Leaf"]


def test_patterns_are_pcre_like_the_dms_not_python_re() -> None:
    """PCRE syntax Python's ``re`` refuses runs; what PCRE 8.35 refuses is refused."""
    h = Harness()
    # \Q...\E (literal text), possessive and atomic groups, a named group PCRE-style
    assert paths(h, {"path": "", "query": {"regExPath": r"\QA:Sub:\E(?<rest>Deep)$",
                                           "maxDepth": 0}}) == ["A:Sub:Deep"]
    assert paths(h, {"path": "", "query": {"regExPath": r"^A:(?>Sub):Deep:Leaf$",
                                           "maxDepth": 0}}) == ["A:Sub:Deep:Leaf"]
    reply = h.request(h.session(), {"get": [{"path": "", "query": {"regExPath": r"\u0041"}}]})
    assert reply.response is not None
    (item,) = reply.response["get"]
    assert item["code"] == "error"
    assert item["message"].startswith("Invalid regular expression in regExPath")
