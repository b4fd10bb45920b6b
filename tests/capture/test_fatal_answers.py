"""A request that cannot be read is answered with the fatal item of 3.2.1, and that
answer pairs with it: in a capture and live in the proxy, it is no orphan response."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dmsproto.capture import Message, Report, validate_files, validate_records
from dmsproto.errors import NotJSON
from dmsproto.jsontext import parse_json
from dmsproto.proxy import LiveChecker

FATAL = {"get": [{"code": "error",
                  "message": "Expected JSON encoded data, but got something else."}]}


def rules(*frames: tuple[str, Any]) -> list[tuple[str, int]]:
    report = Report(files=["t"], protocol="1.4", max_examples=10)
    records = [Message(d, f, "t", i, None, "s", 0)  # type: ignore[arg-type]
               for i, (d, f) in enumerate(frames, 1)]
    validate_records(records, report)
    return sorted((g.rule, int(e.position.rsplit(":", 1)[1]))
                  for g in report.rules.values() for e in g.examples)


def live_rules(*frames: tuple[str, str]) -> list[str]:
    checker = LiveChecker()
    out = [f.rule for d, text in frames
           for f in checker.check(d, text, "c1", 0.0)]  # type: ignore[arg-type]
    return sorted(out + [f.rule for f in checker.close("c1")])


def not_json(text: str) -> bool:
    try:
        parse_json(text)
    except NotJSON:
        return True
    return False


def test_text_that_is_not_json_and_its_fatal_answer() -> None:
    assert rules(("send", "this is not json"), ("recv", FATAL)) == [("json", 1)]


def test_a_json_value_that_is_no_object_and_its_fatal_answer() -> None:
    assert rules(("send", "[1, 2]"), ("recv", FATAL)) == [("frame", 1)]


def test_a_request_without_any_command_and_its_fatal_answer() -> None:
    answer = {"get": [{"code": "error", "message": "Request contains no command"}]}
    assert rules(("send", {"whois": "w"}), ("recv", answer)) == [("frame", 1)]
    # the unknown member is the one finding, not also "no command"
    assert rules(("send", {"tag": 4, "colour": 1}), ("recv", {**answer, "tag": 4})) == [
        ("additionalProperties", 1)]


def test_the_simulators_fatal_answer_to_a_broken_frame_is_only_the_requests_fault() -> None:
    from dmsproto.sim.testing import Harness

    harness = Harness()
    session = harness.session(websocket=True)
    for request in ({"get": ["A:Int", "A:Dbl"], "colour": 1, "tag": 1},
                    {"get": ["A:Int", "A:Dbl"], "whois": 5}):
        answer = harness.request(session, request).response
        assert answer is not None and len(answer["get"]) == 1
        assert [rule for rule, _ in rules(("send", request), ("recv", answer))] == [
            "additionalProperties" if "colour" in request else "type"]


def test_the_fatal_answer_pairs_with_the_unreadable_request_not_a_later_one() -> None:
    found = rules(("send", "{broken"), ("send", {"get": ["A"], "tag": 7}), ("recv", FATAL),
                  ("recv", {"get": [{"code": "ok", "path": "A", "value": 1, "type": "int",
                                     "stamp": None}], "tag": 7}))
    assert found == [("json", 1)]


def test_an_unreadable_request_without_any_answer_is_still_an_orphan() -> None:
    assert rules(("send", "{broken")) == [("json", 1), ("orphan-request", 1)]


def test_a_response_nobody_asked_for_is_still_an_orphan() -> None:
    assert rules(("recv", FATAL)) == [("orphan-response", 1)]


def test_live_checks_pair_the_fatal_answer_too() -> None:
    assert live_rules(("send", "nope"), ("recv", json.dumps(FATAL))) == ["json"]
    assert live_rules(("send", '"a string"'), ("recv", json.dumps(FATAL))) == ["frame"]


@given(st.text(max_size=40).filter(not_json))
def test_any_unreadable_request_is_answered_by_the_fatal_item(text: str) -> None:
    assert rules(("send", text), ("recv", FATAL)) == [("json", 1)]


def ws_packet(number: int, client: bool, **fields: str) -> dict[str, Any]:
    ports = {"tcp.srcport": "50000", "tcp.dstport": "9020"} if client else \
        {"tcp.srcport": "9020", "tcp.dstport": "50000"}
    return {"_source": {"layers": {
        "frame": {"frame.number": str(number), "frame.time_epoch": f"{number}.0"},
        "tcp": {"tcp.stream": "0", **ports},
        "websocket": {"websocket.mask": "1" if client else "0", **fields}}}}


@pytest.mark.parametrize("payload", [b"\xff\xfe{}", b'{"get": ["\xe9"]}', b"\xc3"])
def test_binary_frames_that_are_not_utf8_are_refused_as_sent(tmp_path: Path,
                                                             payload: bytes) -> None:
    export = tmp_path / "export.json"
    export.write_text(json.dumps([
        ws_packet(1, True, **{"websocket.opcode": "2"}, **{"data.data": payload.hex(":")}),
        ws_packet(2, False, **{"websocket.opcode": "1",
                               "websocket.payload.text": json.dumps(FATAL)})]))
    report = validate_files([export])
    assert sorted(report.rules) == ["binary-frame", "json"], report.to_text()
