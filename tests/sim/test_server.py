"""The simulator on real loopback sockets: WebSocket and HTTP POST on one port, plain."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import trio
from trio_websocket import ConnectionClosed, open_websocket_url

from dmsproto.sim.auth import IPLists
from dmsproto.sim.limits import FRAGMENT_BYTES as FRAGMENT_SIZE
from dmsproto.sim.limits import MAX_MESSAGE_BYTES as MAX_MESSAGE_CHARS
from dmsproto.sim.server import Simulator, serve
from tests.support.wire_client import RawWebSocket

PLANT: dict[str, Any] = {
    "format": "dmsproto-plant/1",
    "zone": "UTC",
    "points": {
        "Test:Int": {"value": 1},
        "Test:Text": {"value": "hello"},
        "Test:Sub": {"value": 0},
        "System:Time": {"type": "string", "value": ""},
    },
}
BIG = 4 * 1024 * 1024 + 64 * 1024  # client message limit that fits the 4 MiB boundary tests


class Clock:
    """A settable engine clock."""

    def __init__(self) -> None:
        self.now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def ws_call(ws: Any, request: dict[str, Any]) -> dict[str, Any]:
    await ws.send_message(json.dumps(request))
    reply: dict[str, Any] = json.loads(await ws.get_message())
    return reply


# --- WebSocket ------------------------------------------------------------------------


async def test_ws_get_set_round_trip(make_sim: Callable[..., Simulator]) -> None:
    async with make_sim(PLANT) as sim, open_websocket_url(sim.url) as ws:
        assert sim.url == f"ws://127.0.0.1:{sim.port}/json_data"
        reply = await ws_call(ws, {"get": [{"path": "Test:Int", "tag": 7}], "tag": "r1"})
        assert reply["tag"] == "r1"
        [item] = reply["get"]
        assert (item["code"], item["path"], item["value"], item["type"], item["tag"]) == (
            "ok", "Test:Int", 1, "int", 7)
        reply = await ws_call(ws, {"set": [{"path": "Test:Int", "value": 42}], "whois": "t",
                                   "user": ""})
        assert reply["set"][0]["code"] == "ok"
        reply = await ws_call(ws, {"get": ["Test:Int"]})
        assert reply["get"][0]["value"] == 42


async def test_ws_subscribe_gets_events_from_other_connection(
    make_sim: Callable[..., Simulator],
) -> None:
    async with make_sim(PLANT) as sim, open_websocket_url(sim.url) as a, \
            open_websocket_url(sim.url) as b:
        reply = await ws_call(a, {"subscribe": [{"path": "Test:Sub", "tag": "s"}]})
        assert reply["subscribe"][0]["code"] == "ok"
        reply = await ws_call(b, {"set": [{"path": "Test:Sub", "value": 5}], "whois": "B",
                                  "user": ""})
        assert reply["set"][0]["code"] == "ok"
        event = json.loads(await a.get_message())
        [item] = event["event"]
        assert (item["code"], item["path"], item["value"], item["trigger"], item["tag"]) == (
            "onChange", "Test:Sub", 5, "B", "s")


async def test_ws_messages_answered_in_order(make_sim: Callable[..., Simulator]) -> None:
    async with make_sim(PLANT) as sim, open_websocket_url(sim.url) as ws:
        for n in range(20):
            await ws.send_message(json.dumps({"get": ["Test:Int"], "tag": n}))
        tags = [json.loads(await ws.get_message())["tag"] for _ in range(20)]
        assert tags == list(range(20))


async def test_ws_unparsable_request_gets_fatal_item(make_sim: Callable[..., Simulator]) -> None:
    async with make_sim(PLANT) as sim, open_websocket_url(sim.url) as ws:
        await ws.send_message("{nope")
        reply = json.loads(await ws.get_message())
        assert reply["get"][0]["code"] == "error"
        assert "path" not in reply["get"][0]


async def test_ws_invalid_path_closed_with_1003(make_sim: Callable[..., Simulator]) -> None:
    async with make_sim(PLANT) as sim:
        url = sim.url.replace("/json_data", "/other")
        async with open_websocket_url(url) as ws:
            with pytest.raises(ConnectionClosed) as caught:
                await ws.get_message()
        assert caught.value.reason is not None
        assert (caught.value.reason.code, caught.value.reason.reason) == (1003, "Invalid path.")
        assert sim.engine.sessions == []


async def test_ws_subscriptions_dropped_when_connection_closes(
    make_sim: Callable[..., Simulator],
) -> None:
    async with make_sim(PLANT) as sim, open_websocket_url(sim.url) as b:
        async with open_websocket_url(sim.url) as a:
            await ws_call(a, {"subscribe": [{"path": "Test:Sub"}]})
            await sim.wait_connections(2)
            [session_a] = [s for s in sim.engine.sessions if s.subscriptions]
            assert session_a.websocket
        await sim.wait_connections(1)
        assert session_a not in sim.engine.sessions
        assert session_a.subscriptions == {}
        # a write that would have raised an event for A now reaches no one
        reply = await ws_call(b, {"set": [{"path": "Test:Sub", "value": 9}], "whois": "B",
                                  "user": ""})
        assert reply["set"][0]["code"] == "ok"
        assert sim.engine.subscriptions.targets(
            "onChange", "Test:Sub", sim.engine.tree.get("Test:Sub"), sim.engine.stamp_text
        ) == []
        assert sim.undeliverable == 0


async def test_tick_delivers_system_time(make_sim: Callable[..., Simulator]) -> None:
    clock = Clock()
    async with make_sim(PLANT, clock=clock) as sim, open_websocket_url(sim.url) as ws:
        await ws_call(ws, {"subscribe": [{"path": "System:Time"}]})
        clock.now += timedelta(seconds=1)
        assert sim.tick() == 1
        event = json.loads(await ws.get_message())
        assert event["event"][0]["path"] == "System:Time"
        assert event["event"][0]["value"] == "12:00:01"


async def test_ticker_task_runs(make_sim: Callable[..., Simulator],
                                autojump_clock: trio.testing.MockClock) -> None:
    """The background ticker calls engine.tick() every tick_interval (trio time)."""
    del autojump_clock
    async with make_sim(PLANT, tick_interval=1.0) as sim:
        calls: list[float] = []
        original = sim.engine.tick
        done = trio.Event()

        def counting_tick() -> Any:
            calls.append(trio.current_time())
            if len(calls) == 3:
                done.set()
            return original()

        sim.engine.tick = counting_tick  # type: ignore[method-assign]
        start = trio.current_time()
        await done.wait()
        assert [round(t - start) for t in calls] == [1, 2, 3]


# --- fragmentation and size limits ------------------------------------------------------


@pytest.mark.parametrize("char", ["x", "é", "€"])
async def test_large_response_is_fragmented(make_sim: Callable[..., Simulator], char: str
                                            ) -> None:
    async with make_sim(PLANT) as sim:
        raw = await RawWebSocket.connect(sim.port)
        value = char * 50_000
        await raw.send(json.dumps({"set": [{"path": "Test:Long", "value": value, "create": True}],
                                   "whois": "t", "user": ""}, ensure_ascii=False))
        set_reply = await raw.receive()
        assert isinstance(set_reply, str)
        raw.frames.clear()
        await raw.send(json.dumps({"get": ["Test:Long"]}))
        text = await raw.receive()
        assert isinstance(text, str)
        assert json.loads(text)["get"][0]["value"] == value
        size = len(text.encode("utf-8"))
        assert len(raw.frames) >= -(-size // FRAGMENT_SIZE) > 1
        assert max(raw.frames) <= FRAGMENT_SIZE
        assert sum(raw.frames) == size
        await trio.aclose_forcefully(raw.stream)


async def test_small_response_is_one_frame(make_sim: Callable[..., Simulator]) -> None:
    async with make_sim(PLANT) as sim:
        raw = await RawWebSocket.connect(sim.port)
        await raw.send(json.dumps({"get": ["Test:Int"]}))
        assert isinstance(await raw.receive(), str)
        assert len(raw.frames) == 1
        await trio.aclose_forcefully(raw.stream)


async def test_message_of_exactly_4_mib_is_accepted(make_sim: Callable[..., Simulator]) -> None:
    async with make_sim(PLANT) as sim, open_websocket_url(sim.url, max_message_size=BIG) as ws:
        prefix = '{"get":["Test:Int"],"tag":"'
        message = prefix + "t" * (MAX_MESSAGE_CHARS - len(prefix) - 2) + '"}'
        assert len(message) == MAX_MESSAGE_CHARS
        await ws.send_message(message)
        reply = json.loads(await ws.get_message())
        assert reply["get"][0]["value"] == 1
        assert len(reply["tag"]) == MAX_MESSAGE_CHARS - len(prefix) - 2


async def test_message_over_4_mib_is_rejected_with_1009(
    make_sim: Callable[..., Simulator],
) -> None:
    async with make_sim(PLANT) as sim, open_websocket_url(sim.url, max_message_size=BIG) as ws:
        await ws.send_message('{"get":["Test:Int"],"tag":"' + "t" * MAX_MESSAGE_CHARS + '"}')
        with pytest.raises(ConnectionClosed) as caught:
            await ws.get_message()
        assert caught.value.reason is not None
        assert caught.value.reason.code == 1009


async def test_ping_answered(make_sim: Callable[..., Simulator]) -> None:
    async with make_sim(PLANT) as sim, open_websocket_url(sim.url) as ws:
        with trio.fail_after(5):
            await ws.ping(b"abc")


# --- HTTP -----------------------------------------------------------------------------


async def test_http_post_get(make_sim: Callable[..., Simulator],
                             http_request: Callable[..., Any]) -> None:
    async with make_sim(PLANT) as sim:
        assert sim.http_url == f"http://127.0.0.1:{sim.port}/json_data"
        body = json.dumps({"get": [{"path": "Test:Text"}], "tag": 1}).encode()
        reply = await http_request(sim.port, "POST", "/json_data", body)
        assert reply.status == 200
        assert reply.headers[b"content-type"].startswith(b"application/json")
        data = json.loads(reply.body)
        assert data["tag"] == 1
        assert data["get"][0]["value"] == "hello"
        assert sim.engine.sessions == []  # one short session per request


async def test_http_keep_alive_and_events_to_websocket(
    make_sim: Callable[..., Simulator], http_client: Any,
) -> None:
    async with make_sim(PLANT) as sim, open_websocket_url(sim.url) as ws:
        await ws_call(ws, {"subscribe": [{"path": "Test:Sub"}]})
        client = await http_client.connect(sim.port)
        for value in (1, 2):
            body = json.dumps({"set": [{"path": "Test:Sub", "value": value}], "whois": "http",
                               "user": ""}).encode()
            reply = await client.request("POST", "/json_data", body)
            assert reply is not None and reply.status == 200
            assert json.loads(reply.body)["set"][0]["code"] == "ok"
            event = json.loads(await ws.get_message())
            assert event["event"][0]["value"] == value
            assert event["event"][0]["trigger"] == "http"
        await client.aclose()


async def test_http_get_is_405(make_sim: Callable[..., Simulator],
                               http_request: Callable[..., Any]) -> None:
    async with make_sim(PLANT) as sim:
        reply = await http_request(sim.port, "GET", "/json_data")
        assert reply.status == 405
        assert reply.body == b"Use POST requests."
        assert reply.headers[b"content-type"].startswith(b"text/plain")


async def test_http_head_is_answered_without_a_body_and_the_connection_goes_on(
        make_sim: Callable[..., Simulator], http_client: Any) -> None:
    async with make_sim(PLANT) as sim:
        client = await http_client.connect(sim.port)
        try:
            head = await client.request("HEAD", "/json_data")
            assert head.status == 405
            assert head.body == b""
            assert head.headers[b"content-length"] == str(len(b"Use POST requests.")).encode()
            after = await client.request("POST", "/json_data", b'{"get":["Test:Int"]}')
            assert after.status == 200
            assert json.loads(after.body)["get"][0]["path"] == "Test:Int"
        finally:
            await client.aclose()


async def test_http_wrong_path_is_404(make_sim: Callable[..., Simulator],
                                      http_request: Callable[..., Any]) -> None:
    async with make_sim(PLANT) as sim:
        reply = await http_request(sim.port, "POST", "/other", b'{"get":["Test:Int"]}')
        assert reply.status == 404


async def test_http_body_over_4_mib_is_413(make_sim: Callable[..., Simulator]) -> None:
    """Answered from the declared length, before the body is sent."""
    async with make_sim(PLANT) as sim:
        stream = await trio.open_tcp_stream("127.0.0.1", sim.port)
        await stream.send_all(b"POST /json_data HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                              % (MAX_MESSAGE_CHARS + 1))
        data = b""
        while chunk := await stream.receive_some(65536):
            data += chunk
        assert data.startswith(b"HTTP/1.1 413 ")
        assert data.endswith(b"Request too large.")
        await stream.aclose()


async def test_http_chunked_body_over_4_mib_is_413(make_sim: Callable[..., Simulator]) -> None:
    async with make_sim(PLANT) as sim:
        stream = await trio.open_tcp_stream("127.0.0.1", sim.port)
        head = b"POST /json_data HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        chunk = b" " * 65536
        await stream.send_all(head)
        sent = 0
        with pytest.raises(trio.BrokenResourceError):
            while sent <= MAX_MESSAGE_CHARS + len(chunk):  # the server stops reading at 4 MiB
                await stream.send_all(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            data = await stream.receive_some(65536)
            assert data.startswith(b"HTTP/1.1 413 ")
            raise trio.BrokenResourceError("answered")
        await stream.aclose()


async def test_http_garbage_is_400(make_sim: Callable[..., Simulator]) -> None:
    async with make_sim(PLANT) as sim:
        stream = await trio.open_tcp_stream("127.0.0.1", sim.port)
        await stream.send_all(b"NOT HTTP AT ALL\r\n\r\n")
        data = b""
        while chunk := await stream.receive_some(65536):
            data += chunk
        assert data.startswith(b"HTTP/1.1 400 ")
        await stream.aclose()


# --- IP lists ---------------------------------------------------------------------------


async def closed_without_answer(stream: trio.SocketStream) -> bool:
    """True when the server closes ``stream`` without sending a byte."""
    try:
        await stream.send_all(b"GET /json_data HTTP/1.1\r\nHost: x\r\n\r\n")
        data = await stream.receive_some(1024)
    except trio.BrokenResourceError:
        data = b""
    await stream.aclose()
    return data == b""


async def test_plain_connection_from_address_not_allowed_is_refused(
    make_sim: Callable[..., Simulator], http_request: Callable[..., Any],
) -> None:
    allow = IPLists.of(plain_allowed=["10.0.0.0/8"])
    async with make_sim(PLANT, allow=allow) as sim:
        reply = await http_request(sim.port, "POST", "/json_data", b'{"get":["Test:Int"]}')
        assert reply is None
        raw_stream = await trio.open_tcp_stream("127.0.0.1", sim.port)
        assert await closed_without_answer(raw_stream)
        assert sim.refused == 2


async def test_plain_connection_blocked(make_sim: Callable[..., Simulator],
                                        http_request: Callable[..., Any]) -> None:
    allow = IPLists.of(plain_blocked=["127.0.0.0/8"])
    async with make_sim(PLANT, allow=allow) as sim:
        assert await http_request(sim.port, "POST", "/json_data", b"{}") is None
        assert sim.refused == 1


# --- serve ------------------------------------------------------------------------------


async def test_serve_closes_websockets_with_1001_on_cancel() -> None:
    lines: list[str] = []
    scope = trio.CancelScope()
    stopped = trio.Event()

    async def run(task_status: trio.TaskStatus[Simulator] = trio.TASK_STATUS_IGNORED) -> None:
        with scope:
            await serve(PLANT, port=0, tick_interval=None, announce=lines.append,
                        task_status=task_status)
        stopped.set()

    async with trio.open_nursery() as nursery:
        sim = await nursery.start(run)
        assert lines and sim.url in lines[0] and sim.http_url in lines[0]
        async with open_websocket_url(sim.url) as ws:
            await ws_call(ws, {"get": ["Test:Int"]})
            scope.cancel()
            with pytest.raises(ConnectionClosed) as caught:
                await ws.get_message()
            assert caught.value.reason is not None
            assert caught.value.reason.code == 1001
        await stopped.wait()
    with pytest.raises(OSError):
        await trio.open_tcp_stream("127.0.0.1", sim.port)


# --- internal failures and self-validation -------------------------------------------------


async def test_engine_failure_is_contained(make_sim: Callable[..., Simulator],
                                           http_request: Callable[..., Any]) -> None:
    async with make_sim(PLANT) as sim:
        original = sim.engine.handle

        def failing(session: Any, text: str | bytes) -> Any:
            if "boom" in str(text):
                raise RuntimeError("engine bug")
            return original(session, text)

        sim.engine.handle = failing  # type: ignore[method-assign]
        async with open_websocket_url(sim.url) as ws:
            await ws.send_message('{"get":["boom"]}')
            with pytest.raises(ConnectionClosed) as caught:
                await ws.get_message()
            assert caught.value.reason is not None
            assert caught.value.reason.code == 1011
        reply = await http_request(sim.port, "POST", "/json_data", b'{"get":["boom"]}')
        assert reply.status == 500
        reply = await http_request(sim.port, "POST", "/json_data", b'{"get":["Test:Int"]}')
        assert reply.status == 200  # the server is still fine
        assert [str(e) for e in sim.errors] == ["engine bug", "engine bug"]
        sim.errors.clear()


def test_outgoing_frames_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    from dmsproto import validation
    from dmsproto.sim import server

    bad = validation.Violation("/get/0/code", "enum", "maybe", "not a result code")
    monkeypatch.setattr(server, "validate", lambda frame, **kw: [bad] if "get" in frame else [])
    sim = Simulator(PLANT, validate_outgoing=True)
    assert sim.encode_frame({"event": []}) == '{"event":[]}'
    assert sim.violations == []
    sim.encode_frame({"get": [{"code": "maybe"}]})
    assert sim.violations == [({"get": [{"code": "maybe"}]}, [bad])]
    quiet = Simulator(PLANT)
    quiet.encode_frame({"get": []})
    assert quiet.violations == []



async def test_a_blinker_flip_already_due_happens_at_once(
        make_sim: Callable[..., Simulator]) -> None:
    """A flip that fell due while the simulator was held up (between reading when it is
    due and waiting for it) is made at once, and the simulator goes on serving."""
    from dmsproto.sim import demo_plant_path, load_plant
    from dmsproto.sim.testing import StepClock

    clock = StepClock()
    sim = make_sim(load_plant(demo_plant_path()), clock=clock, tick_interval=3600.0)
    dues = [clock.now - timedelta(seconds=1), None]  # already past when the wait begins
    sim.engine.next_blink = lambda: dues.pop(0)  # type: ignore[method-assign]
    flipped = trio.Event()
    blink = sim.engine.blink

    def blink_and_tell() -> Any:
        flipped.set()
        return blink()

    sim.engine.blink = blink_and_tell  # type: ignore[method-assign]
    async with sim, open_websocket_url(sim.url) as ws:
        with trio.fail_after(5):
            await flipped.wait()
        reply = await ws_call(ws, {"get": ["System:Blinker:Blink1"]})
        assert reply["get"][0]["code"] == "ok"
