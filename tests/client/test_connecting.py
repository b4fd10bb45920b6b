"""Opening a connection: waiting for a DMS that is not up yet, a TLS port that is not one,
and a WebSocket the DMS refuses (close 1003 "Invalid path.") reported with its reason;
with the trio and the asyncio client alike."""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial

import anyio
import pytest

from dmsproto.errors import ConnectError, ConnectionLost, TLSError, WebSocketRefused
from dmsproto.options import ReconnectPolicy
from tests.support.backends import Backend, LoopSim
from tests.support.client import FAST, log_handler
from tests.support.hostile import Close, HostileThread


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port: int = listener.getsockname()[1]
    return port


class RetriesSeen(logging.Handler):
    """Sets ``seen`` once the client logged ``count`` failed first attempts."""

    def __init__(self, count: int) -> None:
        super().__init__(logging.WARNING)
        self.count = count
        self.failed = 0
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "trying again" in record.getMessage():
            self.failed += 1
            if self.failed >= self.count:
                self.seen.set()


@pytest.mark.parametrize("scheme", ["ws", "http"])
def test_wait_for_server_connects_once_the_dms_is_up(
    backend: Backend, loop_sim: Callable[..., LoopSim], scheme: str
) -> None:
    port = free_port()
    url = f"{scheme}://127.0.0.1:{port}/json_data"
    retries = RetriesSeen(2)
    values: list[object] = []

    async def body() -> None:
        async with anyio.create_task_group() as tasks:

            async def client() -> None:
                async with backend.connect(url, wait_for_server=True, reconnect=FAST) as dms:
                    values.append((await dms.get("Test:Int")).value)

            with anyio.fail_after(20):
                tasks.start_soon(client)
                # the DMS is down: refused, and tried again
                assert await anyio.to_thread.run_sync(retries.seen.wait, 10)
                assert values == []
                await anyio.to_thread.run_sync(partial(loop_sim, port=port))

    with log_handler(retries):
        backend.run(body)
    assert values == [1]


def test_without_wait_for_server_a_missing_dms_fails_at_once(backend: Backend) -> None:
    url = f"ws://127.0.0.1:{free_port()}/json_data"

    async def body() -> None:
        with anyio.fail_after(5), pytest.raises(ConnectError, match="cannot connect"):
            async with backend.connect(url, reconnect=FAST):
                pass  # pragma: no cover

    backend.run(body)


def test_a_refused_tcp_connection_says_the_systems_reason_on_every_loop(
    backend: Backend,
) -> None:
    port = free_port()

    async def body() -> None:
        with anyio.fail_after(5), pytest.raises(ConnectError) as info:
            async with backend.connect(f"ws://127.0.0.1:{port}/json_data"):
                pass  # pragma: no cover
        # the same words from trio and asyncio, not "all attempts to connect ... failed"
        # or "Connect call failed ('127.0.0.1', ...)"
        assert str(info.value) == f"cannot connect to 127.0.0.1:{port}: Connection refused"

    backend.run(body)


def test_wait_for_server_gives_up_when_the_policy_does(backend: Backend) -> None:
    url = f"ws://127.0.0.1:{free_port()}/json_data"
    policy = ReconnectPolicy(initial_delay=0.01, max_attempts=2)

    async def body() -> None:
        with anyio.fail_after(5), pytest.raises(ConnectError, match="cannot connect"):
            async with backend.connect(url, wait_for_server=True, reconnect=policy):
                pass  # pragma: no cover

    backend.run(body)


def test_wait_for_server_does_not_wait_for_a_refused_path(
    backend: Backend, sim: LoopSim, caplog: pytest.LogCaptureFixture,
) -> None:
    wrong = sim.url.replace("/json_data", "/wrong")

    async def body() -> None:
        with anyio.fail_after(5), pytest.raises(WebSocketRefused, match=r"1003 Invalid path\."):
            async with backend.connect(wrong, wait_for_server=True) as dms:
                await dms.get("Test:Int")

    backend.run(body)
    assert "trying again" not in caplog.text


def test_a_refused_websocket_says_why_every_time(backend: Backend, sim: LoopSim) -> None:
    """The DMS accepts the upgrade on a wrong path, then closes with 1003 at once."""
    wrong = sim.url.replace("/json_data", "/wrong")

    async def body() -> None:
        for _ in range(10):
            with anyio.fail_after(5), pytest.raises(ConnectError) as refused:
                async with backend.connect(wrong) as dms:
                    await dms.get("Test:Int")
            error = refused.value
            assert isinstance(error, WebSocketRefused)
            assert (error.code, error.reason) == (1003, "Invalid path.")
            assert "1003 Invalid path." in str(error)

    backend.run(body)


def test_a_refusal_that_comes_while_the_first_call_is_in_flight(
    backend: Backend, hostile: HostileThread
) -> None:
    hostile.then(lambda request: [Close(1003, "Invalid path.")])

    async def body() -> None:
        async with backend.connect(hostile.url, timeout=5) as dms:
            with anyio.fail_after(5), pytest.raises(WebSocketRefused,
                                                    match=r"1003 Invalid path\."):
                await dms.set("Test:Int", 2)  # refused: nothing was done, no OutcomeUnknown
            with pytest.raises(WebSocketRefused, match=r"1003 Invalid path\."):
                await dms.get("Test:Int")  # and so is every later call (no reconnect)

    backend.run(body)


def test_a_close_after_the_connection_answered_is_a_lost_connection(
    backend: Backend, hostile: HostileThread
) -> None:
    async def body() -> None:
        async with backend.connect(hostile.url, timeout=5) as dms:
            await dms.get("Test:Int")
            hostile.then(lambda request: [Close(1003, "Unsupported.")])
            with anyio.fail_after(5), pytest.raises(ConnectionLost, match="1003 Unsupported"):
                await dms.get("Test:Int")

    backend.run(body)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A TCP port that accepts (the kernel does) and never says a word (not a TLS server)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield listener.getsockname()[1]


@pytest.mark.parametrize("scheme", ["wss", "https"])
def test_tls_to_a_silent_peer_fails_within_the_connect_timeout(
    backend: Backend, silent_port: int, scheme: str
) -> None:
    url = f"{scheme}://127.0.0.1:{silent_port}/json_data"

    async def body() -> None:
        with anyio.fail_after(5), pytest.raises(TLSError,
                                                match="did not answer the TLS handshake"):
            async with backend.connect(url, connect_timeout=0.5,
                                       ssl_context=ssl.create_default_context()):
                pass  # pragma: no cover

    start = time.monotonic()
    backend.run(body)
    assert time.monotonic() - start < 1.5


@pytest.mark.parametrize("scheme", ["wss", "https"])
def test_tls_to_a_plain_dms_is_a_tls_error(backend: Backend, sim: LoopSim, scheme: str) -> None:
    url = f"{scheme}://127.0.0.1:{sim.port}/json_data"

    async def body() -> None:
        with anyio.fail_after(5), pytest.raises(TLSError, match="TLS handshake"):
            async with backend.connect(url, connect_timeout=2,
                                       ssl_context=ssl.create_default_context()):
                pass  # pragma: no cover

    backend.run(body)
