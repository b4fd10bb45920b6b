"""The blocking facade against a hostile server, and when its own loop thread fails.

Every call ends within its timeout with a result or a typed error, whatever the peer
sent and whatever happened in the loop thread; once the loop thread is gone, every
call fails at once, saying why.
"""

from __future__ import annotations

import queue
import ssl
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
import trio

import dmsproto.sync as ds
from dmsproto.errors import (
    Closed,
    DMSProtoError,
    OutcomeUnknown,
    ProtocolError,
    RequestTimeout,
    TLSError,
    WebSocketRefused,
)
from dmsproto.protocol import Set
from dmsproto.sync._loop import LOOP_GRACE, Loop
from tests.support.client import FAST
from tests.support.hostile import (
    CASES,
    CLOSED_AT_ONCE,
    MAX_MESSAGE_SIZE,
    Case,
    ClosedAtOnce,
    Drop,
    HostileThread,
    Silence,
)
from tests.support.sync import SimThread

WAIT = 10.0


@pytest.fixture
def server() -> Iterator[HostileThread]:
    with HostileThread() as running:
        yield running


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_websocket_with_reconnect_survives(server: HostileThread, case: Case) -> None:
    with ds.connect(server.url, reconnect=FAST, max_message_size=MAX_MESSAGE_SIZE,
                    timeout=5) as dms:
        assert dms.get("Test:Int").value == 1
        server.then(case.reply)
        if case.ws in ("fails", "closes"):
            with pytest.raises(ProtocolError, match=case.error):
                dms.get("Test:Int")
        else:
            assert dms.get("Test:Int").value == 1
        assert dms.get("Test:Int").value == 1
        assert dms.reconnects == (1 if case.ws == "closes" else 0)


@pytest.mark.parametrize("case", [c for c in CASES if c.http], ids=lambda case: case.name)
def test_http_post_survives(server: HostileThread, case: Case) -> None:
    with ds.connect(server.http_url, max_message_size=MAX_MESSAGE_SIZE, timeout=5) as dms:
        server.then(case.reply)
        if case.http == "fails":
            with pytest.raises(ProtocolError, match=case.http_error):
                dms.get("Test:Int")
        else:
            assert dms.get("Test:Int").value == 1
        assert dms.get("Test:Int").value == 1


def test_a_write_lost_in_flight_is_outcome_unknown(server: HostileThread) -> None:
    with ds.connect(server.url, timeout=5) as dms:
        server.then(lambda request: [Drop()])
        with pytest.raises(OutcomeUnknown) as lost:
            dms.set("Test:Int", 3)
        assert lost.value.unknown == (Set("Test:Int", 3),)


def test_a_silent_server_ends_the_call_at_its_timeout(server: HostileThread) -> None:
    with ds.connect(server.url, timeout=5) as dms:
        server.then(lambda request: [Silence()])
        start = time.monotonic()
        with pytest.raises(RequestTimeout):
            dms.get("Test:Int", timeout=0.3)
        assert time.monotonic() - start < 0.3 + LOOP_GRACE


def test_a_refused_websocket_says_why_every_time(sim: SimThread) -> None:
    wrong = sim.url.replace("/json_data", "/wrong")
    for _ in range(5):
        with (
            pytest.raises(WebSocketRefused, match=r"1003 Invalid path\."),
            ds.connect(wrong) as dms,
        ):
            dms.get("Test:Int")


def test_tls_to_a_plain_dms_is_a_tls_error(sim: SimThread) -> None:
    url = sim.url.replace("ws://", "wss://")
    with (
        pytest.raises(TLSError, match="TLS handshake"),
        ds.connect(url, connect_timeout=2, ssl_context=ssl.create_default_context()),
    ):
        pass  # pragma: no cover


# ------------------------------------------------------------------ the loop thread


def blocking(dms: ds.Client, *calls: str) -> tuple[queue.Queue[object], list[threading.Thread]]:
    """Start a ``get(path, timeout=None)`` per path, each in a thread; results go to the queue."""
    results: queue.Queue[object] = queue.Queue()

    def call(path: str) -> None:
        try:
            results.put(dms.get(path, timeout=None))
        except BaseException as exc:
            results.put(exc)

    threads = [threading.Thread(target=call, args=(p,)) for p in calls]
    for thread in threads:
        thread.start()
    return results, threads


def test_a_crash_in_the_loop_fails_every_call_at_once_saying_why(server: HostileThread) -> None:
    with ds.connect(server.url, timeout=None) as dms:
        server.then(*[lambda request: [Silence()]] * 3)
        results, threads = blocking(dms, "A", "B", "C")
        server.server.wait_requests(3)  # the calls are in flight (no answer comes)

        async def boom() -> None:
            raise RuntimeError("boom")

        loop = dms._loop
        loop.token.run_sync_soon(lambda: loop.nursery.start_soon(boom))
        errors = [results.get(timeout=WAIT) for _ in threads]
        for thread in threads:
            thread.join(WAIT)
        assert all(isinstance(e, Closed) and "RuntimeError('boom')" in str(e) for e in errors)
        start = time.monotonic()
        with pytest.raises(Closed, match="event loop failed: RuntimeError"):
            dms.get("Test:Int", timeout=None)  # at once: the loop is gone
        assert time.monotonic() - start < 1.0
        loop.thread.join(WAIT)
        assert not loop.thread.is_alive()


def test_a_stuck_loop_ends_each_call_within_its_timeout(server: HostileThread) -> None:
    with ds.connect(server.url, timeout=5) as dms:
        blocked, release = threading.Event(), threading.Event()

        async def stuck() -> None:
            blocked.set()
            release.wait(WAIT)  # blocks the loop thread itself, on purpose

        loop = dms._loop
        loop.token.run_sync_soon(lambda: loop.nursery.start_soon(stuck))
        assert blocked.wait(WAIT)
        try:
            start = time.monotonic()
            with pytest.raises(RequestTimeout, match="loop thread is stuck"):
                dms.get("Test:Int", timeout=0.2)
            assert time.monotonic() - start < 0.2 + LOOP_GRACE + 0.5
        finally:
            release.set()
        assert dms.get("Test:Int").value == 1  # the loop runs again


@asynccontextmanager
async def failing_resource(fail: trio.Event) -> AsyncIterator[trio.Event]:
    """A resource whose own task fails (as the trio client's did when its reader died)."""

    async def watch() -> None:
        await fail.wait()
        raise RuntimeError("the resource failed")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(watch)
        yield fail


@pytest.mark.parametrize("round_", range(5))
def test_calls_racing_the_end_of_the_loop_never_hang(round_: int) -> None:
    """Calls handed over while the loop's nursery closes under them still end, typed."""
    fail = trio.Event()
    loop: Loop[trio.Event] = Loop(lambda: failing_resource(fail), name="dmsproto-test-loop")
    event = loop.start()
    outcomes: queue.Queue[object] = queue.Queue()

    def call() -> None:
        for _ in range(20):
            try:
                outcomes.put(loop.run(trio.sleep_forever, timeout=None))
            except DMSProtoError as exc:
                outcomes.put(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    loop.token.run_sync_soon(event.set)
    for thread in threads:
        thread.join(WAIT)
    assert not any(thread.is_alive() for thread in threads)
    got = [outcomes.get_nowait() for _ in range(8 * 20)]
    assert all(isinstance(e, Closed) for e in got)
    assert any("the resource failed" in str(e) for e in got)
    loop.stop()


@pytest.mark.parametrize("settled", [False, True], ids=["call-at-once", "call-after-close"])
@pytest.mark.parametrize("case", CLOSED_AT_ONCE, ids=lambda case: case.name)
def test_a_websocket_closed_at_once_fails_the_first_call_saying_why(
    server: HostileThread, case: ClosedAtOnce, settled: bool
) -> None:
    """As with the async clients (``tests/client/test_refused_path.py``)."""
    server.server.at_once = case.outs
    with ds.connect(server.url, timeout=5) as dms:
        if settled:
            assert server.server.refused.wait(WAIT)
        with pytest.raises(case.error, match=case.says) as first:
            dms.get("Test:Int")
        with pytest.raises(case.error, match=case.says):
            dms.subscribe("Test:Int").close()
    case.check(first.value)
    assert server.requests == []
