"""Faults: drops, malformed frames, server close codes, cancellation, timeouts, dead peers,
and reconnection with renewed subscriptions and the gap signalled."""

from __future__ import annotations

import socket
import time

import anyio
import pytest
import trio

from dmsproto.errors import (
    ConnectError,
    ConnectionLost,
    EventGap,
    ProtocolError,
    RequestTimeout,
)
from dmsproto.options import ReconnectPolicy
from dmsproto.results import Event, Gap
from tests.support.backends import Backend, LoopSim
from tests.support.client import FAST


def test_drop_mid_request_fails_pending_calls(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        async with backend.connect(sim.url) as dms:
            hold = sim.fault("hold_next", match="get")
            sim.fault("drop_before_response", match="get")
            failures: list[BaseException] = []

            async def call() -> None:
                try:
                    await dms.get("Test:Int")
                except ConnectionLost as exc:
                    failures.append(exc)

            with anyio.fail_after(5):
                async with anyio.create_task_group() as nursery:
                    for _ in range(5):
                        nursery.start_soon(call)
                    await sim.reached(hold)
                    assert dms.core.pending_calls == 5
                    sim.call(hold.release)
            assert len(failures) == 5
            assert not dms.connected
            with pytest.raises(ConnectionLost):
                await dms.get("Test:Int")  # no reconnect: the client stays down

    backend.run(body)


def test_close_code_is_reported(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        async with backend.connect(sim.url) as dms:
            sim.fault("close_next", 1011, "Internal error.", match="get")
            with anyio.fail_after(5), pytest.raises(ConnectionLost, match="1011"):
                await dms.get("Test:Int")

    backend.run(body)


def test_malformed_frame_fails_the_call_then_reconnects(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        async with backend.connect(sim.url, reconnect=FAST) as dms:
            sim.fault("malformed_next", "{this is not JSON", match="get")
            with anyio.fail_after(5):
                with pytest.raises(ProtocolError, match="not JSON"):
                    await dms.get("Test:Int")
                point = await dms.get("Test:Int")  # waits for the new connection
            assert point.value == 1
            assert dms.reconnects == 1

    backend.run(body)


def test_reconnect_renews_subscriptions_and_signals_gap(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        async with (
            backend.connect(sim.url, reconnect=FAST) as dms,
            backend.connect(sim.url, whois="writer") as writer,
        ):
            with anyio.fail_after(10):
                async with (
                    dms.subscribe("Test:Int") as raising,
                    dms.subscribe("Test:Int", gaps="yield") as marking,
                ):
                    await writer.set("Test:Int", 2)
                    assert (await raising.__anext__()).value == 2
                    assert is_change(await marking.__anext__(), 2, marking.tag)

                    sim.fault("drop_after_response", match="get")
                    await dms.get("Test:Int")  # answered, then the server drops us
                    with pytest.raises(EventGap):
                        await raising.__anext__()
                    assert await marking.__anext__() == Gap("reconnect")

                    await dms.get("Test:Int")  # sent after the renewal: answered after it
                    assert dms.reconnects == 1
                    await writer.set("Test:Int", 3)
                    assert (await raising.__anext__()).value == 3  # same iterator, resumed
                    assert is_change(await marking.__anext__(), 3, marking.tag)
            assert sim.engine_write("Test:Int", 4) == []  # both unsubscribed on exit

    backend.run(body)


def is_change(item: Event | Gap, value: int, tag: object) -> bool:
    """Whether ``item`` is the onChange event of Test:Int to ``value`` for the tag."""
    return isinstance(item, Event) and (item.code, item.path, item.value, item.tag) == (
        "onChange", "Test:Int", value, tag)


def test_without_reconnect_subscription_ends_with_connection_lost(
    backend: Backend, sim: LoopSim
) -> None:
    async def body() -> None:
        async with (
            backend.connect(sim.url) as dms,
            dms.subscribe("Test:Int") as sub,
        ):
            sim.fault("drop_after_response", match="get")
            await dms.get("Test:Int")
            with anyio.fail_after(5), pytest.raises(ConnectionLost):
                await sub.__anext__()

    backend.run(body)


def test_cancel_mid_call_drops_late_response(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        async with backend.connect(sim.url) as dms:
            hold = sim.fault("hold_next", match="get")
            with anyio.fail_after(5):
                async with anyio.create_task_group() as nursery:
                    nursery.start_soon(dms.get, "Test:Int")
                    await sim.reached(hold)
                    nursery.cancel_scope.cancel()
                assert dms.core.pending_calls == 0
                sim.call(hold.release)  # the late answer comes after the cancel
                point = await dms.get("Test:Double")
            assert point.path == "Test:Double" and point.value == 21.5
            assert dms.core.dropped_responses == 1

    backend.run(body)


def test_call_timeout(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        async with backend.connect(sim.url, timeout=0.3) as dms:
            sim.fault("delay_next", 1.0, match="get")
            started = time.monotonic()
            with pytest.raises(RequestTimeout):
                await dms.get("Test:Int")
            assert 0.3 <= time.monotonic() - started < 0.9
            with pytest.raises(RequestTimeout):
                await dms.get("Test:Int", timeout=0.1)  # queued behind the delayed one
            point = await dms.get("Test:Int", timeout=None)
            assert point.value == 1
            assert dms.core.dropped_responses == 2

    backend.run(body)


class _Proxy:
    """A TCP relay that can go silent (a dead peer that keeps its socket open) or vanish.

    It runs in the simulator's thread (``sim.spawn(proxy.serve)``); ``freeze`` and
    ``kill`` are steps there (``sim.call``).
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.frozen = trio.Event()
        self.ready = trio.Event()
        self.port = 0
        self.scope = trio.CancelScope()

    async def serve(self) -> None:
        with self.scope:
            listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
            self.port = listeners[0].socket.getsockname()[1]
            self.ready.set()
            await trio.serve_listeners(self._handle, listeners)

    def freeze(self) -> None:
        self.frozen.set()

    def kill(self) -> None:
        """Close the listener and every relayed connection."""
        self.scope.cancel()

    async def _handle(self, client: trio.SocketStream) -> None:
        server = await trio.open_tcp_stream("127.0.0.1", self.target_port)
        async with client, server:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._pump, client, server)
                nursery.start_soon(self._pump, server, client)
                await self.frozen.wait()
                nursery.cancel_scope.cancel()
            await trio.sleep_forever()  # keep both sockets open, say nothing

    async def _pump(self, src: trio.SocketStream, dst: trio.SocketStream) -> None:
        while data := await src.receive_some(65536):
            await dst.send_all(data)


async def _relay(sim: LoopSim) -> _Proxy:
    proxy = _Proxy(sim.port)
    sim.spawn(proxy.serve)
    await sim.until(proxy.ready.wait)
    return proxy


def test_dead_peer_detected_by_keepalive(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        proxy = await _relay(sim)
        url = f"ws://127.0.0.1:{proxy.port}/json_data"
        async with backend.connect(url, ping_interval=0.2, ping_timeout=0.3, timeout=None) as dms:
            assert (await dms.get("Test:Int")).value == 1
            sim.call(proxy.freeze)
            started = time.monotonic()
            with anyio.fail_after(5), pytest.raises(ConnectionLost, match="dead peer"):
                await dms.get("Test:Int")  # no timeout: only the keepalive can end it
            assert time.monotonic() - started < 0.2 + 0.3 + 0.5

    backend.run(body)


def test_give_up_after_max_attempts(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        proxy = await _relay(sim)
        policy = ReconnectPolicy(initial_delay=0.01, max_attempts=3)
        url = f"ws://127.0.0.1:{proxy.port}/json_data"
        async with backend.connect(url, reconnect=policy) as dms, dms.subscribe("Test:Int") as sub:
            sim.call(proxy.kill)  # connection gone, and every reconnect is refused
            with anyio.fail_after(5):
                with pytest.raises(EventGap):
                    await sub.__anext__()
                with pytest.raises(ConnectionLost, match="gave up"):
                    await dms.get("Test:Int")
                with pytest.raises(ConnectionLost, match="gave up"):
                    await sub.__anext__()
            assert dms.reconnects == 0

    backend.run(body)


def test_connect_refused_is_quick_connect_error(backend: Backend) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]

    async def body() -> None:
        with anyio.fail_after(5), pytest.raises(ConnectError, match="cannot connect"):
            async with backend.connect(f"ws://127.0.0.1:{port}/json_data"):
                pass  # pragma: no cover

    backend.run(body)


@pytest.mark.parametrize("transport", ["ws", "http"])
def test_connect_timeout_is_a_connect_error(backend: Backend, transport: str) -> None:
    """A peer that takes the TCP connection and never answers the TLS handshake."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"{transport}s://127.0.0.1:{silent.getsockname()[1]}/json_data"

        async def body() -> None:
            with anyio.fail_after(5), pytest.raises(ConnectError):
                async with backend.connect(url, connect_timeout=0.3):
                    pass  # pragma: no cover

        backend.run(body)


def test_http_faults(backend: Backend, sim: LoopSim) -> None:
    """Over HTTP: a dropped request and a malformed body fail that call only."""
    async def body() -> None:
        async with backend.connect(sim.http_url) as dms:
            assert (await dms.get("Test:Int")).value == 1  # leaves a keep-alive connection
            sim.fault("drop_before_response", match="set")
            with anyio.fail_after(5), pytest.raises(ConnectionLost):
                await dms.set("Test:Int", 2)
            assert (await dms.get("Test:Int")).value == 2  # processed once, never re-sent
            sim.fault("malformed_next", "{oops", match="get")
            with pytest.raises(ProtocolError, match="not JSON"):
                await dms.get("Test:Int")
            hold = sim.fault("hold_next", match="get")
            with pytest.raises(RequestTimeout):
                await dms.get("Test:Int", timeout=0.2)
            assert sim.call(hold.reached.is_set)
            sim.call(hold.release)
            assert (await dms.get("Test:Double")).value == 21.5

    backend.run(body)
