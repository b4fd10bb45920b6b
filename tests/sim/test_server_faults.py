"""Fault injection through ``sim.faults``, over WebSocket and HTTP, on loopback sockets."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import trio
from trio_websocket import ConnectionClosed, open_websocket_url

from dmsproto.sim.fault_actions import Close, Drop, Respond
from dmsproto.sim.faults import DEFAULT_OVERSIZE, Faults
from dmsproto.sim.server import Simulator

PLANT: dict[str, Any] = {
    "format": "dmsproto-plant/1",
    "zone": "UTC",
    "points": {"Test:Int": {"value": 1}, "Test:Sub": {"value": 0, "unit": "K"}},
}
GET = json.dumps({"get": ["Test:Int"]})
SET = json.dumps({"set": [{"path": "Test:Int", "value": 2}], "whois": "t", "user": ""})


async def receive(ws: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await ws.get_message())
    return message


async def closed_code(ws: Any) -> int:
    with pytest.raises(ConnectionClosed) as caught:
        await ws.get_message()
    assert caught.value.reason is not None
    return int(caught.value.reason.code)


async def test_drop_after_response_only_for_matching_command(
    make_sim: Callable[..., Simulator],
) -> None:
    async with make_sim(PLANT) as sim, open_websocket_url(sim.url) as ws:
        sim.faults.drop_after_response(match="get")
        await ws.send_message(SET)
        assert (await receive(ws))["set"][0]["code"] == "ok"
        assert sim.faults.pending == 1
        await ws.send_message(GET)
        assert (await receive(ws))["get"][0]["value"] == 2
        assert await closed_code(ws) == 1006  # TCP gone without a close frame
        assert sim.faults.pending == 0


async def test_drop_before_response(make_sim: Callable[..., Simulator]) -> None:
    async with make_sim(PLANT) as sim, open_websocket_url(sim.url) as ws:
        sim.faults.drop_before_response()
        await ws.send_message(SET)
        assert await closed_code(ws) == 1006
        await sim.wait_connections(0)
        assert sim.engine.tree.get("Test:Int").value == 2  # processed, just not answered


async def test_hold_until_released(make_sim: Callable[..., Simulator],
                                   http_request: Callable[..., Any]) -> None:
    async with make_sim(PLANT) as sim, open_websocket_url(sim.url) as ws:
        hold = sim.faults.hold_next(match="set")
        await ws.send_message(GET)
        assert (await receive(ws))["get"][0]["value"] == 1
        await ws.send_message(SET)
        await ws.send_message(GET)
        await hold.reached.wait()
        # the write took effect although its response is held
        reply = await http_request(sim.port, "POST", "/json_data", GET.encode())
        assert json.loads(reply.body)["get"][0]["value"] == 2
        assert not hold.released
        hold.release()
        assert "set" in await receive(ws)
        assert (await receive(ws))["get"][0]["value"] == 2  # later responses kept their order


async def test_delay_next(make_sim: Callable[..., Simulator],
                          autojump_clock: trio.testing.MockClock) -> None:
    del autojump_clock
    async with make_sim(PLANT, idle_timeout=1e6, close_timeout=1e6) as sim, \
            open_websocket_url(sim.url) as ws:
        sim.faults.delay_next(30.0, match="get")
        start = trio.current_time()
        await ws.send_message(GET)
        assert (await receive(ws))["get"][0]["value"] == 1
        assert trio.current_time() - start >= 30.0


async def test_malformed_frame_before_response(make_sim: Callable[..., Simulator]) -> None:
    async with make_sim(PLANT) as sim, open_websocket_url(sim.url) as ws:
        sim.faults.malformed_next("garbage{")
        await ws.send_message(GET)
        assert await ws.get_message() == "garbage{"
        assert (await receive(ws))["get"][0]["value"] == 1


async def test_malformed_frame_instead_of_response(make_sim: Callable[..., Simulator]) -> None:
    async with make_sim(PLANT) as sim, open_websocket_url(sim.url) as ws:
        sim.faults.malformed_next(replace=True)
        await ws.send_message(GET)
        text = await ws.get_message()
        assert isinstance(text, str)
        with pytest.raises(ValueError):
            json.loads(text)
        await ws.send_message(GET)  # the connection stays usable
        assert (await receive(ws))["get"][0]["value"] == 1


async def test_event_injected_between_subscribe_and_response(
    make_sim: Callable[..., Simulator],
) -> None:
    async with make_sim(PLANT) as sim, open_websocket_url(sim.url) as ws:
        sim.faults.inject_event_before_response()
        await ws.send_message(GET)  # not a subscribe: fault stays armed
        assert "get" in await receive(ws)
        await ws.send_message(json.dumps({"subscribe": [{"path": "Test:Sub", "tag": "T"}]}))
        event = await receive(ws)
        assert list(event) == ["event"]
        assert event["event"][0]["path"] == "Test:Sub"
        assert event["event"][0]["tag"] == "T"
        response = await receive(ws)
        assert response["subscribe"][0]["code"] == "ok"


async def test_given_event_frame_injected(make_sim: Callable[..., Simulator]) -> None:
    async with make_sim(PLANT) as sim, open_websocket_url(sim.url) as ws:
        frame = {"event": [{"code": "onSet", "path": "X", "trigger": "<DMS>", "value": 1,
                            "type": "int", "stamp": None}]}
        sim.faults.inject_event_before_response(frame, match=None)
        await ws.send_message(GET)
        assert await receive(ws) == frame
        assert "get" in await receive(ws)


async def test_oversized_message(make_sim: Callable[..., Simulator]) -> None:
    async with make_sim(PLANT) as sim, \
            open_websocket_url(sim.url, max_message_size=2 * DEFAULT_OVERSIZE) as ws:
        sim.faults.oversized_next()
        await ws.send_message(GET)
        text = await ws.get_message()
        assert len(text) >= DEFAULT_OVERSIZE
        assert json.loads(text)["get"][0]["value"] == 1


async def test_oversized_message_trips_default_client_limit(
    make_sim: Callable[..., Simulator],
) -> None:
    async with make_sim(PLANT) as sim, open_websocket_url(sim.url) as ws:  # 1 MiB limit
        sim.faults.oversized_next(2 * 1024 * 1024)
        await ws.send_message(GET)
        assert await closed_code(ws) == 1009


@pytest.mark.parametrize("after_response", [False, True])
async def test_close_with_code(make_sim: Callable[..., Simulator], after_response: bool) -> None:
    async with make_sim(PLANT) as sim, open_websocket_url(sim.url) as ws:
        sim.faults.close_next(4000, "test says bye", after_response=after_response)
        await ws.send_message(GET)
        if after_response:
            assert "get" in await receive(ws)
        with pytest.raises(ConnectionClosed) as caught:
            await ws.get_message()
        assert caught.value.reason is not None
        assert (caught.value.reason.code, caught.value.reason.reason) == (4000, "test says bye")


async def test_faults_shared_and_cleared() -> None:
    faults = Faults()
    faults.drop_after_response()
    faults.close_next(4001)
    assert faults.pending == 2
    plan = faults.plan({"get": []}, "http")  # HTTP leaves close_next armed
    assert Drop() in plan and not any(isinstance(action, Close) for action in plan)
    assert faults.pending == 1
    faults.clear()
    assert faults.pending == 0
    assert faults.plan({"get": []}, "websocket") == (Respond(),)  # no fault: just answer


# --- HTTP -----------------------------------------------------------------------------


async def test_http_drop_before_response(make_sim: Callable[..., Simulator],
                                         http_request: Callable[..., Any]) -> None:
    async with make_sim(PLANT) as sim:
        sim.faults.drop_before_response(match="get")
        assert await http_request(sim.port, "POST", "/json_data", GET.encode()) is None
        reply = await http_request(sim.port, "POST", "/json_data", GET.encode())
        assert reply.status == 200


async def test_http_drop_after_response(make_sim: Callable[..., Simulator],
                                        http_client: Any) -> None:
    async with make_sim(PLANT) as sim:
        sim.faults.drop_after_response()
        client = await http_client.connect(sim.port)
        reply = await client.request("POST", "/json_data", GET.encode())
        assert reply.status == 200
        assert reply.headers[b"connection"] == b"close"
        assert await client.stream.receive_some(1024) == b""  # the server closed
        await client.aclose()


async def test_http_malformed_and_hold(make_sim: Callable[..., Simulator],
                                       http_request: Callable[..., Any]) -> None:
    async with make_sim(PLANT) as sim:
        sim.faults.malformed_next("<html>oops</html>")
        reply = await http_request(sim.port, "POST", "/json_data", GET.encode())
        assert reply.body == b"<html>oops</html>"
        hold = sim.faults.hold_next()
        results: list[Any] = []

        async def post() -> None:
            results.append(await http_request(sim.port, "POST", "/json_data", GET.encode()))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(post)
            await hold.reached.wait()
            assert results == []
            hold.release()
        assert json.loads(results[0].body)["get"][0]["value"] == 1


async def test_http_status(make_sim: Callable[..., Simulator],
                           http_request: Callable[..., Any]) -> None:
    async with make_sim(PLANT) as sim, open_websocket_url(sim.url) as ws:
        sim.faults.http_status_next(403)
        sim.faults.http_status_next(503, "Busy.", match="set")
        await ws.send_message(SET)  # a WebSocket cannot answer with a status: left armed
        assert (await receive(ws))["set"][0]["code"] == "ok"
        assert sim.faults.pending == 2
        reply = await http_request(sim.port, "POST", "/json_data", GET.encode())
        assert (reply.status, reply.body) == (403, b"Forbidden.")
        assert reply.headers[b"content-type"].startswith(b"text/plain")
        reply = await http_request(sim.port, "POST", "/json_data", SET.encode())
        assert (reply.status, reply.body) == (503, b"Busy.")
        reply = await http_request(sim.port, "POST", "/json_data", GET.encode())
        assert reply.status == 200


async def test_http_one_malformed_body_per_request(make_sim: Callable[..., Simulator],
                                                  http_request: Callable[..., Any]) -> None:
    async with make_sim(PLANT) as sim:
        sim.faults.malformed_next("first")
        sim.faults.malformed_next("second", replace=True)
        bodies = [(await http_request(sim.port, "POST", "/json_data", GET.encode())).body
                  for _ in range(3)]
        assert bodies[:2] == [b"first", b"second"]
        assert json.loads(bodies[2])["get"][0]["value"] == 1


async def test_websocket_faults_wait_for_a_websocket(make_sim: Callable[..., Simulator],
                                                    http_request: Callable[..., Any]) -> None:
    async with make_sim(PLANT) as sim:
        frame = {"event": [{"code": "onSet", "path": "X", "trigger": "<DMS>", "value": 1,
                            "type": "int", "stamp": None}]}
        sim.faults.inject_event_before_response(frame, match=None)
        sim.faults.close_next(4002, "later")
        reply = await http_request(sim.port, "POST", "/json_data", GET.encode())
        assert json.loads(reply.body)["get"][0]["value"] == 1
        assert sim.faults.pending == 2
        async with open_websocket_url(sim.url) as ws:
            await ws.send_message(GET)
            assert await receive(ws) == frame
            with pytest.raises(ConnectionClosed) as caught:
                await ws.get_message()  # closed instead of answered
            assert caught.value.reason is not None
            assert (caught.value.reason.code, caught.value.reason.reason) == (4002, "later")


async def test_fault_order_on_the_wire(make_sim: Callable[..., Simulator],
                                       autojump_clock: trio.testing.MockClock) -> None:
    """Armed in reverse, the faults still act delay, hold, frames, answer, end."""
    del autojump_clock
    async with make_sim(PLANT, idle_timeout=1e6, close_timeout=1e6) as sim, \
            open_websocket_url(sim.url) as ws:
        sim.faults.close_next(4003, "done", after_response=True)
        sim.faults.malformed_next("garbage{")
        hold = sim.faults.hold_next()
        sim.faults.delay_next(30.0)
        start = trio.current_time()
        await ws.send_message(GET)
        await hold.reached.wait()
        assert trio.current_time() - start < 30.0  # armed first, held first
        hold.release()
        assert await ws.get_message() == "garbage{"
        assert trio.current_time() - start >= 30.0
        assert (await receive(ws))["get"][0]["value"] == 1
        with pytest.raises(ConnectionClosed) as caught:
            await ws.get_message()
        assert caught.value.reason is not None and caught.value.reason.code == 4003
