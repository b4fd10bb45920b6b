"""Blocking subscriptions: one you iterate, and one that runs a callback per event.

Both wrap a trio ``Subscription`` that lives in the loop thread and always
yields ``Gap`` markers; the gap policy (``raise`` or ``yield``) is applied here,
where the consumer meets it, so a batch fetched ahead never reorders a gap.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import suppress
from functools import partial
from types import TracebackType
from typing import Any, Generic, Literal, TypeVar, cast

import outcome
import trio

from ..client import Subscription as TrioSubscription
from ..client._base import gap_error
from ..errors import Closed
from ..results import Event, Gap, SubscribeResult
from ._dispatch import Dispatcher
from ._loop import Call, Loop, refuse_in_trio

log = logging.getLogger("dmsproto")

T = TypeVar("T", bound=Event | Gap)

#: Most events moved from the loop to a blocking subscription in one round trip.
BATCH = 1024


async def _fetch(sub: TrioSubscription[Event | Gap], timeout: float | None) -> list[Event | Gap]:
    """What is queued (at least one item, waiting up to ``timeout``); ``[]`` at the end."""
    first = sub.receive_nowait()
    if first is None:
        try:
            if timeout is None:
                first = await sub.__anext__()
            else:
                with trio.move_on_after(timeout):
                    first = await sub.__anext__()
        except StopAsyncIteration:
            return []
        if first is None:
            raise TimeoutError(f"no event for {sub.path!r} within {timeout} s")
    items = [first]
    while len(items) < BATCH:
        item = sub.receive_nowait()
        if item is None:
            break
        items.append(item)
    return items




class Subscription(Generic[T]):
    """A live subscription read by blocking calls: ``for event in sub`` or ``sub.get()``.

    Made (and confirmed by the server) by ``Client.subscribe()``; ``with`` or
    ``close()`` ends it.  Events come in server order.  Gaps follow ``gaps``:
    ``"raise"`` raises ``SubscriptionOverflow`` / ``EventGap`` where events were
    lost (iterate again to go on), ``"yield"`` returns a ``Gap`` marker.
    Iteration stops once the subscription or its client is closed; it raises
    ``ConnectionLost`` when the connection is gone for good.  Readers in several
    threads are served one at a time, each event going to exactly one of them.

    Args:
        loop: the client's loop thread, where ``trio_sub`` lives.
        trio_sub: the trio subscription, already confirmed, yielding ``Gap`` markers.
        gaps: ``"raise"`` or ``"yield"``: how the reader meets lost events.
        forget: called once closed, so the client stops tracking it.
    """

    def __init__(
        self,
        loop: Loop[Any],
        trio_sub: TrioSubscription[Event | Gap],
        gaps: Literal["raise", "yield"],
        forget: Callable[[Subscription[Any]], None],
    ) -> None:
        self._loop = loop
        self._trio = trio_sub
        self._gaps = gaps
        self._forget = forget
        self._items: deque[Event | Gap] = deque()
        self._read_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._fetching: Call[list[Event | Gap]] | None = None
        self._closed = False
        self._ended = False

    @property
    def path(self) -> str:
        """The datapoint watched (with ``max_depth``: the root of the subtree)."""
        return self._trio.path

    @property
    def tag(self) -> Any:
        """The subscription's tag (carried by each of its events)."""
        return self._trio.tag

    @property
    def initial(self) -> SubscribeResult | None:
        """The server's answer to the subscribe request (renewed after a reconnect)."""
        return self._trio.initial

    @property
    def pending(self) -> int:
        """Events received and not yet read (approximate while events arrive)."""
        return len(self._items) + self._trio.pending

    @property
    def closed(self) -> bool:
        """Whether it ended: closed here or by the client, or its events came to an end."""
        return self._closed or self._ended

    def get(self, timeout: float | None = None) -> T:
        """The next event, waiting for it.

        Args:
            timeout: seconds to wait (``None``: forever; 0: take only what is queued).

        Returns:
            The event (or, with ``gaps="yield"``, a ``Gap`` where events were lost).

        Raises:
            TimeoutError: no event came in time.
            Closed: the subscription or its client is closed.
            ConnectionLost: the connection is gone for good.
            SubscriptionOverflow: with ``gaps="raise"``, where events were dropped.
            EventGap: with ``gaps="raise"``, where a reconnect may have lost events.
            TrioContextError: called inside a trio run.
        """
        refuse_in_trio("Subscription.get()")
        with self._read_lock:
            if not self._items:
                self._items.extend(self._fetch(timeout))
            item = self._items.popleft()
        if type(item) is Event or self._gaps == "yield":
            return cast(T, item)
        raise gap_error(self.path, cast(Gap, item))

    def _fetch(self, timeout: float | None) -> list[Event | Gap]:
        call = Call(partial(_fetch, self._trio, timeout))
        with self._state_lock:
            if self._closed or self._ended:
                raise Closed(f"subscription to {self.path!r} is closed")
            self._fetching = call
        try:
            items = self._loop.run_call(call, timeout)
        except BaseException:
            # interrupted after the loop fetched: keep the events (they left the buffer)
            result = call.result
            if isinstance(result, outcome.Value):
                self._items.extend(result.value)
            raise
        finally:
            with self._state_lock:
                self._fetching = None
        if not items:
            self._ended = True
            raise Closed(f"subscription to {self.path!r} is closed")
        return items

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        try:
            return self.get()
        except Closed:
            raise StopIteration from None

    def events(self, timeout: float | None = None) -> Iterator[T]:
        """Iterate like ``for e in sub``, but stop after a quiet spell: to drain, or to poll.

        Args:
            timeout: seconds without an event after which iteration stops (0: stop
                once nothing is queued).

        Yields:
            The events (and gaps) as ``get`` returns them; gaps raise as there.
        """
        while True:
            try:
                item = self.get(timeout)
            except (TimeoutError, Closed):
                return
            yield item

    def close(self) -> None:
        """Unsubscribe (idempotent); a reader blocked in another thread stops."""
        refuse_in_trio("Subscription.close()")
        with self._state_lock:
            if self._closed:
                return
            self._closed = True
            fetching = self._fetching
        if fetching is not None:
            self._loop.cancel(fetching)
        try:
            self._loop.run(self._aclose, None)  # bounded inside: unsubscribing has a timeout
        except Closed:
            pass  # the client is closed: it ended the subscription itself
        finally:
            self._forget(self)

    async def _aclose(self) -> None:
        await self._trio.__aexit__(None, None, None)

    async def _end(self) -> None:
        """The client is closing (loop thread): mark closed, then unsubscribe."""
        with self._state_lock:
            self._closed = True
        await self._aclose()

    def __enter__(self) -> Subscription[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<dmsproto.sync.Subscription {self.path!r} tag={self.tag!r} {state}>"


class CallbackSubscription:
    """A live subscription whose events run ``callback`` in the client's callback thread.

    Callbacks of all subscriptions of one client run in that one thread, one at
    a time; the events of a subscription arrive in server order.  A callback
    that raises is logged (logger ``dmsproto``) and counted in ``failures``;
    delivery goes on.  Lost events (``Gap``) go to ``on_gap`` when given, else
    they are logged as a warning.  ``close()`` (or leaving ``with``) unsubscribes;
    no callback starts after it.  ``wait()`` blocks until the subscription ends
    (closed, or the connection gone for good: then ``error`` says why).

    Made by ``Client.subscribe(..., callback=...)``, which starts it.

    Args:
        loop: the client's loop thread, where the trio subscription lives.
        dispatcher: the client's callback thread.
        path: the datapoint watched.
        make: makes the trio subscription (in the loop), yielding ``Gap`` markers.
        callback: run for each event.
        on_gap: run for each ``Gap``; ``None``: gaps are logged.
    """

    def __init__(
        self,
        loop: Loop[Any],
        dispatcher: Dispatcher,
        path: str,
        make: Callable[[], TrioSubscription[Event | Gap]],
        callback: Callable[[Event], object],
        on_gap: Callable[[Gap], object] | None,
    ) -> None:
        self.path = path
        """The datapoint watched (with ``max_depth``: the root of the subtree)."""
        self._loop = loop
        self._dispatcher = dispatcher
        self._make = make
        self._callback = callback
        self._on_gap = on_gap
        self._lock = threading.Lock()
        self._open = True
        self._ended = threading.Event()
        self._trio: TrioSubscription[Event | Gap] | None = None
        self._scope: trio.CancelScope | None = None
        self._finished: trio.Event | None = None
        self._started = False
        self.error: BaseException | None = None
        """Why the subscription ended, when not closed by this program."""
        self.delivered = 0
        """Events handed to the callback."""
        self.failures = 0
        """Callbacks that raised."""
        self.gaps = 0
        """Gaps met (events lost to a reconnect or an overflow)."""
        self.slow_calls = 0
        """Callbacks that ran longer than the client's ``slow_callback``."""

    @property
    def tag(self) -> Any:
        """The subscription's tag (carried by each of its events)."""
        return None if self._trio is None else self._trio.tag

    @property
    def initial(self) -> SubscribeResult | None:
        """The server's answer to the subscribe request (renewed after a reconnect)."""
        return None if self._trio is None else self._trio.initial

    @property
    def active(self) -> bool:
        """Whether events still reach the callback: neither closed nor ended."""
        return self._open and not self._ended.is_set()

    def describe(self) -> str:
        """The callback's name, as log messages and ``repr`` show it."""
        return str(getattr(self._callback, "__qualname__", None) or repr(self._callback))

    # ------------------------------------------------------------ loop thread

    async def start(self) -> None:
        """Subscribe and start pumping events to the dispatcher (returns once confirmed)."""
        self._finished = trio.Event()
        await self._loop.nursery.start(self._pump)

    async def _pump(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        error: BaseException | None = None
        try:
            with trio.CancelScope() as scope:
                self._scope = scope
                self._trio = self._make()
                async with self._trio as sub:
                    self._started = True
                    task_status.started()
                    async for item in sub:
                        await self._dispatcher.put(self, item)
        except Exception as exc:
            if not self._started:
                raise  # to the subscribe() caller
            error = exc
        finally:
            if self._started:
                self._dispatcher.put_end(self, error)
            if self._finished is not None:
                self._finished.set()

    async def _aclose(self) -> None:
        if self._scope is not None:
            self._scope.cancel()
        if self._finished is not None:
            await self._finished.wait()

    # -------------------------------------------------------- callback thread

    def _deliver(self, item: Event | Gap) -> None:
        """Run the callback (or ``on_gap``) for ``item``; what it raises is logged."""
        if not self._open:
            return
        try:
            if type(item) is Event:
                self.delivered += 1
                self._callback(item)
                return
            gap = cast(Gap, item)
            self.gaps += 1
            if self._on_gap is None:
                log.warning("dmsproto.sync: %s", gap_error(self.path, gap))
            else:
                self._on_gap(gap)
        except BaseException:  # a failing callback must not stop the delivery
            self.failures += 1
            log.exception(
                "dmsproto.sync: callback %s for %r failed on %r; delivery continues",
                self.describe(), self.path, item,
            )

    def _end(self, error: BaseException | None) -> None:
        """The subscription ended (``error``: why, unless closed): wake ``wait()``."""
        if error is not None:
            self.error = error
            log.warning("dmsproto.sync: subscription to %r ended: %s", self.path, error)
        self._ended.set()

    # ------------------------------------------------------------ any thread

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the subscription ends: to keep a program alive on callbacks alone.

        Args:
            timeout: seconds at most (``None``: as long as it takes).

        Returns:
            ``True`` once it ended (``error`` says why, unless closed); ``False``
            when ``timeout`` passed first.
        """
        return self._ended.wait(timeout)

    def close(self) -> None:
        """Unsubscribe (idempotent; may be called from the callback itself).

        Returns without waiting for a callback that is running; no callback of this
        subscription starts afterwards, and ``wait()`` returns.
        """
        refuse_in_trio("CallbackSubscription.close()")
        with self._lock:
            if not self._open:
                return
            self._open = False
        with suppress(Closed):  # if closed, the client ended the subscription itself
            self._loop.run(self._aclose, None)  # bounded inside: unsubscribing has a timeout
        # ended now, not when the callback thread tells it: that thread may be busy in a
        # callback (of any subscription) for a long while
        self._ended.set()

    def __enter__(self) -> CallbackSubscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "active" if self.active else "ended"
        return f"<dmsproto.sync.CallbackSubscription {self.path!r} {self.describe()} {state}>"


__all__ = ["BATCH", "CallbackSubscription", "Subscription"]
