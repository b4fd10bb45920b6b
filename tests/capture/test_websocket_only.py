"""subscribe and unsubscribe are "only for WebSocket connection" (3.1, 3.6): sent in an
HTTP POST they are an error (rule ``websocket-only``), wherever the capture shows the
transport: HAR files, network captures, JSON Lines records marked ``"http": true``, and
the live proxy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dmsproto.capture import validate_files
from dmsproto.proxy import LiveChecker
from dmsproto.recorder import Recorder

URL = "http://127.0.0.1:9020/json_data"
REFUSED = {"code": "error", "path": "A",
           "message": "Monitoring is only possible on WebSocket connections"}


def post(request: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    return {"startedDateTime": "2026-01-01T00:00:00.000Z",
            "request": {"method": "POST", "url": URL,
                        "postData": {"mimeType": "application/json",
                                     "text": json.dumps(request)}},
            "response": {"status": 200, "content": {"mimeType": "application/json",
                                                    "text": json.dumps(answer)}}}


def findings(path: Path) -> list[tuple[str, str, str]]:
    report = validate_files([path])
    return [(rule, e.position.rsplit("/log/", 1)[-1].rsplit(":", 1)[-1], e.pointer)
            for rule, group in sorted(report.rules.items()) for e in group.examples]


def test_a_har_post_of_subscribe_and_unsubscribe_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "c.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": [
        post({"subscribe": [{"path": "A"}], "get": ["A"]},
             {"subscribe": [REFUSED],
              "get": [{"code": "ok", "path": "A", "value": 1, "type": "int", "stamp": None}]}),
        post({"unsubscribe": [{"path": "A"}]}, {"unsubscribe": [REFUSED]}),
        post({"get": ["A"]},
             {"get": [{"code": "ok", "path": "A", "value": 1, "type": "int", "stamp": None}]}),
    ]}}))
    assert findings(path) == [
        ("websocket-only", "entries/0/request/postData/text", "/subscribe"),
        ("websocket-only", "entries/1/request/postData/text", "/unsubscribe")]


def test_json_lines_records_marked_http_and_the_recorder_that_marks_them(
        tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    with Recorder(path) as recorder:
        recorder.record("send", json.dumps({"subscribe": [{"path": "A"}]}), http=True)
        recorder.record("recv", json.dumps({"subscribe": [REFUSED]}), http=True)
        recorder.record("send", json.dumps({"subscribe": [{"path": "A"}], "tag": 2}))
        recorder.record("recv", json.dumps({"subscribe": [{**REFUSED, "code": "ok"}],
                                            "tag": 2}))
    assert [json.loads(line).get("http") for line in path.read_text().splitlines()[1:]] == [
        True, True, None, None]
    assert findings(path) == [("websocket-only", "2", "/subscribe")]


def test_the_live_proxy_checks_posts_too() -> None:
    checker = LiveChecker()
    request = json.dumps({"subscribe": [{"path": "A"}]})
    assert [(f.rule, f.pointer, f.value) for f in checker.check("send", request, "c1.1", 0.0,
                                                                http=True)] == [
        ("websocket-only", "/subscribe", [{"path": "A"}])]  # the command, not null
    assert checker.check("send", request, "c2", 0.0) == []
