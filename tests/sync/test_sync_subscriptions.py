"""Both subscription styles: blocking iteration and callbacks in one background thread."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator

import pytest

import dmsproto.sync as ds
from dmsproto.errors import NotFound, SubscriptionOverflow, TransportError
from dmsproto.results import Event, Gap
from tests.support.client import log_handler
from tests.support.sync import SimThread

WAIT = 10.0  # upper bound for anything that should happen at once


class Records(logging.Handler):
    """Log records of logger ``dmsproto``, with a way to wait for one (no sleeping)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: queue.Queue[logging.LogRecord] = queue.Queue()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.put(record)

    def wait_for(self, text: str, timeout: float = WAIT) -> logging.LogRecord:
        while True:
            record = self.records.get(timeout=timeout)
            if text in record.getMessage():
                return record


@pytest.fixture
def records() -> Iterator[Records]:
    handler = Records()
    with log_handler(handler):
        yield handler


# ------------------------------------------------------------------ iteration


def test_iterate_events_in_order(sim: SimThread) -> None:
    with ds.connect(sim.url) as dms, ds.connect(sim.url, whois="writer") as writer:
        with dms.subscribe("Test:Int") as sub:
            assert sub.initial is not None and sub.initial.value == 1
            for value in (2, 3, 4):
                writer.set("Test:Int", value)
            got: list[Event] = []
            for event in sub:
                got.append(event)
                if len(got) == 3:
                    break
            with pytest.raises(TimeoutError):
                sub.get(timeout=0)  # nothing else queued
        assert [e.value for e in got] == [2, 3, 4]
        assert {(e.code, e.path, e.trigger, e.tag) for e in got} == {
            ("onChange", "Test:Int", "writer", sub.tag)}
        assert sub.closed
        # leaving the block unsubscribed: a write now reaches nobody
        assert sim.call(sim.sim.engine.write, "Test:Int", 99) == []


def test_get_with_timeout_and_events_iterator(sim: SimThread) -> None:
    with ds.connect(sim.url) as dms, dms.subscribe("Test:Double") as sub:
        with pytest.raises(TimeoutError):
            sub.get(timeout=0.05)
        sim.write("Test:Double", 1.5)
        sim.write("Test:Double", 2.5)
        assert [e.value for e in sub.events(timeout=0.5)] == [1.5, 2.5]
        with pytest.raises(TimeoutError):
            sub.get(timeout=0)


def test_subscribe_errors_raise_at_once(sim: SimThread) -> None:
    with ds.connect(sim.url) as dms:
        with pytest.raises(NotFound):
            dms.subscribe("Does:Not:Exist")
        with pytest.raises(NotFound):
            dms.subscribe("Does:Not:Exist", callback=print)
        with dms.subscribe("Test:Int", tag="x"), pytest.raises(ValueError, match="tag"):
            dms.subscribe("Test:Double", tag="x")
        with pytest.raises(ValueError, match="gaps"):
            dms.subscribe("Test:Int", gaps="ignore")  # type: ignore[call-overload]
    with ds.connect(sim.http_url) as dms, pytest.raises(TransportError, match="WebSocket"):
        dms.subscribe("Test:Int")


def test_overflow_raises_then_continues(sim: SimThread) -> None:
    with ds.connect(sim.url) as dms, dms.subscribe("Test:Int", buffer_size=3) as sub:
        for value in range(10, 20):
            sim.write("Test:Int", value)
        dms.get("Test:Int")  # answered after the events: all of them are in
        assert [sub.get(timeout=WAIT).value for _ in range(3)] == [10, 11, 12]
        with pytest.raises(SubscriptionOverflow, match="7 events dropped"):
            sub.get(timeout=WAIT)
        sim.write("Test:Int", 20)
        assert next(iter(sub)).value == 20


def test_overflow_as_gap_marker(sim: SimThread) -> None:
    with ds.connect(sim.url) as dms:
        with dms.subscribe("Test:Int", buffer_size=2, gaps="yield") as sub:
            for value in range(5):
                sim.write("Test:Int", value + 100)
            dms.get("Test:Int")
            items = [sub.get(timeout=WAIT) for _ in range(3)]
        assert [getattr(i, "value", None) for i in items[:2]] == [100, 101]
        assert items[2] == Gap("overflow", 3)


def test_close_from_another_thread_ends_a_blocked_reader(sim: SimThread) -> None:
    with ds.connect(sim.url) as dms:
        sub = dms.subscribe("Test:Int")
        outcome: queue.Queue[object] = queue.Queue()

        def reader() -> None:
            try:
                outcome.put(list(sub))  # blocks until closed
            except BaseException as exc:
                outcome.put(exc)

        thread = threading.Thread(target=reader)
        thread.start()
        sub.close()
        thread.join(WAIT)
        assert not thread.is_alive()
        assert outcome.get_nowait() == []
        with pytest.raises(ds.Closed):
            sub.get()
        assert sim.call(sim.sim.engine.write, "Test:Int", 5) == []


def test_open_subscriptions_end_with_the_client(sim: SimThread) -> None:
    with ds.connect(sim.url) as dms:
        sub = dms.subscribe("Test:Int")
        handler = dms.subscribe("Test:Double", callback=lambda event: None)
    assert sub.closed and list(sub) == []
    assert handler.wait(WAIT) and not handler.active and handler.error is None
    assert sim.call(sim.sim.engine.write, "Test:Int", 5) == []
    assert sim.call(sim.sim.engine.write, "Test:Double", 5.0) == []


# ------------------------------------------------------------------ callbacks


def test_callbacks_run_in_one_thread_in_order(sim: SimThread) -> None:
    got: queue.Queue[tuple[str, object, str]] = queue.Queue()

    def record(event: Event) -> None:
        got.put((event.path, event.value, threading.current_thread().name))

    with ds.connect(sim.url) as dms:
        first = dms.subscribe("Test:Int", callback=record)
        second = dms.subscribe("Test:Double", callback=record)
        assert first.initial is not None and first.initial.value == 1
        for n in range(50):
            sim.write("Test:Int", n)
            sim.write("Test:Double", n + 0.5)
        items = [got.get(timeout=WAIT) for _ in range(100)]
        first.close()
        sim.write("Test:Int", 1000)
        sim.write("Test:Double", 1000.5)
        assert got.get(timeout=WAIT)[1] == 1000.5  # only the open subscription delivers
        assert not first.active and second.active
    assert [v for p, v, _ in items if p == "Test:Int"] == list(range(50))
    assert [v for p, v, _ in items if p == "Test:Double"] == [n + 0.5 for n in range(50)]
    assert {name for _, _, name in items} == {"dmsproto-callbacks"}
    assert first.delivered == 50 and second.delivered == 51
    assert got.empty()


def test_a_raising_callback_is_logged_and_delivery_goes_on(
    sim: SimThread, records: Records
) -> None:
    got: queue.Queue[object] = queue.Queue()

    def fragile(event: Event) -> None:
        if event.value == 2:
            raise RuntimeError("callback broke on 2")
        got.put(event.value)

    with ds.connect(sim.url) as dms:
        handler = dms.subscribe("Test:Int", callback=fragile)
        for value in (5, 2, 3):  # (1 is the value already: no event)
            sim.write("Test:Int", value)
        assert [got.get(timeout=WAIT), got.get(timeout=WAIT)] == [5, 3]
        record = records.wait_for("failed")
        assert record.levelno == logging.ERROR and record.exc_info is not None
        assert "callback broke on 2" in str(record.exc_info[1])
        assert handler.failures == 1 and handler.delivered == 3 and handler.active


def test_a_slow_callback_is_reported_and_loss_signalled(
    sim: SimThread, records: Records
) -> None:
    """The queue to the callback thread fills: reported at once; the loss becomes a gap."""
    release = threading.Event()
    got: queue.Queue[object] = queue.Queue()

    def slow(event: Event) -> None:
        release.wait(WAIT)
        if event.value == 0:
            time.sleep(0.06)  # simulated work: longer than slow_callback
        got.put(event.value)

    with ds.connect(sim.url, callback_queue_size=2, slow_callback=0.05) as dms:
        handler = dms.subscribe(
            "Test:Int", buffer_size=3, callback=slow, on_gap=lambda gap: got.put(gap))
        for value in range(20):
            sim.write("Test:Int", value)
        full = records.wait_for("falling behind")  # while the callback still blocks
        assert full.levelno == logging.WARNING and "'Test:Int'" in full.getMessage()
        dms.get("Test:Int")  # answered after all 20 events reached the client
        release.set()
        received = [got.get(timeout=WAIT) for _ in range(2 + 1 + 3 + 1)]
        assert records.wait_for("slow callback").levelno == logging.WARNING
        sim.write("Test:Int", 100)
        assert got.get(timeout=WAIT) == 100  # delivery goes on after the loss
    # 1 taken by the callback, 2 queued for the thread, 3 in the subscription buffer
    values = [v for v in received if not isinstance(v, Gap)]
    gaps = [v for v in received if isinstance(v, Gap)]
    assert values == [0, 1, 2, 3, 4, 5]
    assert gaps == [Gap("overflow", 14)]
    assert received[6] == Gap("overflow", 14)
    assert handler.slow_calls >= 1 and handler.gaps == 1


def test_a_callback_may_use_and_close_its_own_subscription(sim: SimThread) -> None:
    got: queue.Queue[object] = queue.Queue()
    with ds.connect(sim.url) as dms:

        def once(event: Event) -> None:
            got.put(dms.get("Test:Double").value)  # a call from the callback thread
            handler.close()

        handler = dms.subscribe("Test:Int", callback=once)
        sim.write("Test:Int", 7)
        assert got.get(timeout=WAIT) == 21.5
        assert handler.wait(WAIT)
        assert sim.call(sim.sim.engine.write, "Test:Int", 8) == []
    assert handler.delivered == 1


def test_closing_the_client_from_a_callback(sim: SimThread) -> None:
    closed = threading.Event()
    with ds.connect(sim.url) as dms:

        def stop(event: Event) -> None:
            dms.close()
            closed.set()

        dms.subscribe("Test:Int", callback=stop)
        sim.write("Test:Int", 7)
        assert closed.wait(WAIT)
        assert dms.closed
        with pytest.raises(ds.Closed):
            dms.get("Test:Int")


def test_close_does_not_wait_for_a_callback_that_blocks(
    sim: SimThread, records: Records
) -> None:
    """``close()`` returns while a callback still runs; the callback's thread is left to
    finish it, and no callback starts after ``close()``."""
    release = threading.Event()
    running = threading.Event()
    got: queue.Queue[object] = queue.Queue()

    def blocks(event: Event) -> None:
        got.put(event.value)
        running.set()
        release.wait()  # no timeout: only the test ends it

    with ds.connect(sim.url, callback_queue_size=1) as dms:
        try:
            sub = dms.subscribe("Test:Int", callback=blocks)
            sim.write("Test:Int", 2)
            assert running.wait(WAIT)
            sim.write("Test:Int", 3)  # waits for the one slot of the callback queue
            records.wait_for("falling behind")
            other = dms.subscribe("Test:Double", callback=got.put)
            other.close()
            assert other.wait(0)  # ended, though the callback thread is busy with another
            callbacks = next(t for t in dms.threads if t.name == "dmsproto-callbacks")
            closer = threading.Thread(target=dms.close, name="test-closer")
            closer.start()
            closer.join(WAIT)
            assert not closer.is_alive(), "close() waited for the running callback"
            assert dms.closed and sub.wait(0) and not sub.active  # wait() does not block
            assert callbacks.is_alive()  # the callback still runs: its thread is not killed
        finally:
            release.set()
    callbacks.join(WAIT)
    assert not callbacks.is_alive()
    assert got.get_nowait() == 2
    assert got.empty()  # the event that waited was not delivered
    assert sub.delivered == 1


def test_event_storm_in_order_through_both_styles() -> None:
    """20,000 events in frames of 100 to a callback and to an iterator: all, in order."""
    from dmsproto.sim.engine import Delivery
    from tests.support.sync import SimThread as Sim

    total = 20_000
    done = threading.Event()
    seen: list[object] = []

    def collect(event: Event) -> None:
        seen.append(event.value)
        if len(seen) == total:
            done.set()

    with Sim(validate_outgoing=False, outbound_queue_size=2000) as sim, ds.connect(sim.url) as dms:
        handler = dms.subscribe("Test:Int", callback=collect)
        sub = dms.subscribe("Test:Double")

        def blast(tag: object, path: str) -> None:
            [session] = [s for s in sim.sim.engine.sessions if s.websocket]
            for first in range(0, total, 100):
                items = [{"code": "onChange", "path": path, "trigger": "<SYS>", "value": i,
                          "type": "int", "stamp": "2024-05-01T14:00:00,000+02:00", "tag": tag}
                         for i in range(first, first + 100)]
                sim.sim.route([Delivery(session, {"event": items})])

        sim.call(blast, handler.tag, "Test:Int")
        sim.call(blast, sub.tag, "Test:Double")
        values = [sub.get(timeout=WAIT).value for _ in range(total)]
        assert done.wait(WAIT)
    assert values == list(range(total))
    assert seen == list(range(total))
    assert handler.gaps == 0 and handler.failures == 0
