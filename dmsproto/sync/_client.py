"""The blocking ``Client`` and ``connect()``: the trio client's calls, one thread away.

Each method runs the trio client's method of the same name in the loop thread
and blocks for it: same arguments, same typed results, same exceptions, same
per-call ``timeout`` (``...`` = the ``connect()`` default, ``None`` = none).  So
each has that method's docstring too (``@blocking_doc``), with what blocking adds.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from types import EllipsisType
from typing import Any, Literal, TypeVar, Unpack, cast, overload

import trio

from .. import client as dc
from ..declare import check_names, declared, pick, resolve
from ..errors import Closed
from ..filters import QueryFilter
from ..options import ConnectOptions, call_timeout
from ..protocol.ops import Op, Stamp, path_list
from ..protocol.ranges import ProgressCallback
from ..protocol.stats import ReceiveStats
from ..results import (
    ChangelogEntry,
    ChangelogReadResult,
    DeleteResult,
    Event,
    Gap,
    History,
    HistoryDetail,
    ItemError,
    ItemResult,
    Point,
    RenameResult,
    SetResult,
)
from ._dispatch import Dispatcher
from ._docs import blocking_doc
from ._loop import Loop, refuse_in_trio
from ._options import CallbackOptions, SyncOptions
from ._subs import CallbackSubscription, Subscription

T = TypeVar("T")
Timeout = float | None | EllipsisType

#: ``progress`` of a long read runs where the trio client runs: in the loop thread
IN_THE_LOOP = {
    "progress": "called with a ``RangeProgress`` after each answer, in the client's loop "
    "thread: keep it short (no answer or event is handled while it runs); calling this "
    "client from it raises ``TrioContextError``.",
}


class Client:
    """A blocking connection to one DMS; make it with ``dmsproto.sync.connect()``.

    Safe to use from many threads at once: calls run concurrently in the loop.
    Ctrl-C during a call cancels the call and raises ``KeyboardInterrupt``.

    Args:
        loop: the loop thread, where ``client`` lives.
        client: the connected trio client that runs every call.
        callback_queue_size: ``CallbackOptions``'s, for the callback thread.
        slow_callback: ``CallbackOptions``'s, for the callback thread.
    """

    def __init__(
        self, loop: Loop[dc.Client], client: dc.Client, *, callback_queue_size: int,
        slow_callback: float,
    ) -> None:
        self._loop = loop
        self._client = client
        self._callback_queue_size = callback_queue_size
        self._slow_callback = slow_callback
        self._lock = threading.Lock()
        self._closed = False
        self._close_done = threading.Event()
        self._dispatcher: Dispatcher | None = None
        self._subs: set[Subscription[Any]] = set()
        loop.cleanup = self._close_subscriptions

    # ------------------------------------------------------------------ state

    @property
    def url(self) -> str:
        """The server URL (without credentials)."""
        return self._client.url

    @property
    def transport(self) -> Literal["ws", "http"]:
        """``"ws"`` (WebSocket: subscriptions too) or ``"http"`` (HTTP POST: calls only)."""
        return self._client.transport

    @property
    def connected(self) -> bool:
        """Whether a connection is up right now (a snapshot)."""
        return not self._closed and self._client.connected

    @property
    def reconnects(self) -> int:
        """How many times the WebSocket was reconnected."""
        return self._client.reconnects

    @property
    def protocol(self) -> str:
        """The protocol version this client speaks (``connect(protocol=...)``)."""
        return self._client.protocol

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called (calls then raise ``Closed``)."""
        return self._closed

    @property
    def stats(self) -> ReceiveStats:
        """What became of every frame received (a live view; see the trio client's)."""
        return self._client.stats

    @property
    def threads(self) -> list[threading.Thread]:
        """The threads this client runs (the loop, and the callback thread once used)."""
        found = [self._loop.thread]
        if self._dispatcher is not None:
            found.append(self._dispatcher.thread)
        return found

    # -------------------------------------------------------------- execution

    def _run(self, fn: Callable[[dc.Client], Awaitable[T]], timeout: Timeout = ...) -> T:
        """Run ``fn(trio client)`` in the loop; never waits past ``timeout`` (see ``Loop``)."""
        if timeout is not ...:
            call_timeout(timeout)  # refused here: the loop's own wait is bounded by it
        refuse_in_trio("dmsproto.sync.Client calls")
        if self._closed:
            raise Closed("the dmsproto.sync client is closed")
        client = self._client
        return self._loop.run(lambda: fn(client), timeout)

    # --------------------------------------------------------------- commands

    @blocking_doc(dc.Client.get)
    def get(
        self, path: str, *, ext_infos: Iterable[str] | None = None, tag: Any = None,
        timeout: Timeout = ...,
    ) -> Point:
        ext = None if ext_infos is None else tuple(ext_infos)
        return self._run(lambda c: c.get(path, ext_infos=ext, tag=tag, timeout=timeout), timeout)

    @blocking_doc(dc.Client.get_many)
    def get_many(
        self, paths: Iterable[str], *, ext_infos: Iterable[str] | None = None,
        timeout: Timeout = ...,
    ) -> list[Point | ItemError]:
        items = path_list(paths)
        ext = None if ext_infos is None else tuple(ext_infos)
        return self._run(lambda c: c.get_many(items, ext_infos=ext, timeout=timeout), timeout)

    @blocking_doc(dc.Client.query)
    def query(
        self,
        path: str = "",
        *,
        ext_infos: Iterable[str] | None = None,
        tag: Any = None,
        timeout: Timeout = ...,
        **filters: Unpack[QueryFilter],
    ) -> list[Point]:
        given = _frozen_filters(filters)
        ext = None if ext_infos is None else tuple(ext_infos)
        return self._run(lambda c: c.query(path, ext_infos=ext, tag=tag, timeout=timeout,
                                           **given), timeout)

    @blocking_doc(dc.Client.set)
    def set(
        self,
        path: str,
        value: int | float | str | bool | None,
        *,
        type: Literal["int", "double", "string", "bool"] | None = None,
        create: bool = False,
        stamp: Stamp | None = None,
        tag: Any = None,
        timeout: Timeout = ...,
    ) -> SetResult:
        return self._run(lambda c: c.set(
            path, value, type=type, create=create, stamp=stamp, tag=tag, timeout=timeout),
            timeout)

    @blocking_doc(dc.Client.rename)
    def rename(
        self, path: str, new_path: str, *, tag: Any = None, timeout: Timeout = ...
    ) -> RenameResult:
        return self._run(lambda c: c.rename(path, new_path, tag=tag, timeout=timeout), timeout)

    @blocking_doc(dc.Client.delete)
    def delete(
        self, path: str, *, recursive: bool = False, tag: Any = None, timeout: Timeout = ...
    ) -> DeleteResult:
        return self._run(
            lambda c: c.delete(path, recursive=recursive, tag=tag, timeout=timeout), timeout)

    @overload
    def history(
        self, path: str, *, start: Stamp, end: Stamp | None = ...,
        interval: int | float | None = ..., format: Literal["compact"] = ..., tag: Any = ...,
        show_past: bool = ..., show_original: bool = ...,
        progress: ProgressCallback | None = ..., timeout: Timeout = ...,
    ) -> History: ...

    @overload
    def history(
        self, path: str, *, start: Stamp, end: Stamp | None = ...,
        interval: int | float | None = ..., format: Literal["detail"], tag: Any = ...,
        show_past: bool = ..., show_original: bool = ...,
        progress: ProgressCallback | None = ..., timeout: Timeout = ...,
    ) -> HistoryDetail: ...

    @blocking_doc(dc.Client.history, args=IN_THE_LOOP)
    def history(
        self,
        path: str,
        *,
        start: Stamp,
        end: Stamp | None = None,
        interval: int | float | None = None,
        format: Literal["compact", "detail"] = "compact",
        tag: Any = None,
        show_past: bool = False,
        show_original: bool = False,
        progress: ProgressCallback | None = None,
        timeout: Timeout = ...,
    ) -> History | HistoryDetail:
        if format == "detail":
            return self._run(lambda c: c.history(
                path, start=start, end=end, interval=interval, format="detail", tag=tag,
                show_past=show_past, show_original=show_original, progress=progress,
                timeout=timeout), None)
        # a long range is several requests, each bounded by ``timeout`` in the loop
        return self._run(lambda c: c.history(
            path, start=start, end=end, interval=interval, format=format, tag=tag,
            show_past=show_past, show_original=show_original, progress=progress,
            timeout=timeout), None)

    @blocking_doc(dc.Client.changelog, args=IN_THE_LOOP)
    def changelog(
        self, path: str, *, start: Stamp, end: Stamp | None = None, tag: Any = None,
        progress: ProgressCallback | None = None, timeout: Timeout = ...,
    ) -> list[ChangelogEntry]:
        return self._run(lambda c: c.changelog(path, start=start, end=end, tag=tag,
                                               progress=progress, timeout=timeout), None)

    @blocking_doc(dc.Client.changelog_groups)
    def changelog_groups(self, *, timeout: Timeout = ...) -> list[str]:
        return self._run(lambda c: c.changelog_groups(timeout=timeout), timeout)

    @blocking_doc(dc.Client.changelog_read, args=IN_THE_LOOP)
    def changelog_read(
        self, group: str, *, start: Stamp, end: Stamp | None = None, tag: Any = None,
        progress: ProgressCallback | None = None, timeout: Timeout = ...,
    ) -> ChangelogReadResult:
        return self._run(lambda c: c.changelog_read(group, start=start, end=end, tag=tag,
                                                    progress=progress, timeout=timeout), None)

    @blocking_doc(dc.Client.batch)
    def batch(
        self, ops: Iterable[Op], *, tag: Any = None, timeout: Timeout = ...
    ) -> list[ItemResult]:
        op_list = list(ops)
        return self._run(lambda c: c.batch(op_list, tag=tag, timeout=timeout), timeout)

    # ---------------------------------------------------------- subscriptions

    @overload
    def subscribe(
        self, path: str, *, events: Iterable[str] | str | None = ..., tag: Any = ...,
        buffer_size: int | None = ..., gaps: Literal["raise"] = ..., callback: None = ...,
        on_gap: None = ..., **filters: Unpack[QueryFilter],
    ) -> Subscription[Event]: ...

    @overload
    def subscribe(
        self, path: str, *, events: Iterable[str] | str | None = ..., tag: Any = ...,
        buffer_size: int | None = ..., gaps: Literal["yield"], callback: None = ...,
        on_gap: None = ..., **filters: Unpack[QueryFilter],
    ) -> Subscription[Event | Gap]: ...

    @overload
    def subscribe(
        self, path: str, *, events: Iterable[str] | str | None = ..., tag: Any = ...,
        buffer_size: int | None = ..., gaps: Literal["raise", "yield"] = ...,
        callback: Callable[[Event], object], on_gap: Callable[[Gap], object] | None = ...,
        **filters: Unpack[QueryFilter],
    ) -> CallbackSubscription: ...

    @blocking_doc(dc.Client.subscribe)
    def subscribe(
        self,
        path: str,
        *,
        events: Iterable[str] | str | None = None,
        tag: Any = None,
        buffer_size: int | None = None,
        gaps: Literal["raise", "yield"] = "raise",
        callback: Callable[[Event], object] | None = None,
        on_gap: Callable[[Gap], object] | None = None,
        **filters: Unpack[QueryFilter],
    ) -> Subscription[Event] | Subscription[Event | Gap] | CallbackSubscription:
        """Monitor ``path``; returns once the server confirmed, so its refusal raises here.

        Without ``callback``: a ``Subscription`` to iterate (``with dms.subscribe(p)
        as sub: for event in sub``).  With ``callback``: a ``CallbackSubscription``
        whose events run ``callback(event)`` in the client's callback thread.

        Args:
            gaps: for iteration: ``"raise"`` lost events, or ``"yield"`` a ``Gap``.
            callback: run for each event, in the callback thread.
            on_gap: run for each ``Gap`` of a callback subscription (else logged).

        Returns:
            The confirmed subscription.

        Raises:
            ValueError: a bad ``gaps``, or ``on_gap`` without ``callback``.
            DMSError: the DMS refused the subscription (``NotFound``, ``NoPermission``).
            RequestTimeout: no confirmation within the ``connect()`` timeout.
        """
        refuse_in_trio("dmsproto.sync.Client.subscribe()")
        if gaps not in ("raise", "yield"):
            raise ValueError("gaps must be 'raise' or 'yield'")
        if on_gap is not None and callback is None:
            raise ValueError("on_gap needs callback")
        given = _frozen_filters(filters)
        spec = events if events is None or isinstance(events, str) else tuple(events)
        trio_client = self._client

        def make() -> dc.Subscription[Event | Gap]:
            return trio_client.subscribe(
                path, events=spec, tag=tag, buffer_size=buffer_size, gaps="yield", **given
            )

        if callback is not None:
            handler = CallbackSubscription(
                self._loop, self._callbacks(), path, make, callback, on_gap)
            self._run(lambda c: handler.start())
            return handler
        return self._run(lambda c: self._open_subscription(make, gaps))

    async def _open_subscription(
        self, make: Callable[[], dc.Subscription[Event | Gap]], gaps: Literal["raise", "yield"]
    ) -> Subscription[Any]:
        trio_sub = make()
        await trio_sub.__aenter__()
        sub: Subscription[Any] = Subscription(self._loop, trio_sub, gaps, self._forget)
        with self._lock:
            self._subs.add(sub)
        return sub

    def _forget(self, sub: Subscription[Any]) -> None:
        with self._lock:
            self._subs.discard(sub)

    def _callbacks(self) -> Dispatcher:
        """The callback thread, started on first use."""
        with self._lock:
            if self._closed:
                raise Closed("the dmsproto.sync client is closed")
            if self._dispatcher is None:
                self._dispatcher = Dispatcher(
                    self._loop.token, queue_size=self._callback_queue_size,
                    slow_callback=self._slow_callback,
                )
                self._dispatcher.start()
            return self._dispatcher

    async def _close_subscriptions(self) -> None:
        """At shutdown, in the loop: unsubscribe what is still open (concurrently)."""
        with self._lock:
            subs = list(self._subs)
            self._subs.clear()
        async with trio.open_nursery() as nursery:
            for sub in subs:
                nursery.start_soon(sub._end)

    # ---------------------------------------------------------------- closing

    def close(self) -> None:
        """Unsubscribe everything, close the connection, stop and join the threads.

        Idempotent and thread-safe; calls still running in other threads raise
        ``Closed``.  Queued callbacks that have not started are skipped, and no
        callback starts afterwards.  A callback that is running is not waited for
        (it may block for ever): it finishes in the callback thread, which ends
        then; the callback subscriptions have ended when ``close()`` returns.
        """
        refuse_in_trio("dmsproto.sync.Client.close()")
        with self._lock:
            first = not self._closed
            self._closed = True
            dispatcher = self._dispatcher
        if not first:
            if threading.current_thread() not in self.threads:
                self._close_done.wait()
            return
        try:
            self._loop.stop()
            if dispatcher is not None:
                dispatcher.stop()
        finally:
            self._close_done.set()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("connected" if self.connected else "down")
        return f"<dmsproto.sync.Client {self.url} {state}>"


def _frozen_filters(filters: QueryFilter) -> QueryFilter:
    """The filters with any iterable read into a tuple here, in the caller's thread."""
    given: dict[str, Any] = dict(filters)
    for name, value in given.items():
        if isinstance(value, Iterable) and not isinstance(value, str):
            given[name] = tuple(value)
    return cast(QueryFilter, given)


@contextmanager
def connect(url: str | None = None, /, **options: Unpack[SyncOptions]) -> Iterator[Client]:
    """Connect to a DMS and yield a blocking ``Client``; leaving the block closes it all.

    Args:
        url: the DMS's URL, as for ``dmsproto.connect()``.
        **options: the options of :class:`~dmsproto.options.ConnectOptions` (as for
            ``dmsproto.connect()``) and of :class:`CallbackOptions`
            (``callback_queue_size``, ``slow_callback``).

    Yields:
        The connected blocking ``Client``.

    Raises:
        ConnectError: as the trio client (also ``TLSError``, ``AuthenticationError``).
        TypeError: an unknown option.
        ValueError: a bad callback option.
        TrioContextError: called inside a trio run.
    """
    refuse_in_trio("dmsproto.sync.connect()")
    what = "dmsproto.sync.connect()"
    own = resolve(CallbackOptions, pick(options, CallbackOptions), what=what)
    rest = {k: v for k, v in options.items() if k not in own}
    check_names(ConnectOptions, rest, what)  # here, not in the loop thread
    opener = partial(dc.connect, url, **cast(ConnectOptions, rest))
    timeout = cast("float | None", rest.get(
        "timeout", declared(ConnectOptions)["timeout"].opt.default))
    loop: Loop[dc.Client] = Loop(opener, name="dmsproto-loop", timeout=timeout)
    try:
        trio_client = loop.start()
        client = Client(loop, trio_client, callback_queue_size=own["callback_queue_size"],
                        slow_callback=own["slow_callback"])
    except BaseException:
        loop.stop()
        raise
    try:
        yield client
    finally:
        client.close()


__all__ = ["Client", "connect"]
