"""The simulator records its traffic in the capture format, and the recording validates clean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import trio_websocket

from dmsproto.capture import validate_files
from dmsproto.sim import Simulator


async def test_recorded_session_validates_clean(tmp_path: Path) -> None:
    path = tmp_path / "sim.jsonl"
    async with (Simulator(tick_interval=None, record=path) as sim,
                trio_websocket.open_websocket_url(sim.url) as ws):
        await ws.send_message(json.dumps({"tag": 1, "get": ["Plant:AHU1:TempSupply"]}))
        assert json.loads(await ws.get_message())["tag"] == 1
        await ws.send_message(json.dumps(
            {"tag": 2, "subscribe": [{"path": "Plant:AHU1:TempSupply", "tag": "s"}]}))
        assert json.loads(await ws.get_message())["tag"] == 2
        await ws.send_message(json.dumps(
            {"tag": 3, "whois": "t", "user": "",
             "set": [{"path": "Plant:AHU1:TempSupply", "value": 30.5}]}))
        frames = [json.loads(await ws.get_message()) for _ in range(2)]
        assert {"tag", "event"} == {k for f in frames for k in f if k in ("tag", "event")}
    marker, *lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert "session" in marker
    assert [line["dir"] for line in lines] == ["send", "recv", "send", "recv", "send", "recv",
                                               "recv"]
    assert len({line["conn"] for line in lines}) == 1
    report = validate_files([path])
    assert report.clean, report.to_text()
    assert report.messages == 7


async def test_requests_answered_with_a_fatal_error_are_no_orphans(tmp_path: Path) -> None:
    """An HTTP error status and a close frame are the DMS's fatal-error answers (2.6):
    the recording says they answered their requests, so validating it agrees."""
    import dmsproto
    from dmsproto.errors import HTTPStatusError

    path = tmp_path / "sim.jsonl"
    async with Simulator(tick_interval=None, record=path) as sim:
        sim.faults.http_status_next(503, "Busy.")
        with pytest.raises(HTTPStatusError):
            async with dmsproto.connect(sim.http_url, timeout=5) as dms:
                await dms.get("System:Time")
        sim.faults.close_next(1011, "Internal error.")
        async with trio_websocket.open_websocket_url(sim.url) as ws:
            await ws.send_message(json.dumps({"tag": 1, "get": ["System:Time"]}))
            with pytest.raises(trio_websocket.ConnectionClosed) as closed:
                await ws.get_message()
        assert closed.value.reason.code == 1011
    report = validate_files([path])
    assert report.clean, report.to_text()
    assert sorted(report.notes) == [
        f"{path}: 1 request not checked against an answer: "
        "answered with HTTP 503 (a fatal error, 2.6)",
        f"{path}: 1 request not checked against an answer: "
        "answered with WebSocket close 1011 (a fatal error, 2.6)"]
