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


def test_har_binary_and_control_frames_are_skipped(tmp_path: Path) -> None:
    messages = [{"type": "send", "time": 1.0, "opcode": 2, "data": "AAEC"},
                {"type": "send", "time": 1.0, "opcode": 1, "data": '{"get":["A"],"colour":1}'}]
    path = tmp_path / "c.har"
    path.write_text(json.dumps({"log": {"entries": [{"_webSocketMessages": messages}]}}))
    report = validate_files([path])
    assert [e.position for e in report.examples("additionalProperties")] == [
        f"{path}#/log/entries/0/_webSocketMessages/1"]
    assert report.examples("orphan-request")[0].time == "1970-01-01T00:00:01.000+00:00"


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
