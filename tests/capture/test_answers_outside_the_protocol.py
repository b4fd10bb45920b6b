"""A POST answered with an HTTP error status (a fatal error, 2.6), or whose response body
the capture lacks, did get its answer: no orphan request, and the next response on the
same connection answers the next request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dmsproto.capture import CaptureError, validate_files
from dmsproto.recorder import Recorder

URL = "http://127.0.0.1:9020/json_data"


def ok(path: str) -> dict[str, Any]:
    return {"get": [{"code": "ok", "path": path, "value": 1, "type": "int", "stamp": None}]}


def post(path: str, response: dict[str, Any]) -> dict[str, Any]:
    return {"startedDateTime": "2026-01-01T00:00:00.000Z",
            "request": {"method": "POST", "url": URL,
                        "postData": {"mimeType": "application/json",
                                     "text": json.dumps({"get": [path]})}},
            "response": response}


def har(tmp_path: Path, *entries: dict[str, Any]) -> Path:
    path = tmp_path / "c.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": list(entries)}}))
    return path


def test_har_post_answered_with_an_error_status(tmp_path: Path) -> None:
    refused = {"status": 401, "content": {"mimeType": "text/plain", "text": "Unauthorized"}}
    report = validate_files([har(tmp_path, post("A", refused))])
    assert report.clean, report.to_text()
    assert report.notes == [f"{tmp_path / 'c.har'}: 1 request not checked against an "
                            "answer: answered with HTTP 401 (a fatal error, 2.6)"]


def test_har_saved_without_response_bodies(tmp_path: Path) -> None:
    bodiless = {"status": 200, "content": {"size": 81, "mimeType": "application/json"}}
    answered = {"status": 200, "content": {"mimeType": "application/json",
                                           "text": json.dumps(ok("B"))}}
    report = validate_files([har(tmp_path, post("A", bodiless), post("B", answered))])
    assert report.clean, report.to_text()
    assert report.messages == 3
    assert "lacks the response body" in report.notes[0]


def test_har_saved_without_request_bodies(tmp_path: Path) -> None:
    answered = {"status": 200, "content": {"mimeType": "application/json",
                                           "text": json.dumps(ok("A"))}}
    bodiless = post("A", answered)
    del bodiless["request"]["postData"]
    nulled = post("B", {**answered, "content": {"text": json.dumps(ok("B"))}})
    nulled["request"]["postData"] = None
    report = validate_files([har(tmp_path, bodiless, nulled)])
    assert report.clean, report.to_text()
    assert report.messages == 2  # the answers, validated
    assert report.notes == [f"{tmp_path / 'c.har'}: 2 requests not checked against an "
                            "answer: the HAR file lacks the request body"]


def test_har_entries_with_odd_members_are_read_without_a_crash(tmp_path: Path) -> None:
    odd = post("A", {"status": 200, "content": ["not", "an", "object"]})
    odd["response"] = "not an object either"
    report = validate_files([har(tmp_path, odd)])
    assert sorted(report.rules) == ["orphan-request"]


def test_har_post_that_got_no_answer_at_all_is_still_an_orphan(tmp_path: Path) -> None:
    failed = {"status": 0, "content": {"size": 0, "mimeType": "x-unknown"}}
    report = validate_files([har(tmp_path, post("A", failed))])
    assert sorted(report.rules) == ["orphan-request"]
    assert report.notes == []


def packet(number: int, stream: int, http: dict[str, str]) -> dict[str, Any]:
    client = "50000" if "http.request.method" in http else "9020"
    server = "9020" if client == "50000" else "50000"
    return {"_source": {"layers": {
        "frame": {"frame.number": str(number), "frame.time_epoch": f"{number}.0"},
        "tcp": {"tcp.stream": str(stream), "tcp.srcport": client, "tcp.dstport": server},
        "http": http}}}


def request(path: str) -> dict[str, str]:
    return {"http.request.method": "POST", "http.request.uri": "/json_data",
            "http.file_data": json.dumps({"get": [path]})}


def answer(code: int, body: dict[str, Any] | None = None) -> dict[str, str]:
    fields = {"http.response.code": str(code), "http.response_for.uri": URL}
    if body is not None:
        fields["http.file_data"] = json.dumps(body)
    return fields


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from([200, 400, 401, 405, 408, 413]), min_size=1, max_size=6))
def test_keep_alive_posts_pair_whatever_status_comes_between(
        tmp_path: Path, statuses: list[int]) -> None:
    packets = []
    for i, status in enumerate(statuses):
        path = f"P{i}"
        packets.append(packet(2 * i + 1, 0, request(path)))
        packets.append(packet(2 * i + 2, 0, answer(status, ok(path) if status == 200 else None)))
    export = tmp_path / "export.json"
    export.write_text(json.dumps(packets))
    report = validate_files([export])
    assert report.clean, report.to_text()
    refused = len([s for s in statuses if s != 200])
    assert report.messages == len(statuses) + len(statuses) - refused


def test_har_whose_entries_are_no_array_is_refused_in_our_words(tmp_path: Path) -> None:
    path = tmp_path / "c.har"
    for entries in (None, {"0": {}}, "x"):
        path.write_text(json.dumps({"log": {"entries": entries}}))
        with pytest.raises(CaptureError, match=r"is not a HAR file \(log.entries is not an "):
            validate_files([path])


@pytest.mark.parametrize("spell", [
    lambda b: b.hex(":"), lambda b: b.hex(), lambda b: b.decode()],
    ids=["hex with colons", "hex", "text"])
def test_post_bodies_exported_as_bytes_read_like_text(tmp_path: Path, spell: Any) -> None:
    """Newer tshark types http.file_data as bytes and writes it in hex."""
    def hexed(fields: dict[str, str]) -> dict[str, str]:
        if "http.file_data" in fields:
            fields["http.file_data"] = spell(fields["http.file_data"].encode())
        return fields
    export = tmp_path / "export.json"
    export.write_text(json.dumps([packet(1, 0, hexed(request("Ä"))),
                                  packet(2, 0, hexed(answer(200, ok("Ä")))),
                                  packet(3, 0, hexed(request("B"))),
                                  packet(4, 0, hexed(answer(200, ok("C"))))]))
    report = validate_files([export])
    assert report.messages == 4
    assert sorted(report.rules) == ["path-echo"], report.to_text()


def test_a_recording_marks_requests_answered_outside_the_protocol(tmp_path: Path) -> None:
    """``Recorder.settled``: one line settles the oldest open request of its connection,
    ``every`` all of them; other connections in the file keep theirs."""
    path = tmp_path / "proxy.jsonl"
    with Recorder(path) as rec:
        for conn in ("c1", "c2"):
            rec.connection(conn)
        rec.record("send", json.dumps({"get": ["A"], "tag": 1}), conn="c1")
        rec.record("send", json.dumps({"get": ["B"], "tag": 2}), conn="c1")
        rec.record("send", json.dumps({"get": ["C"], "tag": 3}), conn="c1")
        rec.record("send", json.dumps({"get": ["D"]}), conn="c2")
        rec.settled("answered with HTTP 401 (a fatal error, 2.6)", conn="c1")
        rec.record("recv", json.dumps({**ok("B"), "tag": 2}), conn="c1")
        rec.settled("cut off", conn="c1", every=True)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert {k: v for k, v in lines[-1].items() if k != "time"} == {
        "settled": "cut off", "conn": "c1", "every": True}
    report = validate_files([path])
    # A settled by the 401, B answered, C cut off; D on c2 is still an orphan
    assert [(e.rule, e.position) for g in report.rules.values()
            for e in g.examples] == [("orphan-request", f"{path}:7")]
    assert report.notes == [
        f"{path}: 1 request not checked against an answer: answered with HTTP 401 "
        "(a fatal error, 2.6)",
        f"{path}: 1 request not checked against an answer: cut off"]


def test_a_settled_line_on_a_connection_without_open_requests_settles_nothing(
        tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"time": 1.0, "settled": "cut off", "every": true}\n'
                    '{"time": 2.0, "settled": 7}\n'
                    '{"time": 3.0, "dir": "send", "data": "{\\"get\\": [\\"A\\"]}"}\n')
    report = validate_files([path])
    assert report.notes == []  # nothing was open to settle
    assert [(e.rule, e.position) for g in report.rules.values()
            for e in g.examples] == [("orphan-request", f"{path}:3")]
