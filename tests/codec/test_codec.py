"""Typed decode/encode details the protocol cares about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import orjson
import pytest

import dmsproto
from dmsproto.wirebase import HistEntry


def test_float_stays_float_and_int_stays_int() -> None:
    text = b'{"whois":"w","user":"","set":[{"path":"A","value":123.0},{"path":"B","value":123}]}'
    frame = dmsproto.decode(text, direction="send")
    assert type(frame.set[0].value) is float
    assert type(frame.set[1].value) is int
    assert dmsproto.encode(frame) == text


def test_absent_and_null_stamp_are_distinct() -> None:
    frame = dmsproto.decode(
        '{"get":[{"code":"ok","path":"A","stamp":null},{"code":"ok","path":"B"}]}',
        direction="recv",
    )
    assert frame.get[0].stamp is None
    assert frame.get[1].stamp is msgspec.UNSET
    assert orjson.loads(dmsproto.encode(frame)) == {
        "get": [{"code": "ok", "path": "A", "stamp": None}, {"code": "ok", "path": "B"}]
    }


def test_wire_names_and_snake_case_attributes() -> None:
    frame = dmsproto.decode(
        '{"get":[{"code":"ok","path":"A","hasChild":true,"extInfos":{"accType":"int16"}}]}',
        direction="recv",
    )
    assert frame.get[0].has_child is True
    assert frame.get[0].ext_infos.acc_type == "int16"
    assert b'"hasChild":true' in dmsproto.encode(frame)


def test_compact_hist_entry_is_a_typed_pair_and_reencodes() -> None:
    text = b'{"get":[{"code":"ok","path":"A","histData":[{"2015-04-03T04:33:20,000+02:00":0.95}]}]}'
    frame = dmsproto.decode(text, direction="recv")
    entry = frame.get[0].hist_data[0]
    assert isinstance(entry, HistEntry)
    assert (entry.stamp, entry.value, entry.is_compact) == (
        "2015-04-03T04:33:20,000+02:00", 0.95, True)
    assert dmsproto.encode(frame) == text


def test_detail_hist_entry() -> None:
    text = (b'{"get":[{"code":"ok","path":"A","histData":[{"stamp":"2015-04-03T04:33:20,000+02:00",'
            b'"value":1,"state":"comErr","rec":"cycle"}]}]}')
    entry = dmsproto.decode(text, direction="recv").get[0].hist_data[0]
    assert entry.detail.state == "comErr"
    assert entry.value == 1 and type(entry.value) is int
    assert not entry.is_compact


def test_event_frame_detected_whatever_the_key_order() -> None:
    a = dmsproto.decode('{"event":[{"code":"onSet","path":"A"}]}', direction="recv")
    b = dmsproto.decode('{"x":1,"event":[{"code":"onSet","path":"A"}]}', direction="recv")
    assert type(a).__name__ == type(b).__name__ == "EventFrame"
    assert b.event[0].code == "onSet"


@pytest.mark.parametrize(
    ("text", "direction", "pointer"),
    [
        ('{"set":[{"path":5,"value":1}]}', "send", "/set/0/path"),
        ('{"set":[{"value":1}]}', "send", "/set/0"),
        ('{"get":[{"path":"A","query":{"maxDepth":-1}}]}', "send", "/get/0/query/maxDepth"),
        ('{"get":[{"path":"A","bogus":1}]}', "send", "/get/0"),
        ('{"get":[{"code":"fine","path":"A"}]}', "recv", "/get/0/code"),
        ('{"get":[{"code":"ok","histData":[{"a":1,"b":2}]}]}', "recv", "/get/0/histData/0"),
        ('{"event":[{"code":"onSet"}]}', "recv", "/event/0"),
        ("[1,2]", "recv", ""),
        ("{", "send", ""),
    ],
)
def test_decode_errors_name_the_pointer(text: str, direction: str, pointer: str) -> None:
    with pytest.raises(dmsproto.DecodeError) as info:
        dmsproto.decode(text, direction=direction)  # type: ignore[call-overload]
    assert info.value.pointer == pointer
    assert info.value.reason


def test_timestamps_parse_and_format() -> None:
    dt = dmsproto.parse_stamp("2015-03-20T08:49:19,000+01:00")
    assert dt == datetime(2015, 3, 20, 7, 49, 19, tzinfo=UTC)
    assert dt.utcoffset() == timedelta(hours=1)
    assert dmsproto.parse_stamp("2015-04-28T07:10:11.023Z").microsecond == 23000
    assert dmsproto.format_stamp(dt) == "2015-03-20T07:49:19,000Z"
    with pytest.raises(dmsproto.EncodeError):
        dmsproto.format_stamp(datetime(2015, 1, 1))
    for bad in ("2015-03-20T08:49:19", "yesterday", "2015-03-20T08:49:19+25:00"):
        with pytest.raises(ValueError):
            dmsproto.parse_stamp(bad)


def test_server_stamp_round_trips_as_text() -> None:
    text = '{"get":[{"code":"ok","path":"A","stamp":"2015-03-20T08:49:19,000+01:00"}]}'
    frame = dmsproto.decode(text, direction="recv")
    assert frame.get[0].stamp == "2015-03-20T08:49:19,000+01:00"
    assert dmsproto.encode(frame).decode() == text


def test_encode_refuses_unknown_objects() -> None:
    with pytest.raises(dmsproto.EncodeError):
        dmsproto.encode({"x": object()})


def test_validate_reports_every_violation() -> None:
    msg = {"whois": "w", "user": "", "tag": None,
           "set": [{"path": "A:B[0]", "value": 1, "stamp": "2015-01-01T00:00:00", "x": 1},
                   {"value": 2}]}
    got = {(v.pointer, v.rule) for v in dmsproto.validate(msg, direction="send")}
    assert got == {("/tag", "not"), ("/set/0/path", "array-index"),
                   ("/set/0/stamp", "timestamp"), ("/set/0/x", "additionalProperties"),
                   ("/set/1/path", "required")}


def test_validate_path_rules() -> None:
    long_path = "A:" + "x" * 159
    msg = {"whois": "w", "user": "", "set": [
        {"path": long_path, "value": 1}, {"path": "A:B[1025]", "value": 1},
        {"path": "A:B[3]XYZ", "value": 1}, {"path": "A:B[2]FLT", "value": 1.5}]}
    got = [(v.pointer, v.rule) for v in dmsproto.validate(msg, direction="send")]
    assert got == [("/set/0/path", "path-length"), ("/set/1/path", "array-index"),
                   ("/set/2/path", "array-index")]
    # reading past 1024 is the server's business, not a syntax error
    assert dmsproto.validate({"get": ["A:B[2000]"]}, direction="send") == []


def test_validate_non_json_and_non_object() -> None:
    assert [(v.pointer, v.rule) for v in dmsproto.validate(b"\xff", direction="recv")] == [
        ("", "json")]
    assert [(v.pointer, v.rule) for v in dmsproto.validate("[]", direction="recv")] == [
        ("", "frame")]
    assert [(v.pointer, v.rule) for v in dmsproto.validate({}, direction="send")] == [
        ("", "frame")]


def test_unknown_protocol_version() -> None:
    with pytest.raises(ValueError, match="unknown protocol version"):
        dmsproto.validate({"get": ["A"]}, direction="send", protocol="0.1")
