"""The simulator's wire as a DMS's: unmasked and binary frames, the 4 MiB limit in bytes,
fatal items for unparsable requests, HTTP body timeouts, blinkers and debug logs."""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trio_websocket import ConnectionClosed, open_websocket_url
from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, TextMessage

from dmsproto.sim.limits import MAX_MESSAGE_BYTES
from dmsproto.sim.plant import demo_plant_path
from dmsproto.sim.server import Simulator
from dmsproto.sim.unmasked import MaskingAdapter
from tests.support.wire_client import RawWebSocket, frame

PLANT: dict[str, Any] = {
    "format": "dmsproto-plant/1",
    "zone": "UTC",
    "points": {"Test:Int": {"value": 1}, "System:Time": {"type": "string", "value": ""}},
}
GET = b'{"get":["Test:Int"],"tag":"t"}'
FATAL = {"get": [{"code": "error",
                  "message": "Expected JSON encoded data, but got something else."}]}
BIG = MAX_MESSAGE_BYTES + 64 * 1024


async def reply_of(raw: RawWebSocket) -> Any:
    with trio.fail_after(5):
        text = await raw.receive()
    assert isinstance(text, str), text
    return json.loads(text)


# --- masking --------------------------------------------------------------------------


async def test_unmasked_client_frames_are_answered(make_sim: Callable[..., Simulator]) -> None:
    """2.3: "Client must not send masked frames (optional)"."""
    async with make_sim(PLANT) as sim:
        raw = await RawWebSocket.connect(sim.port)
        await raw.send_raw(frame(GET))
        assert (await reply_of(raw))["get"][0]["value"] == 1
        long_tag = b'{"get":["Test:Int"],"tag":"' + b"x" * 70_000 + b'"}'  # 8-byte length
        await raw.send_raw(frame(long_tag[:300], fin=False) +
                           frame(long_tag[300:], opcode=0x0))  # fragmented, unmasked
        assert len((await reply_of(raw))["tag"]) == 70_000
        await raw.send_raw(frame(GET, mask=b"\x01\x02\x03\x04"))  # masked ones still work
        assert (await reply_of(raw))["tag"] == "t"
        await trio.aclose_forcefully(raw.stream)


def _frames() -> st.SearchStrategy[list[tuple[bytes, bytes | None]]]:
    long = st.integers(min_value=65_530, max_value=65_540).map(lambda n: b"\x5a" * n)
    payloads = st.one_of(st.binary(max_size=130), long)
    masks = st.none() | st.binary(min_size=4, max_size=4)
    return st.lists(st.tuples(payloads, masks), min_size=1, max_size=5)


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_frames(), st.lists(st.integers(min_value=1, max_value=70_000), max_size=8))
def test_masking_adapter_keeps_every_payload_whatever_the_cuts(
    frames: list[tuple[bytes, bytes | None]], cuts: list[int],
) -> None:
    stream = b"".join(frame(p, opcode=0x2, mask=m) for p, m in frames)
    adapter = MaskingAdapter()
    server = Connection(ConnectionType.SERVER)
    got: list[bytes] = []
    part = bytearray()
    start = 0
    for cut in [*sorted(c % (len(stream) + 1) for c in cuts), len(stream)]:
        server.receive_data(adapter.feed(stream[start:max(start, cut)]))
        start = max(start, cut)
        for event in server.events():
            assert isinstance(event, BytesMessage), event
            part += event.data
            if event.message_finished:
                got.append(bytes(part))
                part = bytearray()
    assert got == [p for p, _ in frames]


# --- binary frames, UTF-8, unparsable requests -----------------------------------------


async def test_binary_frames_are_requests_like_text(make_sim: Callable[..., Simulator]) -> None:
    """The vendor's Node-RED nodes send every request as a binary frame."""
    async with make_sim(PLANT) as sim:
        raw = await RawWebSocket.connect(sim.port)
        await raw.send_binary(GET)
        assert (await reply_of(raw))["get"][0]["value"] == 1
        await raw.send_binary("{\"get\":[\"Test:Int\"],\"tag\":\"é\"}".encode())
        assert (await reply_of(raw))["tag"] == "é"
        await trio.aclose_forcefully(raw.stream)


@pytest.mark.parametrize("payload", [b"\xff\xfe{", b"{not json", b"", b"[1,2]"])
async def test_unparsable_binary_request_gets_the_fatal_item_and_the_connection_stays(
    make_sim: Callable[..., Simulator], payload: bytes,
) -> None:
    """3.2.1: "Expected JSON encoded data, but got something else." as a response."""
    async with make_sim(PLANT) as sim:
        raw = await RawWebSocket.connect(sim.port)
        await raw.send_binary(payload)
        reply = await reply_of(raw)
        assert reply["get"][0]["code"] == "error" and "path" not in reply["get"][0]
        await raw.send_binary(GET)
        assert (await reply_of(raw))["get"][0]["value"] == 1
        await trio.aclose_forcefully(raw.stream)


async def test_text_frame_that_is_not_utf8_closes_with_1007(
    make_sim: Callable[..., Simulator],
) -> None:
    async with make_sim(PLANT) as sim:
        raw = await RawWebSocket.connect(sim.port)
        await raw.send_raw(frame(b'{"get":["\xff"]}', mask=b"abcd"))
        with trio.fail_after(5):
            closed = await raw.receive()
        assert isinstance(closed, CloseConnection) and closed.code == 1007
        await trio.aclose_forcefully(raw.stream)


async def test_100000_levels_of_nesting_answer_a_fatal_item_and_the_connection_stays(
    make_sim: Callable[..., Simulator], http_request: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="dmsproto")
    deep = b'{"get":["Test:Int"],"tag":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    expected = {"get": [{"code": "error",
                         "message": "Request nested too deep (more than 64 levels)"}]}
    async with make_sim(PLANT) as sim:
        raw = await RawWebSocket.connect(sim.port)
        await raw.send_binary(deep)
        assert await reply_of(raw) == expected
        await raw.send_binary(GET)
        assert (await reply_of(raw))["get"][0]["value"] == 1
        await trio.aclose_forcefully(raw.stream)
        reply = await http_request(sim.port, "POST", "/json_data", deep)
        assert reply is not None and json.loads(reply.body) == expected
    assert not any("Recursion" in r.getMessage() or r.exc_info for r in caplog.records)


# --- the 4 MiB limit counts bytes ------------------------------------------------------


def _request_of_bytes(size: int) -> str:
    """A get request of exactly ``size`` UTF-8 bytes, mostly two-byte characters."""
    prefix, suffix = '{"get":["Test:Int"],"tag":"', '"}'
    room = size - len(prefix) - len(suffix)
    return prefix + "é" * (room // 2) + "t" * (room % 2) + suffix


async def test_limit_is_4_mib_of_bytes_not_characters(
    make_sim: Callable[..., Simulator],
) -> None:
    async with make_sim(PLANT) as sim:
        at_limit = _request_of_bytes(MAX_MESSAGE_BYTES)
        assert len(at_limit.encode()) == MAX_MESSAGE_BYTES and len(at_limit) < 2_100_000
        async with open_websocket_url(sim.url, max_message_size=BIG) as ws:
            await ws.send_message(at_limit)
            with trio.fail_after(10):
                assert json.loads(await ws.get_message())["get"][0]["value"] == 1
        over = _request_of_bytes(MAX_MESSAGE_BYTES + 1)  # fewer characters than 4 MiB
        async with open_websocket_url(sim.url, max_message_size=BIG) as ws:
            await ws.send_message(over)
            with pytest.raises(ConnectionClosed) as caught, trio.fail_after(10):
                await ws.get_message()
            assert caught.value.reason is not None and caught.value.reason.code == 1009


# --- HTTP POST ---------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"\xff\xfe{", b"{not json"])
async def test_unparsable_post_gets_the_fatal_item(
    make_sim: Callable[..., Simulator], http_request: Callable[..., Any], body: bytes,
) -> None:
    async with make_sim(PLANT) as sim:
        reply = await http_request(sim.port, "POST", "/json_data", body)
        assert reply is not None and reply.status == 200
        assert json.loads(reply.body) == FATAL


async def test_slow_post_body_is_answered_408(make_sim: Callable[..., Simulator]) -> None:
    async with make_sim(PLANT, body_timeout=0.3) as sim:
        stream = await trio.open_tcp_stream("127.0.0.1", sim.port)
        await stream.send_all(b"POST /json_data HTTP/1.1\r\nHost: x\r\n"
                              b"Content-Type: application/json\r\nContent-Length: 40\r\n\r\n"
                              b'{"get":')
        received = b""
        with trio.fail_after(5):
            while chunk := await stream.receive_some(4096):
                received += chunk
        assert received.startswith(b"HTTP/1.1 408 ")
        await stream.aclose()


async def test_post_within_the_body_timeout_is_answered(
    make_sim: Callable[..., Simulator], http_request: Callable[..., Any],
) -> None:
    async with make_sim(PLANT, body_timeout=5) as sim:
        reply = await http_request(sim.port, "POST", "/json_data", GET)
        assert reply is not None and json.loads(reply.body)["get"][0]["value"] == 1


# --- System:Time and the blinkers under a running server --------------------------------


async def test_system_time_is_set_before_the_first_tick(
    make_sim: Callable[..., Simulator], http_request: Callable[..., Any],
) -> None:
    async with make_sim(PLANT, tick_interval=3600) as sim:
        reply = await http_request(sim.port, "POST", "/json_data", b'{"get":["System:Time"]}')
        assert reply is not None
        item = json.loads(reply.body)["get"][0]
        assert item["value"] not in ("", "00:00:00") and item["stamp"] is not None


async def test_blinkers_flip_at_their_own_period_between_ticks(
    make_sim: Callable[..., Simulator],
) -> None:
    async with make_sim(demo_plant_path(), tick_interval=1.0) as sim, \
            open_websocket_url(sim.url) as ws:
        await ws.send_message(json.dumps({"subscribe": [
            {"path": "System:Blinker:Blink0.25"}, {"path": "System:Blinker:Blink0.5"}]}))
        flips: dict[str, list[bool]] = {}
        with trio.fail_after(5):
            while len(flips.get("System:Blinker:Blink0.25", [])) < 6:
                frame_ = json.loads(await ws.get_message())
                for event in frame_.get("event", []):
                    flips.setdefault(event["path"], []).append(event["value"])
        values = flips["System:Blinker:Blink0.25"]
        assert all(a != b for a, b in itertools.pairwise(values))  # each one flips
        assert 2 <= len(flips.get("System:Blinker:Blink0.5", [])) <= 4


# --- debug logging -----------------------------------------------------------------------


async def test_debug_log_shows_connections_and_cut_frames(
    make_sim: Callable[..., Simulator], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="dmsproto")
    async with make_sim(PLANT) as sim:
        raw = await RawWebSocket.connect(sim.port)
        await raw.send_binary(b'{"get":["Test:Int"],"tag":"' + b"y" * 5000 + b'"}')
        await reply_of(raw)
        await trio.aclose_forcefully(raw.stream)
        await sim.wait_connections(0)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("dmsproto.sim")]
    assert any(line.startswith("connection from 127.0.0.1 (plain)") for line in lines)
    assert any("WebSocket from 127.0.0.1 open" in line for line in lines)
    received = [line for line in lines if " recv (binary, " in line]
    sent = [line for line in lines if " send (text, " in line]
    assert received and sent
    assert all(len(line) < 400 and line.endswith("...") for line in received + sent)
    assert any(line.endswith("WebSocket closed") for line in lines)


def test_text_and_binary_events_are_what_the_raw_client_sends() -> None:
    """The raw client's frames are what a wsproto server reads (guards the helper)."""
    server = Connection(ConnectionType.SERVER)
    server.receive_data(MaskingAdapter().feed(frame(b"abc") + frame(b"\x00", opcode=0x2)))
    events = list(server.events())
    assert isinstance(events[0], TextMessage) and events[0].data == "abc"
    assert isinstance(events[1], BytesMessage) and events[1].data == b"\x00"
