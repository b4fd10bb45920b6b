"""connect(record=...): every frame sent and received lands in a JSON Lines capture that
validates clean."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

import dmsproto
from dmsproto.capture import validate_files
from dmsproto.errors import HTTPStatusError, NotFound
from dmsproto.protocol import Get, Query, Set
from dmsproto.recorder import Recorder
from dmsproto.versions import Direction
from tests.support.backends import Backend, LoopSim, url_of
from tests.support.client import ANCHOR


def read_capture(path: Path) -> list[dict[str, object]]:
    """The message lines of a capture (session markers left out)."""
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    return [line for line in lines if "session" not in line]


async def session(dms: Any, subscribe: bool) -> None:
    """A bit of everything: reads, writes, a query, history, changelog, an error, events."""
    await dms.get("Test:Int", ext_infos={"unit"})
    await dms.get_many(["Test:Double", "Test:Text"])
    await dms.set("Test:Double", 22.5)
    await dms.query("Plant", regex_path=".*Istwert", max_depth=0)
    await dms.history("Plant:Trend", start=ANCHOR - timedelta(hours=1), end=ANCHOR)
    await dms.changelog_groups()
    await dms.batch([Get("Test:Int"), Query("Plant", {"maxDepth": 0}), Set("Test:Int", 3)])
    with pytest.raises(NotFound):
        await dms.get("Missing")
    if subscribe:
        async with dms.subscribe("Test:Int") as sub:
            await dms.set("Test:Int", 4)
            assert (await sub.__anext__()).value == 4


@pytest.mark.parametrize("transport", ["ws", "http"])
def test_recorded_session_validates_clean(
    backend: Backend, sim: LoopSim, tmp_path: Path, transport: str
) -> None:
    async def body() -> None:
        capture = tmp_path / "session.jsonl"
        async with backend.connect(url_of(sim, transport), whois="recorder",
                                   record=capture) as dms:
            await session(dms, subscribe=transport == "ws")
        records = read_capture(capture)
        sends = [r for r in records if r["dir"] == "send"]
        recvs = [r for r in records if r["dir"] == "recv"]
        assert len(sends) == (11 if transport == "ws" else 8) and len(recvs) >= len(sends)
        for n, record in enumerate(records):
            assert set(record) == {"time", "dir", "data"} | ({"http"} if transport == "http"
                                                             else set())
            assert isinstance(record["data"], str)
            direction: Direction = "send" if record["dir"] == "send" else "recv"
            assert dmsproto.validate(record["data"], direction=direction) == [], (n, record)
        # every request precedes its answer; events are recorded too
        first = orjson.loads(str(sends[0]["data"]))
        answer = next(r for r in recvs if orjson.loads(str(r["data"])).get("tag") == first["tag"])
        assert records.index(sends[0]) < records.index(answer)
        if transport == "ws":
            assert any(orjson.loads(str(r["data"])).get("event") for r in recvs)

    backend.run(body)


def test_shared_recorder_stays_open(backend: Backend, sim: LoopSim, tmp_path: Path) -> None:
    """An open Recorder belongs to the caller: two connections share it, neither closes it."""
    async def body() -> None:
        capture = tmp_path / "shared.jsonl"
        with Recorder(capture) as recorder:
            async with backend.connect(sim.url, record=recorder) as dms:
                await dms.get("Test:Int")
            assert not recorder.closed
            async with backend.connect(sim.http_url, record=recorder) as dms:
                await dms.get("Test:Text")
            assert recorder.count == 4
        records = read_capture(capture)
        assert [r["dir"] for r in records] == ["send", "recv", "send", "recv"]
        # the POSTs are marked, so that monitoring sent over HTTP can be told (3.6)
        assert [r.get("http", False) for r in records] == [False, False, True, True]
        assert all(dmsproto.validate(r["data"], direction=r["dir"]) == []  # type: ignore[arg-type]
                   for r in records)

    backend.run(body)


def test_a_post_answered_with_an_http_error_is_recorded_as_answered(
    backend: Backend, sim: LoopSim, tmp_path: Path
) -> None:
    """An HTTP error status is no protocol message, but it answers the request: the
    recording says so, and checking it finds no request without an answer."""
    async def body() -> None:
        capture = tmp_path / "refused.jsonl"
        wrong_path = sim.http_url.replace("/json_data", "/elsewhere")
        async with backend.connect(wrong_path, whois="recorder", record=capture) as dms:
            with pytest.raises(HTTPStatusError) as refused:
                await dms.get("Test:Int")
            assert refused.value.status == 404
        report = validate_files([capture])
        assert report.errors == 0 and report.rules == {}
        assert report.notes == [f"{capture}: 1 request not checked against an answer: "
                                "answered with HTTP 404 (a fatal error, 2.6)"]

    backend.run(body)


@pytest.mark.parametrize(("code", "said"), [(1009, "1009"), (1011, "1011")])
def test_requests_the_dms_answered_with_a_close_frame_are_recorded_as_answered(
    backend: Backend, sim: LoopSim, tmp_path: Path, code: int, said: str
) -> None:
    """A close frame is the DMS's fatal answer on a WebSocket (2.6): the recording says
    it answered the open request, and checking it finds none without an answer."""
    async def body() -> None:
        capture = tmp_path / "closed.jsonl"
        async with backend.connect(sim.url, whois="recorder", record=capture) as dms:
            sim.fault("close_next", code, "Closed by the test.", match="get")
            with pytest.raises(dmsproto.DMSProtoError, match=str(code)):
                await dms.get("Test:Int")
        report = validate_files([capture])
        assert report.errors == 0 and report.rules == {}
        assert report.notes == [f"{capture}: 1 request not checked against an answer: "
                                f"answered with WebSocket close {said} (a fatal error, 2.6)"]

    backend.run(body)


def test_a_connection_that_broke_without_a_close_frame_answered_nothing(
    backend: Backend, sim: LoopSim, tmp_path: Path
) -> None:
    async def body() -> None:
        capture = tmp_path / "broken.jsonl"
        async with backend.connect(sim.url, whois="recorder", record=capture) as dms:
            sim.fault("drop_before_response", match="get")
            with pytest.raises(dmsproto.ConnectionLost):
                await dms.get("Test:Int")
        report = validate_files([capture])
        assert {rule: group.count for rule, group in report.rules.items()} == {
            "orphan-request": 1}

    backend.run(body)
