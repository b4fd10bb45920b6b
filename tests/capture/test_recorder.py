"""The Recorder writes our JSON Lines format; a recorded simulator session validates clean."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from trio_websocket import open_websocket_url

from dmsproto.capture import Recorder, validate_files
from dmsproto.sim.server import Simulator


def test_lines_hold_time_direction_and_exact_text(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    with Recorder(path) as rec:
        rec.record("send", '{"get": ["A"]}', time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
        rec.record("recv", b'{"get":[]}\n', conn="c1", time=1.5)
        rec.record("recv", "{broken")
        assert rec.count == 3
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0] == {"time": "2026-01-02T03:04:05+00:00", "dir": "send",
                        "data": '{"get": ["A"]}'}
    assert lines[1] == {"time": 1.5, "dir": "recv", "data": '{"get":[]}\n', "conn": "c1"}
    assert lines[2]["data"] == "{broken"
    assert datetime.fromisoformat(lines[2]["time"]).tzinfo is not None


def test_record_after_close_does_nothing(tmp_path: Path) -> None:
    rec = Recorder(tmp_path / "s.jsonl")
    rec.record("send", "{}")
    rec.close()
    assert rec.closed
    rec.record("send", "{}")
    assert (tmp_path / "s.jsonl").read_text().count("\n") == 1


def test_each_line_is_flushed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    with Recorder(path) as rec:
        rec.record("send", '{"get":["A"]}')
        assert path.read_bytes().endswith(b"\n")


def test_bad_direction_is_refused(tmp_path: Path) -> None:
    with Recorder(tmp_path / "s.jsonl") as rec, pytest.raises(ValueError, match="direction"):
        rec.record("sideways", "{}")  # type: ignore[arg-type]


def test_append_keeps_earlier_lines(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    with Recorder(path) as rec:
        rec.record("send", "{}")
    with Recorder(path, append=True) as rec:
        rec.record("recv", "{}")
    assert [json.loads(x)["dir"] for x in path.read_text().splitlines()] == ["send", "recv"]


async def test_recorded_simulator_session_validates_clean(tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    requests: list[dict[str, Any]] = [
        {"get": [{"path": "Plant:AHU1:TempSupply", "showExtInfos": ["unit"], "tag": 1}],
         "tag": "a"},
        {"get": [{"path": "Plant:AHU1", "query": {"maxDepth": 0}}], "tag": "b"},
        {"subscribe": [{"path": "Plant:AHU1:TempSupplySet", "tag": "s"}], "tag": "c"},
        {"set": [{"path": "Plant:AHU1:TempSupplySet", "value": 20.5}], "whois": "t",
         "user": "", "tag": "d"},
        {"changelogGetGroups": [], "tag": "e"},
        {"unsubscribe": [{"path": "Plant:AHU1:TempSupplySet", "tag": "s"}], "tag": "f"},
    ]
    with Recorder(path) as rec:
        async with Simulator(tick_interval=None, validate_outgoing=True) as sim, \
                open_websocket_url(sim.url, max_message_size=2**24) as ws:
            for request in requests:
                text = json.dumps(request)
                rec.record("send", text)
                await ws.send_message(text)
                while True:
                    reply = await ws.get_message()
                    rec.record("recv", reply)
                    if json.loads(reply).get("tag") == request["tag"]:
                        break
        assert sim.violations == []
    report = validate_files([path])
    assert report.clean, report.to_text()
    assert report.counts["recv", "event"] == 1
    assert report.messages == 2 * len(requests) + 1
