"""Opening a connection: waiting for a DMS that is not up yet, a TLS port that is not one,
and a WebSocket the DMS refuses (close 1003 "Invalid path.") reported with its reason."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable

import pytest
import trio

import dmsproto.client as dc
from dmsproto.errors import ConnectError, ConnectionLost, TLSError, WebSocketRefused
from dmsproto.sim.server import Simulator
from tests.support.client import FAST, PLANT, clock, log_handler
from tests.support.hostile import Close, Hostile

pytestmark = pytest.mark.trio



async def free_port() -> int:
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port: int = listeners[0].socket.getsockname()[1]
    await listeners[0].aclose()
    return port


class RetriesSeen(logging.Handler):
    """Sets ``seen`` once the client logged ``count`` failed first attempts."""

    def __init__(self, count: int) -> None:
        super().__init__(logging.WARNING)
        self.count = count
        self.failed = 0
        self.seen = trio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "trying again" in record.getMessage():
            self.failed += 1
            if self.failed >= self.count:
                self.seen.set()


@pytest.mark.parametrize("scheme", ["ws", "http"])
async def test_wait_for_server_connects_once_the_dms_is_up(scheme: str) -> None:
    port = await free_port()
    url = f"{scheme}://127.0.0.1:{port}/json_data"
    retries = RetriesSeen(2)
    with log_handler(retries):
        async with trio.open_nursery() as nursery:
            values: list[object] = []
            answered = trio.Event()

            async def client() -> None:
                async with dc.connect(url, wait_for_server=True, reconnect=FAST) as dms:
                    values.append((await dms.get("Test:Int")).value)
                    answered.set()

            with trio.fail_after(20):
                nursery.start_soon(client)
                await retries.seen.wait()  # the DMS is down: refused, and tried again
                assert values == []
                async with Simulator(PLANT, port=port, clock=clock, tick_interval=None):
                    await answered.wait()
    assert values == [1]


async def test_without_wait_for_server_a_missing_dms_fails_at_once() -> None:
    url = f"ws://127.0.0.1:{await free_port()}/json_data"
    with trio.fail_after(5), pytest.raises(ConnectError, match="cannot connect"):
        async with dc.connect(url, reconnect=FAST):
            pass  # pragma: no cover


async def test_wait_for_server_gives_up_when_the_policy_does() -> None:
    url = f"ws://127.0.0.1:{await free_port()}/json_data"
    policy = dc.ReconnectPolicy(initial_delay=0.01, max_attempts=2)
    with trio.fail_after(5), pytest.raises(ConnectError, match="cannot connect"):
        async with dc.connect(url, wait_for_server=True, reconnect=policy):
            pass  # pragma: no cover


async def test_wait_for_server_does_not_wait_for_a_refused_path(
    sim_factory: Callable[..., Simulator], caplog: pytest.LogCaptureFixture,
) -> None:
    async with sim_factory() as sim:
        wrong = sim.url.replace("/json_data", "/wrong")
        with trio.fail_after(5), pytest.raises(WebSocketRefused, match=r"1003 Invalid path\."):
            async with dc.connect(wrong, wait_for_server=True) as dms:
                await dms.get("Test:Int")
    assert "trying again" not in caplog.text


async def test_a_refused_websocket_says_why_every_time(
    sim_factory: Callable[..., Simulator],
) -> None:
    """The DMS accepts the upgrade on a wrong path, then closes with 1003 at once."""
    async with sim_factory() as sim:
        wrong = sim.url.replace("/json_data", "/wrong")
        for _ in range(10):
            with trio.fail_after(5), pytest.raises(ConnectError) as refused:
                async with dc.connect(wrong) as dms:
                    await dms.get("Test:Int")
            error = refused.value
            assert isinstance(error, WebSocketRefused)
            assert (error.code, error.reason) == (1003, "Invalid path.")
            assert "1003 Invalid path." in str(error)


async def test_a_refusal_that_comes_while_the_first_call_is_in_flight() -> None:
    async with Hostile() as server:
        server.then(lambda request: [Close(1003, "Invalid path.")])
        async with dc.connect(server.url, timeout=5) as dms:
            with trio.fail_after(5), pytest.raises(WebSocketRefused, match=r"1003 Invalid path\."):
                await dms.set("Test:Int", 2)  # refused: nothing was done, no OutcomeUnknown
            with pytest.raises(WebSocketRefused, match=r"1003 Invalid path\."):
                await dms.get("Test:Int")  # and so is every later call (no reconnect)


async def test_a_close_after_the_connection_answered_is_a_lost_connection() -> None:
    async with Hostile() as server, dc.connect(server.url, timeout=5) as dms:
        await dms.get("Test:Int")
        server.then(lambda request: [Close(1003, "Unsupported.")])
        with trio.fail_after(5), pytest.raises(ConnectionLost, match="1003 Unsupported"):
            await dms.get("Test:Int")


async def silent_listener(task_status: trio.TaskStatus[int]) -> None:
    """A TCP port that accepts and never says a word (not a TLS server)."""
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")

    async def hold(stream: trio.SocketStream) -> None:
        async with stream:
            await trio.sleep_forever()

    async with trio.open_nursery() as nursery:
        await nursery.start(trio.serve_listeners, hold, listeners)
        task_status.started(listeners[0].socket.getsockname()[1])


@pytest.mark.parametrize("scheme", ["wss", "https"])
async def test_tls_to_a_silent_peer_fails_within_the_connect_timeout(scheme: str) -> None:
    async with trio.open_nursery() as nursery:
        port = await nursery.start(silent_listener)
        start = trio.current_time()
        with trio.fail_after(5), pytest.raises(TLSError, match="did not answer the TLS handshake"):
            async with dc.connect(f"{scheme}://127.0.0.1:{port}/json_data", connect_timeout=0.5,
                                  ssl_context=ssl.create_default_context()):
                pass  # pragma: no cover
        assert trio.current_time() - start < 1.5
        nursery.cancel_scope.cancel()


@pytest.mark.parametrize("scheme", ["wss", "https"])
async def test_tls_to_a_plain_dms_is_a_tls_error(
    scheme: str, sim_factory: Callable[..., Simulator],
) -> None:
    async with sim_factory() as sim:
        url = f"{scheme}://127.0.0.1:{sim.port}/json_data"
        with trio.fail_after(5), pytest.raises(TLSError, match="TLS handshake"):
            async with dc.connect(url, connect_timeout=2, ssl_context=ssl.create_default_context()):
                pass  # pragma: no cover
