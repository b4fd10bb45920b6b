"""get: plain and short form, extInfos, string arrays, permissions, tags."""

from __future__ import annotations

from dmsproto.sim.testing import Harness

S0 = "2026-01-15T11:00:00,000+01:00"


def test_get_object_form_answers_value_type_stamp_in_request_order() -> None:
    h = Harness()
    s = h.session()
    reply = h.request(s, {"get": [{"path": "A:Str"}, {"path": "A:Int"}, {"path": "A:Bool"}]})
    assert reply.response == {
        "get": [
            {"code": "ok", "path": "A:Str", "value": "hello", "type": "string", "stamp": S0},
            {"code": "ok", "path": "A:Int", "value": 44, "type": "int", "stamp": S0},
            {"code": "ok", "path": "A:Bool", "value": True, "type": "bool", "stamp": S0},
        ]
    }
    assert reply.deliveries == []


def test_get_short_form_equals_object_form() -> None:
    h = Harness()
    s = h.session()
    short = h.request(s, {"get": ["A:Int", "B:X"]}).response
    full = h.request(s, {"get": [{"path": "A:Int"}, {"path": "B:X"}]}).response
    assert short == full
    assert short is not None and [i["value"] for i in short["get"]] == [44, 0]


def test_double_values_stay_floats_and_none_nodes_have_null_stamp_and_has_child() -> None:
    h = Harness()
    s = h.session()
    reply = h.request(s, {"get": ["A:RO", "A", "A:Sub:Deep:Leaf"]})
    assert reply.response == {
        "get": [
            {"code": "ok", "path": "A:RO", "value": 1.0, "type": "double", "stamp": S0},
            {"code": "ok", "path": "A", "value": None, "type": "none", "stamp": None,
             "hasChild": True},
            {"code": "ok", "path": "A:Sub:Deep:Leaf", "value": 1, "type": "int", "stamp": S0},
        ]
    }
    assert isinstance(reply.response["get"][0]["value"], float)


def test_root_path_is_a_none_node_with_children() -> None:
    h = Harness()
    reply = h.request(h.session(), {"get": [""]})
    assert reply.response == {
        "get": [{"code": "ok", "path": "", "value": None, "type": "none", "stamp": None,
                 "hasChild": True}]
    }


def test_not_found_item_keeps_path_and_tag() -> None:
    h = Harness()
    reply = h.request(h.session(), {"get": [{"path": "No:Such", "tag": {"n": 1}}, "A:Int"]})
    assert reply.response is not None
    assert reply.response["get"][0] == {
        "code": "not found", "path": "No:Such", "message": "Data point doesn't exist",
        "tag": {"n": 1},
    }
    assert reply.response["get"][1]["code"] == "ok"


def test_item_tag_and_root_tag_are_echoed() -> None:
    h = Harness()
    reply = h.request(h.session(), {"tag": {"reqnr": 1456, "flag": True},
                                    "get": [{"path": "B:X", "tag": [1, "x"]}]})
    assert reply.response == {
        "tag": {"reqnr": 1456, "flag": True},
        "get": [{"code": "ok", "path": "B:X", "value": 0, "type": "int", "stamp": S0,
                 "tag": [1, "x"]}],
    }


def test_ext_infos_only_those_asked_and_existing_name_template_inherited() -> None:
    h = Harness()
    keys = ["state", "accType", "name", "template", "unit", "comment", "changelogGroup"]
    reply = h.request(h.session(), {"get": [
        {"path": "A:Dbl", "showExtInfos": keys},
        {"path": "A:Bool", "showExtInfos": ["name", "unit"]},
        {"path": "B:X", "showExtInfos": keys},
        {"path": "A:Bad", "showExtInfos": ["state"]},
    ]})
    items = reply.response["get"] if reply.response else []
    assert items[0]["extInfos"] == {
        "state": "ok", "accType": "double32", "name": "Area A", "template": "Area",
        "unit": "°C", "comment": "a double",
    }
    assert items[1]["extInfos"] == {"name": "Switch"}
    assert items[2]["extInfos"] == {"state": "ok", "accType": "int32"}
    assert items[3]["extInfos"] == {"state": "error"}


def test_ext_infos_reports_changelog_group() -> None:
    h = Harness()
    reply = h.request(h.session(), {"get": [{"path": "A:Int", "showExtInfos": ["changelogGroup"]}]})
    assert reply.response is not None
    assert reply.response["get"][0]["extInfos"] == {"changelogGroup": "PROT"}


def test_unknown_ext_info_key_is_an_item_error() -> None:
    h = Harness()
    reply = h.request(h.session(), {"get": [{"path": "A:Int", "showExtInfos": ["colour"]}]})
    assert reply.response is not None
    item = reply.response["get"][0]
    assert item["code"] == "error" and item["path"] == "A:Int"


def test_string_array_reads_by_index_and_suffix() -> None:
    h = Harness()
    reply = h.request(h.session(), {"get": ["A:Arr[2]", "A:Bits[2]BIT", "A:Bits[3]BIT",
                                            "A:Flt[2]FLT", "A:Arr[1]FLT"]})
    assert reply.response == {"get": [
        {"code": "ok", "path": "A:Arr[2]", "value": 12, "type": "int", "stamp": S0},
        {"code": "ok", "path": "A:Bits[2]BIT", "value": True, "type": "bool", "stamp": S0},
        {"code": "ok", "path": "A:Bits[3]BIT", "value": False, "type": "bool", "stamp": S0},
        {"code": "ok", "path": "A:Flt[2]FLT", "value": 2.25, "type": "double", "stamp": S0},
        {"code": "ok", "path": "A:Arr[1]FLT", "value": 11.0, "type": "double", "stamp": S0},
    ]}


def test_string_array_read_errors() -> None:
    h = Harness()
    reply = h.request(h.session(), {"get": ["A:Arr[5]", "A:Str[1]", "A:Bits[1]", "Nope[1]"]})
    assert reply.response == {"get": [
        {"code": "error", "path": "A:Arr[5]", "message": "Array index 5 out of range (1..4)"},
        {"code": "error", "path": "A:Str[1]", "message": "Data point is not a string array"},
        {"code": "error", "path": "A:Bits[1]", "message": "Array element 'T' is not an int"},
        {"code": "not found", "path": "Nope[1]", "message": "Data point doesn't exist"},
    ]}


def test_v15_suffixes_only_in_15_mode() -> None:
    old = Harness()
    # handled unchecked: the error item echoes the (invalid in 1.4) path
    reply = old.handle_message(old.session(), {"get": ["A:Arr[1]STR"]}, check=False)
    assert reply.response is not None
    assert reply.response["get"][0]["code"] == "error"
    assert reply.response["get"][0]["path"] == "A:Arr[1]STR"
    assert "STR" in reply.response["get"][0]["message"]
    new = Harness(protocol="1.5")
    reply = new.request(new.session(), {"get": ["A:Arr[1]STR", "A:Arr[2]BYU"]})
    assert reply.response is not None
    assert [(i["value"], i["type"]) for i in reply.response["get"]] == [("11", "string"),
                                                                         (12, "int")]


def test_unreadable_datapoint_answers_no_perm() -> None:
    h = Harness()
    reply = h.request(h.session(), {"get": ["A:Hidden", "A:Hidden[1]"]})
    assert reply.response is not None
    assert reply.response["get"][0] == {
        "code": "no perm", "path": "A:Hidden", "message": "No permission to read this data point"
    }
    assert reply.response["get"][1]["code"] in ("no perm", "error")


def test_bad_items_answer_error_items_without_stopping_the_rest() -> None:
    h = Harness()
    reply = h.request(h.session(), {"get": [{"path": "A:Int", "bogus": 1}, 7, {"tag": 1},
                                            "B:X"]})
    assert reply.response is not None
    items = reply.response["get"]
    assert items[0]["code"] == "error" and items[0]["path"] == "A:Int" and "bogus" in items[0][
        "message"]
    assert items[1]["code"] == "error" and "path" not in items[1]
    assert items[2]["code"] == "error" and items[2]["tag"] == 1
    assert items[3] == {"code": "ok", "path": "B:X", "value": 0, "type": "int", "stamp": S0}


def test_ten_thousand_item_get_is_fast() -> None:
    import time

    h = Harness()
    s = h.session()
    paths = ["A:Int", "A:Dbl", "A:Str", "B:X", "No:Such"] * 2000
    start = time.perf_counter()
    reply = h.handle_message(s, {"get": paths})
    elapsed = time.perf_counter() - start
    assert reply.response is not None and len(reply.response["get"]) == 10_000
    assert reply.response["get"][9999]["code"] == "not found"
    assert elapsed < 1.0
