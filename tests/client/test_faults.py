"""Faults: drops, malformed frames, server close codes, cancellation, timeouts, dead peers,
and reconnection with renewed subscriptions and the gap signalled."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import trio
import trio.testing

import dmsproto.client as dc
from dmsproto.errors import (
    ConnectError,
    ConnectionLost,
    EventGap,
    ProtocolError,
    RequestTimeout,
)
from dmsproto.results import Event, Gap
from dmsproto.sim.server import Simulator
from tests.support.client import FAST

pytestmark = pytest.mark.trio



async def test_drop_mid_request_fails_pending_calls(
    sim_factory: Callable[..., Simulator],
) -> None:
    async with sim_factory() as sim, dc.connect(sim.url) as dms:
        hold = sim.faults.hold_next(match="get")
        sim.faults.drop_before_response(match="get")
        failures: list[BaseException] = []

        async def call() -> None:
            try:
                await dms.get("Test:Int")
            except ConnectionLost as exc:
                failures.append(exc)

        with trio.fail_after(5):
            async with trio.open_nursery() as nursery:
                for _ in range(5):
                    nursery.start_soon(call)
                await hold.reached.wait()
                assert dms.core.pending_calls == 5
                hold.release()
        assert len(failures) == 5
        assert not dms.connected
        with pytest.raises(ConnectionLost):
            await dms.get("Test:Int")  # no reconnect: the client stays down


async def test_close_code_is_reported(sim_factory: Callable[..., Simulator]) -> None:
    async with sim_factory() as sim, dc.connect(sim.url) as dms:
        sim.faults.close_next(1011, "Internal error.", match="get")
        with trio.fail_after(5), pytest.raises(ConnectionLost, match="1011"):
            await dms.get("Test:Int")


async def test_malformed_frame_fails_the_call_then_reconnects(
    sim_factory: Callable[..., Simulator],
) -> None:
    async with sim_factory() as sim, dc.connect(sim.url, reconnect=FAST) as dms:
        sim.faults.malformed_next("{this is not JSON", match="get")
        with trio.fail_after(5):
            with pytest.raises(ProtocolError, match="not JSON"):
                await dms.get("Test:Int")
            point = await dms.get("Test:Int")  # waits for the new connection
        assert point.value == 1
        assert dms.reconnects == 1


async def test_reconnect_renews_subscriptions_and_signals_gap(
    sim_factory: Callable[..., Simulator],
) -> None:
    async with (
        sim_factory() as sim,
        dc.connect(sim.url, reconnect=FAST) as dms,
        dc.connect(sim.url, whois="writer") as writer,
    ):
        with trio.fail_after(10):
            async with (
                dms.subscribe("Test:Int") as raising,
                dms.subscribe("Test:Int", gaps="yield") as marking,
            ):
                await writer.set("Test:Int", 2)
                assert (await raising.__anext__()).value == 2
                assert is_change(await marking.__anext__(), 2, marking.tag)

                sim.faults.drop_after_response(match="get")
                await dms.get("Test:Int")  # answered, then the server drops us
                with pytest.raises(EventGap):
                    await raising.__anext__()
                assert await marking.__anext__() == Gap("reconnect")

                await dms.get("Test:Int")  # sent after the renewal: answered after it
                assert dms.reconnects == 1
                await writer.set("Test:Int", 3)
                assert (await raising.__anext__()).value == 3  # same iterator, resumed
                assert is_change(await marking.__anext__(), 3, marking.tag)
        assert sim.engine.write("Test:Int", 4) == []  # both unsubscribed on exit


def is_change(item: Event | Gap, value: int, tag: object) -> bool:
    """Whether ``item`` is the onChange event of Test:Int to ``value`` for the tag."""
    return isinstance(item, Event) and (item.code, item.path, item.value, item.tag) == (
        "onChange", "Test:Int", value, tag)


async def test_without_reconnect_subscription_ends_with_connection_lost(
    sim_factory: Callable[..., Simulator],
) -> None:
    async with (
        sim_factory() as sim,
        dc.connect(sim.url) as dms,
        dms.subscribe("Test:Int") as sub,
    ):
        sim.faults.drop_after_response(match="get")
        await dms.get("Test:Int")
        with trio.fail_after(5), pytest.raises(ConnectionLost):
            await sub.__anext__()


async def test_cancel_mid_call_drops_late_response(
    sim_factory: Callable[..., Simulator],
) -> None:
    async with sim_factory() as sim, dc.connect(sim.url) as dms:
        hold = sim.faults.hold_next(match="get")
        with trio.fail_after(5):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(dms.get, "Test:Int")
                await hold.reached.wait()
                nursery.cancel_scope.cancel()
            assert dms.core.pending_calls == 0
            hold.release()  # the late answer comes after the cancel
            point = await dms.get("Test:Double")
        assert point.path == "Test:Double" and point.value == 21.5
        assert dms.core.dropped_responses == 1


async def test_call_timeout(
    sim_factory: Callable[..., Simulator], autojump_clock: trio.testing.MockClock
) -> None:
    async with sim_factory() as sim, dc.connect(sim.url, timeout=5.0) as dms:
        sim.faults.delay_next(60, match="get")
        start = trio.current_time()
        with pytest.raises(RequestTimeout):
            await dms.get("Test:Int")
        assert trio.current_time() - start == pytest.approx(5.0, abs=0.5)
        with pytest.raises(RequestTimeout):
            await dms.get("Test:Int", timeout=1.0)  # queued behind the delayed one
        point = await dms.get("Test:Int", timeout=None)
        assert point.value == 1
        assert dms.core.dropped_responses == 2


class _Proxy:
    """A TCP relay that can go silent (a dead peer that keeps its socket open) or vanish."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.frozen = trio.Event()
        self.port = 0
        self.scope = trio.CancelScope()

    async def serve(self, task_status: trio.TaskStatus[list[trio.SocketListener]]) -> None:
        with self.scope:
            listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
            self.port = listeners[0].socket.getsockname()[1]
            await trio.serve_listeners(self._handle, listeners, task_status=task_status)

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


async def test_dead_peer_detected_by_keepalive(
    sim_factory: Callable[..., Simulator], autojump_clock: trio.testing.MockClock
) -> None:
    async with sim_factory() as sim, trio.open_nursery() as nursery:
        proxy = _Proxy(sim.port)
        await nursery.start(proxy.serve)
        url = f"ws://127.0.0.1:{proxy.port}/json_data"
        async with dc.connect(url, ping_interval=5.0, ping_timeout=3.0, timeout=None) as dms:
            assert (await dms.get("Test:Int")).value == 1
            proxy.frozen.set()
            start = trio.current_time()
            with pytest.raises(ConnectionLost, match="dead peer"):
                await dms.get("Test:Int")  # no timeout: only the keepalive can end it
            assert trio.current_time() - start <= 5.0 + 3.0 + 0.5
        nursery.cancel_scope.cancel()


async def test_give_up_after_max_attempts(
    sim_factory: Callable[..., Simulator], autojump_clock: trio.testing.MockClock
) -> None:
    async with sim_factory() as sim, trio.open_nursery() as nursery:
        proxy = _Proxy(sim.port)
        await nursery.start(proxy.serve)
        policy = dc.ReconnectPolicy(initial_delay=1.0, max_attempts=3)
        url = f"ws://127.0.0.1:{proxy.port}/json_data"
        async with dc.connect(url, reconnect=policy) as dms, dms.subscribe("Test:Int") as sub:
            proxy.kill()  # connection gone, and every reconnect is refused
            with pytest.raises(EventGap):
                await sub.__anext__()
            with pytest.raises(ConnectionLost, match="gave up"):
                await dms.get("Test:Int")
            with pytest.raises(ConnectionLost, match="gave up"):
                await sub.__anext__()
            assert dms.reconnects == 0


async def test_connect_refused_is_quick_connect_error() -> None:
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    await listeners[0].aclose()
    with trio.fail_after(5), pytest.raises(ConnectError, match="cannot connect"):
        async with dc.connect(f"ws://127.0.0.1:{port}/json_data"):
            pass  # pragma: no cover


async def test_http_faults(sim_factory: Callable[..., Simulator]) -> None:
    """Over HTTP: a dropped request and a malformed body fail that call only."""
    async with sim_factory() as sim, dc.connect(sim.http_url) as dms:
        assert (await dms.get("Test:Int")).value == 1  # leaves a keep-alive connection
        sim.faults.drop_before_response(match="set")
        with trio.fail_after(5), pytest.raises(ConnectionLost):
            await dms.set("Test:Int", 2)
        assert (await dms.get("Test:Int")).value == 2  # processed once, never re-sent
        sim.faults.malformed_next("{oops", match="get")
        with pytest.raises(ProtocolError, match="not JSON"):
            await dms.get("Test:Int")
        hold = sim.faults.hold_next(match="get")
        with pytest.raises(RequestTimeout):
            await dms.get("Test:Int", timeout=0.2)
        assert hold.reached.is_set()
        hold.release()
        assert (await dms.get("Test:Double")).value == 21.5
