"""Connection loss, reconnection with renewed subscriptions, and Ctrl-C during a call."""

from __future__ import annotations

import contextlib
import os
import queue
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import dmsproto.sync as ds
from dmsproto.errors import ConnectionLost, EventGap
from dmsproto.results import Event, Gap
from tests.support.client import FAST
from tests.support.sync import SimThread

WAIT = 10.0
HERE = Path(__file__).resolve().parent


def test_connection_loss_fails_calls_and_subscriptions_promptly(sim: SimThread) -> None:
    failures: queue.Queue[BaseException | object] = queue.Queue()
    with ds.connect(sim.url, timeout=60) as dms:
        sub = dms.subscribe("Test:Int")
        handler = dms.subscribe("Test:Double", callback=lambda event: None)
        hold = sim.hold_next("get")
        sim.call(lambda: sim.sim.faults.drop_before_response(match="get"))

        def call() -> None:
            try:
                failures.put(dms.get("Test:Int"))
            except BaseException as exc:
                failures.put(exc)

        threads = [threading.Thread(target=call) for _ in range(3)]
        for t in threads:
            t.start()
        sim.wait(hold.reached.wait)
        started = time.monotonic()
        sim.release(hold)  # the server now drops the connection instead of answering
        results = [failures.get(timeout=WAIT) for _ in threads]
        elapsed = time.monotonic() - started
        for t in threads:
            t.join(WAIT)
        assert all(isinstance(r, ConnectionLost) for r in results), results
        assert elapsed < 5  # not the 60 s call timeout
        with pytest.raises(ConnectionLost):
            dms.get("Test:Int")  # no reconnect: the client stays down
        with pytest.raises(ConnectionLost):
            sub.get(timeout=WAIT)  # the subscription ends with the error, not quietly
        assert handler.wait(WAIT) and isinstance(handler.error, ConnectionLost)
        assert not dms.connected


def test_reconnect_renews_subscriptions_and_signals_the_gap(sim: SimThread) -> None:
    gaps: queue.Queue[Gap] = queue.Queue()
    calls: queue.Queue[Event] = queue.Queue()
    with (
        ds.connect(sim.url, reconnect=FAST) as dms,
        ds.connect(sim.url, whois="writer") as writer,
        dms.subscribe("Test:Int") as raising,
        dms.subscribe("Test:Int", gaps="yield") as marking,
        dms.subscribe("Test:Int", callback=calls.put, on_gap=gaps.put) as handler,
    ):
        writer.set("Test:Int", 2)
        assert raising.get(timeout=WAIT).value == 2
        first = marking.get(timeout=WAIT)
        assert isinstance(first, Event) and first.value == 2
        assert calls.get(timeout=WAIT).value == 2

        sim.call(lambda: sim.sim.faults.drop_after_response(match="get"))
        dms.get("Test:Int")  # answered, then the server drops us
        with pytest.raises(EventGap):
            raising.get(timeout=WAIT)
        assert marking.get(timeout=WAIT) == Gap("reconnect")
        assert gaps.get(timeout=WAIT) == Gap("reconnect")

        dms.get("Test:Int")  # sent after the renewal: answered after it
        assert dms.reconnects == 1 and dms.connected
        writer.set("Test:Int", 3)
        assert raising.get(timeout=WAIT).value == 3  # the same subscription, resumed
        after = marking.get(timeout=WAIT)
        assert isinstance(after, Event) and after.value == 3
        assert calls.get(timeout=WAIT).value == 3
        assert handler.gaps == 1 and handler.active
    assert sim.call(sim.sim.engine.write, "Test:Int", 4) == []  # all unsubscribed on exit


@contextlib.contextmanager
def ctrl_c_once(ready: Callable[[], object]) -> Iterator[list[int]]:
    """Press Ctrl-C (SIGINT to the main thread) once ``ready()`` returned.

    Pressed again each second until the main thread got its KeyboardInterrupt: a
    signal landing just while the main thread enters a blocking lock wait is acted
    on only when that wait ends (a CPython race, outside our control).  Only the
    first press raises (this handler ignores repeats), so cleanup is undisturbed.
    Yields the list whose length counts the presses.
    """
    main = threading.main_thread().ident
    assert main == threading.get_ident() and main is not None
    raised = threading.Event()
    presses: list[int] = []

    def handler(signum: int, frame: object) -> None:
        if not raised.is_set():
            raised.set()
            raise KeyboardInterrupt

    def press() -> None:
        ready()
        while True:
            presses.append(1)
            signal.pthread_kill(main, signal.SIGINT)
            if raised.wait(1.0):
                return

    previous = signal.signal(signal.SIGINT, handler)
    presser = threading.Thread(target=press)
    presser.start()
    try:
        yield presses
    finally:
        presser.join(WAIT)
        signal.signal(signal.SIGINT, previous)
    assert raised.is_set()


def test_ctrl_c_in_process_cancels_the_call_and_keeps_the_client(sim: SimThread) -> None:
    """SIGINT to the main thread while it waits: the call is cancelled in the loop."""
    with ds.connect(sim.url, timeout=None) as dms:
        hold = sim.hold_next("get")
        with ctrl_c_once(lambda: sim.wait(hold.reached.wait)), pytest.raises(KeyboardInterrupt):
            dms.get("Test:Int")  # no timeout: only the interrupt ends it
        assert dms._client.core.pending_calls == 0  # cancelled in the loop, not left behind
        sim.release(hold)
        assert dms.get("Test:Double").value == 21.5  # the connection is still fine


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """The next stdout line of ``proc``, waiting at most ``timeout`` seconds."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            proc.kill()
            raise AssertionError(f"no output within {timeout} s")
    return proc.stdout.readline().strip()


def test_ctrl_c_in_a_script_ends_a_blocked_call() -> None:
    """A script blocked in a held call gets SIGINT: KeyboardInterrupt, promptly, no hang."""
    env = dict(os.environ)
    root = HERE.parent.parent
    env["PYTHONPATH"] = os.pathsep.join([str(root), str(HERE), env.get("PYTHONPATH", "")])
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "ctrl_c_script.py")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert _read_line(proc, 30) == "BLOCKED"
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        elapsed = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == -signal.SIGINT, (proc.returncode, out, err)
    assert "KeyboardInterrupt" in err
    # the script saw KeyboardInterrupt from the call, and no dmsproto thread survived the block
    assert out.splitlines() == ["INTERRUPTED", "THREADS []"], (out, err)
    assert elapsed < 10, elapsed


def test_ctrl_c_while_connecting_stops_the_loop() -> None:
    """SIGINT while the WebSocket handshake hangs: KeyboardInterrupt, and no thread left."""
    import socket

    before = set(threading.enumerate())
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(WAIT)
        port = server.getsockname()[1]
        accepted: list[socket.socket] = []

        def handshaking() -> None:
            conn, _ = server.accept()  # the client is now in its (never answered) handshake
            accepted.append(conn)

        started = time.monotonic()
        url = f"ws://127.0.0.1:{port}/json_data"
        with (
            ctrl_c_once(handshaking),
            pytest.raises(KeyboardInterrupt),
            ds.connect(url, connect_timeout=60),
        ):
            pass  # pragma: no cover - never connected
        elapsed = time.monotonic() - started
        for conn in accepted:
            conn.close()
    assert elapsed < 5  # not the 60 s connect timeout
    assert set(threading.enumerate()) == before
