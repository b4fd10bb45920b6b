"""The callback thread: runs subscription callbacks one at a time, in order, with a bound.

Events travel from the trio loop to this thread through a FIFO queue with a
fixed number of slots.  The loop takes a slot before queueing an event (the
thread gives it back after the callback); when none is free the loop stops
taking events from the subscriptions, whose own bounded buffers then fill and,
when full, drop the newest events and report a ``Gap("overflow")``.  So memory
stays bounded, nothing is lost silently, and a slow callback is reported twice:
when the queue fills up (while it is still running) and when it returns late.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from contextlib import suppress
from typing import Protocol

import trio

from ..results import Event, Gap

log = logging.getLogger("dmsproto")


class Handler(Protocol):
    """What the dispatcher delivers to (a callback subscription)."""

    path: str
    slow_calls: int

    def _deliver(self, item: Event | Gap) -> None:
        """Run the callback for ``item``; never raises."""

    def _end(self, error: BaseException | None) -> None:
        """The subscription ended (``error`` says why; ``None`` = closed)."""

    def describe(self) -> str:
        """The callback's name, for log messages."""


class _End:
    __slots__ = ("error",)

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


_Job = tuple[Handler, Event | Gap | _End]


def _worth_logging(count: int) -> bool:
    """1, 10, 100, ...: report a repeating condition without flooding the log."""
    return count >= 1 and 10 ** round(math.log10(count)) == count


class Dispatcher:
    """One background thread running the callbacks of one client's subscriptions."""

    def __init__(
        self, token: trio.lowlevel.TrioToken, *, queue_size: int, slow_callback: float
    ) -> None:
        if queue_size < 1:
            raise ValueError("callback_queue_size must be >= 1")
        self._token = token
        self.queue_size = queue_size
        self.slow_callback = slow_callback
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._free = queue_size
        self._waiter: trio.Event | None = None
        self._stopping = False
        self._running: tuple[Handler, float] | None = None
        self.full_episodes = 0
        """How many times the queue filled up (a callback could not keep up)."""
        self._thread = threading.Thread(target=self._main, name="dmsproto-callbacks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    @property
    def queued(self) -> int:
        """Events waiting for their callback."""
        with self._lock:
            return self.queue_size - self._free

    # ------------------------------------------------------------ loop thread

    async def put(self, handler: Handler, item: Event | Gap) -> None:
        """Queue ``item`` for ``handler``, waiting (in the loop) while the queue is full."""
        while True:
            with self._lock:
                if self._free > 0:
                    self._free -= 1
                    break
                waiter = self._waiter
                if waiter is None:
                    waiter = self._waiter = trio.Event()
                    self.full_episodes += 1
                    self._report_full(handler)
            await waiter.wait()
        self._queue.put((handler, item))

    def put_end(self, handler: Handler, error: BaseException | None) -> None:
        """Tell ``handler`` (in order, after its events) that its subscription ended."""
        self._queue.put((handler, _End(error)))

    def _report_full(self, handler: Handler) -> None:
        running = self._running
        if running is None:
            detail = ""
        else:
            slow, started = running
            detail = (
                f"; callback {slow.describe()} for {slow.path!r} has been running for "
                f"{time.monotonic() - started:.3f} s"
            )
        log.warning(
            "dmsproto.sync: callbacks are falling behind: %d events queued%s; "
            "delivery for %r pauses, its subscription buffer fills and beyond it "
            "events are dropped (reported as a gap)",
            self.queue_size, detail, handler.path,
        )

    # ------------------------------------------------------------ any thread

    def stop(self) -> None:
        """Start no callback any more and tell the subscriptions' ends; never wait for a callback.

        What is still queued is skipped.  A callback that is running is not waited
        for: it may block for ever, and a thread cannot be stopped from outside.  It
        finishes in the callback thread, which then ends; meanwhile the ends of the
        subscriptions are told here, so ``wait()`` returns.  Without a running
        callback the thread is joined (it has only the ends left to tell).
        """
        with self._lock:
            self._stopping = True
            running = self._running is not None
        self._queue.put(None)
        if threading.current_thread() is self._thread:
            return
        if running:
            self._skip_queued()
        elif self._thread.is_alive():
            self._thread.join()

    def _skip_queued(self) -> None:
        """Tell the queued ends and drop the queued events, in this thread."""
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is None:
                break
            handler, item = job
            if isinstance(item, _End):
                handler._end(item.error)
            else:
                self._release()
        self._queue.put(None)  # for the callback thread, once its callback returns

    # -------------------------------------------------------- callback thread

    def _main(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            handler, item = job
            if isinstance(item, _End):
                handler._end(item.error)
                continue
            try:
                with self._lock:  # stop() sees a callback start or sees it not start
                    started = None if self._stopping else time.monotonic()
                    self._running = None if started is None else (handler, started)
                if started is not None:
                    self._run(handler, item, started)
            finally:
                self._release()

    def _run(self, handler: Handler, item: Event | Gap, started: float) -> None:
        try:
            handler._deliver(item)
        finally:
            self._running = None
        elapsed = time.monotonic() - started
        if elapsed >= self.slow_callback:
            handler.slow_calls += 1
            if _worth_logging(handler.slow_calls):
                log.warning(
                    "dmsproto.sync: slow callback %s for %r took %.3f s (slow_callback=%.3f s, "
                    "%d events waiting; slow calls so far: %d)",
                    handler.describe(), handler.path, elapsed, self.slow_callback,
                    self.queued, handler.slow_calls,
                )

    def _release(self) -> None:
        with self._lock:
            self._free += 1
            waiter, self._waiter = self._waiter, None
        if waiter is not None:
            with suppress(trio.RunFinishedError):
                self._token.run_sync_soon(waiter.set)


__all__ = ["Dispatcher", "Handler"]
