"""Reader edge cases: bad capture records, HTTP bodies in HAR, unknown formats."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from dmsproto.capture import CaptureError, detect_format, validate_files


def test_bad_jsonl_lines_are_reported_under_capture(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"time": 1, "dir": "send", "data": {"get": ["A"]}}\n'
                    "\n"
                    "not json\n"
                    '{"time": 2, "dir": "up", "data": "{}"}\n'
                    '{"time": 3, "dir": "recv", "data": {"get": [{"code": "ok", "path": "A",'
                    ' "value": 1, "type": "int", "stamp": null}]}}\n')
    report = validate_files([path])
    assert report.rules["capture"].count == 2
    assert [e.position for e in report.examples("capture")] == [f"{path}:3", f"{path}:4"]
    assert report.messages == 2
    assert sorted(report.rules) == ["capture"]


def test_har_post_bodies_with_base64_response(tmp_path: Path) -> None:
    reply = b'{"get":[{"code":"ok","path":"A","value":1,"type":"int","stamp":null}],"tag":1}'
    entry = {"startedDateTime": "2026-01-01T00:00:00.000Z",
             "request": {"method": "POST", "url": "https://dms:9021/json_data",
                         "postData": {"text": '{"get":["A"],"tag":1}'}},
             "response": {"status": 200, "content": {"encoding": "base64",
                                                     "text": base64.b64encode(reply).decode()}}}
    ignored = {"request": {"method": "GET", "url": "https://dms:9021/index.html"},
               "response": {"status": 200, "content": {"text": "<html>"}}}
    path = tmp_path / "c.har"
    path.write_text(json.dumps({"log": {"entries": [ignored, entry]}}))
    report = validate_files([path])
    assert report.clean, report.to_text()
    assert report.messages == 2
    assert report.counts["recv", "get"] == 1


def test_har_binary_frames_are_read_and_control_frames_skipped(tmp_path: Path) -> None:
    binary = base64.b64encode(b'{"get":["B"],"tag":2}').decode()
    messages = [{"type": "send", "time": 1.0, "opcode": 2, "data": binary},
                {"type": "send", "time": 1.0, "opcode": 1, "data": '{"get":["A"],"colour":1}'},
                {"type": "send", "time": 1.0, "opcode": 9, "data": ""},
                {"type": "send", "time": 1.0, "opcode": 2, "data": base64.b64encode(
                    b"\xff\xfe").decode()}]
    path = tmp_path / "c.har"
    entry = {"request": {"method": "GET", "url": "ws://dms:9020/json_data"},
             "_webSocketMessages": messages}
    path.write_text(json.dumps({"log": {"entries": [entry]}}))
    report = validate_files([path])
    ws = f"{path}#/log/entries/0/_webSocketMessages/"
    assert [e.position for e in report.examples("additionalProperties")] == [ws + "1"]
    assert [e.position for e in report.examples("binary-frame")] == [ws + "0", ws + "3"]
    assert [e.position for e in report.examples("json")] == [ws + "3"]  # not UTF-8
    assert report.messages == 3 and report.counts["send", "get"] == 2
    assert report.examples("orphan-request")[0].time == "1970-01-01T00:00:01.000+00:00"


def test_har_websocket_entries_are_filtered_by_base_path(tmp_path: Path) -> None:
    def entry(url: str) -> dict[str, object]:
        return {"request": {"method": "GET", "url": url},
                "_webSocketMessages": [{"type": "send", "time": 1.0, "opcode": 1,
                                        "data": '{"chat": "hello"}'}]}
    path = tmp_path / "c.har"
    path.write_text(json.dumps({"log": {"entries": [
        entry("wss://dms:9021/json_data"), entry("wss://chat.example/socket"),
        entry("wss://proxy/dms/api?x=1")]}}))
    report = validate_files([path])
    assert report.messages == 1 and report.per_file[str(path)] == 1
    report = validate_files([path], base_path="/dms/api")
    assert [e.position for e in report.examples("additionalProperties")] == [
        f"{path}#/log/entries/2/_webSocketMessages/0"]


def test_unknown_format_and_unreadable_files(tmp_path: Path) -> None:
    odd = tmp_path / "notes.txt"
    odd.write_text("hello")
    with pytest.raises(CaptureError, match="unknown capture format"):
        detect_format(odd)
    with pytest.raises(CaptureError, match="cannot read"):
        validate_files([tmp_path / "missing.jsonl"])
    har = tmp_path / "x.har"
    har.write_text("{not json")
    with pytest.raises(CaptureError, match="not a HAR"):
        validate_files([har])


def test_several_files_add_up(tmp_path: Path) -> None:
    fixtures = Path(__file__).parent / "fixtures"
    report = validate_files([fixtures / "clean.jsonl", fixtures / "broken.jsonl"])
    assert report.messages == 17 + 23
    assert report.rules["whois"].count == 2
