"""One trio run in a dedicated thread, and the portal that runs blocking calls in it.

Every call from another thread becomes one task in a nursery owned by the run,
inside its own cancel scope, so a caller that gives up (Ctrl-C) cancels exactly
its call.  The only cross-thread operations are ``TrioToken.run_sync_soon``
(thread-safe by design) towards the loop and a ``threading.Event`` per call
back to the caller: nobody polls.

``trio.from_thread.run`` is not used because a caller interrupted while
waiting in it cannot cancel the task it started; this portal can.

Whatever happens in the loop thread, a caller never waits for ever: every call
handed over is remembered until it finishes, and when the run ends (orderly or
by a crash) the calls still in it fail with ``Closed`` saying why; a call with
a timeout also stops waiting ``LOOP_GRACE`` seconds after it (the trio client
has its own deadline, so this bound only ever trips when the loop is stuck).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, suppress
from types import EllipsisType
from typing import Any, Generic, TypeVar

import outcome
import trio

from ..errors import Closed, RequestTimeout, TrioContextError
from ..excgroups import sole_exception

log = logging.getLogger("dmsproto")

T = TypeVar("T")
R = TypeVar("R")

#: How long an interrupted caller waits for the loop to confirm its call is cancelled.
CANCEL_WAIT = 5.0
#: How long past its timeout a caller waits for the loop's answer before giving up on it.
LOOP_GRACE = 1.0


def refuse_in_trio(what: str) -> None:
    """Raise ``TrioContextError`` when called from inside a trio run (it would deadlock)."""
    if trio.lowlevel.in_trio_run():
        raise TrioContextError(
            f"{what} blocks and cannot be called from inside a trio run; "
            "use the trio client (dmsproto.connect) there"
        )


class Call(Generic[T]):
    """One blocking call in flight: what to run in the loop and, later, its outcome."""

    __slots__ = ("cancelled", "done", "fn", "result", "scope", "started")

    def __init__(self, fn: Callable[[], Awaitable[T]]) -> None:
        self.fn = fn
        self.done = threading.Event()
        self.result: outcome.Outcome[T] | None = None
        self.scope: trio.CancelScope | None = None  # loop thread only
        self.cancelled = False  # loop thread only
        self.started = False  # loop thread only: handed to the nursery

    def finish(self, result: outcome.Outcome[T]) -> None:
        if self.result is None:
            self.result = result
            self.done.set()


class Loop(Generic[R]):
    """A trio run in a thread of its own that keeps one resource open (the trio client).

    ``start()`` opens the resource with ``opener`` inside the run and returns it
    once ready (or raises what opening raised); ``run(fn)`` runs ``await fn()``
    as a task of the run and blocks for its result; ``stop()`` cancels the
    tasks, awaits ``cleanup``, closes the resource, ends the run and joins the
    thread.
    """

    def __init__(
        self,
        opener: Callable[[], AbstractAsyncContextManager[R]],
        *,
        name: str,
        timeout: float | None = None,
    ) -> None:
        self._opener = opener
        #: the calls' default timeout (``run(fn)`` without one), in seconds
        self.timeout = timeout
        self._thread = threading.Thread(target=self._thread_main, name=name, daemon=True)
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._startup: outcome.Outcome[R] | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._stop_requested = False
        self._crash: BaseException | None = None
        # calls handed over and not yet given up by their callers; failed when the run ends
        self._calls: set[Call[Any]] = set()
        self._dead = False
        # loop-thread state
        self._main_scope: trio.CancelScope | None = None
        self._nursery: trio.Nursery | None = None
        self._stopping: trio.Event | None = None
        self.cleanup: Callable[[], Awaitable[None]] | None = None

    # ------------------------------------------------------------ any thread

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    @property
    def token(self) -> trio.lowlevel.TrioToken:
        """The run's token (valid once started)."""
        if self._token is None:
            raise self.closed_error()
        return self._token

    @property
    def nursery(self) -> trio.Nursery:
        """The nursery of the run's tasks (loop thread only); ``Closed`` once stopping."""
        if self._nursery is None:
            raise self.closed_error()
        return self._nursery

    def closed_error(self) -> Closed:
        error = Closed("the dmsproto.sync client is closed")
        if self._crash is not None:
            error = Closed(f"the dmsproto.sync event loop failed: {self._crash!r}")
            error.__cause__ = self._crash
        return error

    def start(self) -> R:
        """Start the thread and open the resource; blocks until it is open (or failed)."""
        try:
            self._thread.start()  # (waits for the thread: Ctrl-C may come here too)
            self._ready.wait()
        except BaseException:  # Ctrl-C while connecting: cancel, join, re-raise
            self.stop()
            raise
        result = self._startup
        if isinstance(result, outcome.Value):
            value: R = result.value
            return value
        self._thread.join()
        if result is None:
            raise self.closed_error()
        return result.unwrap()

    def run_call(self, call: Call[T], timeout: float | None = None) -> T:
        """Run ``call`` in the loop and block for its result (or raise its exception).

        Interrupted anywhere (KeyboardInterrupt), the call is cancelled in the loop
        and, once it was handed over, its end awaited (briefly) before re-raising.
        With ``timeout``, no result ``LOOP_GRACE`` seconds after it cancels the
        call and raises ``RequestTimeout`` (the loop is stuck).  Once the run has
        ended, raises ``Closed`` at once.
        """
        token = self._token
        with self._lock:
            if token is None or self._dead:
                raise self.closed_error()
            self._calls.add(call)
        try:
            try:
                token.run_sync_soon(self._start_call, call)
            except trio.RunFinishedError:
                raise self.closed_error() from None
            bound = None if timeout is None else timeout + LOOP_GRACE
            answered = call.done.wait(bound)
        except BaseException:
            # Interrupted, maybe even before run_sync_soon returned: the cancel
            # queued now runs after the start (if that was queued) and ends the call.
            if not call.done.is_set() and self.cancel(call):
                call.done.wait(CANCEL_WAIT)
            raise
        finally:
            with self._lock:
                self._calls.discard(call)
        if not answered:
            self.cancel(call)
            raise RequestTimeout(
                f"no result from the dmsproto.sync event loop within {bound} s "
                "(the loop thread is stuck); the call was cancelled"
            )
        result = call.result
        if result is None:  # pragma: no cover - done is set only with a result
            raise self.closed_error()
        return result.unwrap()

    def run(self, fn: Callable[[], Awaitable[T]], timeout: float | EllipsisType | None = ...
            ) -> T:
        """Run ``await fn()`` in the loop and return its result (or raise its exception).

        ``timeout`` (``...``: the loop's default) bounds the wait as ``run_call`` says.
        """
        return self.run_call(Call(fn), self.timeout if timeout is ... else timeout)

    def cancel(self, call: Call[Any]) -> bool:
        """Cancel ``call`` in the loop (no effect once done); ``False`` if the loop is gone."""
        token = self._token
        if token is None:
            return False
        try:
            token.run_sync_soon(self._cancel_call, call)
        except trio.RunFinishedError:
            return False
        return True

    def stop(self) -> None:
        """End the run (orderly: cleanup, then close the resource) and join the thread."""
        with self._lock:
            self._stop_requested = True
            token = self._token
        if token is not None:
            with suppress(trio.RunFinishedError):
                token.run_sync_soon(self._stop_in_loop)
        if threading.current_thread() is not self._thread and self._thread.is_alive():
            self._thread.join()

    # ------------------------------------------------------------ loop thread

    def _thread_main(self) -> None:
        try:
            trio.run(self._main)
        except BaseException as exc:  # reported to the caller of start(), or logged
            if not self._report(outcome.Error(exc)):
                self._crash = self._crash or exc
                log.error("dmsproto.sync: the event loop thread failed", exc_info=exc)
        finally:
            with self._lock:
                self._dead = True
                left = list(self._calls)
            for call in left:  # never started, or lost in the crash: nobody else ends them
                call.finish(outcome.Error(self.closed_error()))
            self._report(outcome.Error(self.closed_error()))

    def _report(self, result: outcome.Outcome[R]) -> bool:
        """Tell start() how opening went; ``False`` when it was told already."""
        with self._lock:
            if self._startup is not None:
                return False
            self._startup = result
        self._ready.set()
        return True

    async def _main(self) -> None:
        with self._lock:
            self._token = trio.lowlevel.current_trio_token()
            stop_early = self._stop_requested
        self._stopping = trio.Event()
        with trio.CancelScope() as main_scope:
            self._main_scope = main_scope
            if stop_early:
                main_scope.cancel()
            try:
                async with self._opener() as resource:
                    try:
                        async with trio.open_nursery() as nursery:
                            self._nursery = nursery
                            self._report(outcome.Value(resource))
                            await self._stopping.wait()
                            self._nursery = None
                            nursery.cancel_scope.cancel()
                    except BaseException as exc:  # a task failed, or the resource under it
                        self._end_calls(exc)
                        raise
                    finally:
                        self._nursery = None
                    self._end_calls(None)  # stopped: the calls were cancelled
                    if self.cleanup is not None:
                        await self.cleanup()
            except BaseException as exc:
                self._end_calls(exc)
                raise

    def _end_calls(self, failure: BaseException | None) -> None:
        """Fail the calls still waiting, at once, saying why.

        Their tasks have ended (cancelled with the nursery), so the resource's
        own closing is not waited for -- unless the nursery was only cancelled
        from outside (the resource failed): then the resource's error, which
        says why, is awaited.
        """
        if failure is not None:
            real = sole_exception(failure) or failure
            if isinstance(real, trio.Cancelled):
                if not self._stop_requested:
                    return  # the resource failed: its own error comes next
            else:
                self._crash = self._crash or real
        with self._lock:
            left = list(self._calls)
        for call in left:
            call.finish(outcome.Error(self.closed_error()))

    def _stop_in_loop(self) -> None:
        if self._nursery is not None and self._stopping is not None:
            self._stopping.set()  # orderly: cancel the tasks, clean up, close
        elif self._main_scope is not None:
            self._main_scope.cancel()  # still opening: give up

    def _start_call(self, call: Call[Any]) -> None:
        nursery = self._nursery
        if nursery is None:
            call.finish(outcome.Error(self.closed_error()))
            return
        if call.cancelled:  # cancelled before it was started: it must not run at all
            call.finish(outcome.Error(Closed("the call was cancelled")))
            return
        try:
            nursery.start_soon(self._call_task, call)
        except RuntimeError:  # the nursery is closing: the run is ending
            call.finish(outcome.Error(self.closed_error()))
            return
        call.started = True

    @staticmethod
    def _cancel_call(call: Call[Any]) -> None:
        call.cancelled = True
        if call.scope is not None:
            call.scope.cancel()
        elif not call.started:  # its start was never queued: nothing will finish it
            call.finish(outcome.Error(Closed("the call was cancelled")))

    async def _call_task(self, call: Call[Any]) -> None:
        if call.cancelled:  # given up before it began (its caller timed out): do not begin
            call.finish(outcome.Error(Closed("the call was cancelled")))
            return
        with trio.CancelScope() as scope:
            call.scope = scope
            try:  # (cancelled by the run's end, it is failed by _end_calls, saying why)
                value = await call.fn()
            except Exception as exc:
                call.finish(outcome.Error(exc))
            else:
                call.finish(outcome.Value(value))
        call.finish(outcome.Error(Closed("the call was cancelled")))


__all__ = ["CANCEL_WAIT", "LOOP_GRACE", "Call", "Loop", "refuse_in_trio"]
