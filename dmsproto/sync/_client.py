"""The blocking ``Client`` and ``connect()``: the trio client's calls, one thread away.

Each method runs the trio client's method of the same name in the loop thread
and blocks for it: same arguments, same typed results, same exceptions, same
per-call ``timeout`` (``...`` = the ``connect()`` default, ``None`` = none).
"""

from __future__ import annotations

import os
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from types import EllipsisType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

import trio

from .. import client as dc
from ..client import ReconnectPolicy
from ..errors import Closed
from ..protocol.ops import Op, Stamp
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
from ..versions import DEFAULT_VERSION, Version
from ._dispatch import Dispatcher
from ._loop import Loop, refuse_in_trio
from ._subs import CallbackSubscription, Subscription

if TYPE_CHECKING:
    from ..capture.recorder import Recorder

T = TypeVar("T")
Timeout = float | None | EllipsisType


class Client:
    """A blocking connection to one DMS; make it with ``dmsproto.sync.connect()``.

    Safe to use from many threads at once: calls run concurrently in the loop.
    Ctrl-C during a call cancels the call and raises ``KeyboardInterrupt``.
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
        return self._closed

    @property
    def threads(self) -> list[threading.Thread]:
        """The threads this client runs (the loop, and the callback thread once used)."""
        found = [self._loop.thread]
        if self._dispatcher is not None:
            found.append(self._dispatcher.thread)
        return found

    # -------------------------------------------------------------- execution

    def _run(self, fn: Callable[[dc.Client], Awaitable[T]]) -> T:
        refuse_in_trio("dmsproto.sync.Client calls")
        if self._closed:
            raise Closed("the dmsproto.sync client is closed")
        client = self._client
        return self._loop.run(lambda: fn(client))

    # --------------------------------------------------------------- commands

    def get(
        self, path: str, *, ext_infos: Iterable[str] | None = None, tag: Any = None,
        timeout: Timeout = ...,
    ) -> Point:
        """Read one datapoint; raises ``NotFound``/``NoPermission``/``DMSError``."""
        ext = None if ext_infos is None else tuple(ext_infos)
        return self._run(lambda c: c.get(path, ext_infos=ext, tag=tag, timeout=timeout))

    def get_many(
        self, paths: Iterable[str], *, ext_infos: Iterable[str] | None = None,
        timeout: Timeout = ...,
    ) -> list[Point | ItemError]:
        """Read many datapoints; one ``Point`` or ``ItemError`` per path, in order (no raise)."""
        items = tuple(paths)
        ext = None if ext_infos is None else tuple(ext_infos)
        return self._run(lambda c: c.get_many(items, ext_infos=ext, timeout=timeout))

    def query(
        self,
        path: str = "",
        *,
        regex_path: str | None = None,
        regex_value: str | None = None,
        regex_stamp: str | None = None,
        types: Iterable[str] | str | None = None,
        has_hist_data: bool | None = None,
        has_changelog: bool | None = None,
        has_alarm_data: bool | None = None,
        has_prot_data: bool | None = None,
        max_depth: int | None = None,
        ext_infos: Iterable[str] | None = None,
        tag: Any = None,
        timeout: Timeout = ...,
    ) -> list[Point]:
        """Search from ``path`` (``""`` = root): every matching datapoint."""
        kinds = types if types is None or isinstance(types, str) else tuple(types)
        ext = None if ext_infos is None else tuple(ext_infos)
        return self._run(lambda c: c.query(
            path, regex_path=regex_path, regex_value=regex_value, regex_stamp=regex_stamp,
            types=kinds, has_hist_data=has_hist_data, has_changelog=has_changelog,
            has_alarm_data=has_alarm_data, has_prot_data=has_prot_data, max_depth=max_depth,
            ext_infos=ext, tag=tag,
            timeout=timeout,
        ))

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
        """Write a value (``create`` makes a missing datapoint; ``type`` checks/chooses type)."""
        return self._run(lambda c: c.set(
            path, value, type=type, create=create, stamp=stamp, tag=tag, timeout=timeout))

    def rename(
        self, path: str, new_path: str, *, tag: Any = None, timeout: Timeout = ...
    ) -> RenameResult:
        """Rename (move) a datapoint and its children."""
        return self._run(lambda c: c.rename(path, new_path, tag=tag, timeout=timeout))

    def delete(
        self, path: str, *, recursive: bool = False, tag: Any = None, timeout: Timeout = ...
    ) -> DeleteResult:
        """Delete a datapoint; one with children needs ``recursive=True``."""
        return self._run(lambda c: c.delete(path, recursive=recursive, tag=tag, timeout=timeout))

    @overload
    def history(
        self, path: str, *, start: Stamp, end: Stamp | None = ...,
        interval: int | float | None = ..., format: Literal["compact"] = ..., tag: Any = ...,
        show_past: bool = ..., show_original: bool = ..., timeout: Timeout = ...,
    ) -> History: ...

    @overload
    def history(
        self, path: str, *, start: Stamp, end: Stamp | None = ...,
        interval: int | float | None = ..., format: Literal["detail"], tag: Any = ...,
        show_past: bool = ..., show_original: bool = ..., timeout: Timeout = ...,
    ) -> HistoryDetail: ...

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
        timeout: Timeout = ...,
    ) -> History | HistoryDetail:
        """Recorded values from ``start`` to ``end`` (default now); see the trio client."""
        if format == "detail":
            return self._run(lambda c: c.history(
                path, start=start, end=end, interval=interval, format="detail", tag=tag,
                show_past=show_past, show_original=show_original, timeout=timeout))
        return self._run(lambda c: c.history(
            path, start=start, end=end, interval=interval, format=format, tag=tag,
            show_past=show_past, show_original=show_original, timeout=timeout))

    def changelog(
        self, path: str, *, start: Stamp, end: Stamp | None = None, tag: Any = None,
        timeout: Timeout = ...,
    ) -> list[ChangelogEntry]:
        """The changelog of one datapoint."""
        return self._run(lambda c: c.changelog(path, start=start, end=end, tag=tag,
                                               timeout=timeout))

    def changelog_groups(self, *, timeout: Timeout = ...) -> list[str]:
        """Names of the changelog groups."""
        return self._run(lambda c: c.changelog_groups(timeout=timeout))

    def changelog_read(
        self, group: str, *, start: Stamp, end: Stamp | None = None, tag: Any = None,
        timeout: Timeout = ...,
    ) -> ChangelogReadResult:
        """Entries of a changelog group between ``start`` and ``end`` (default now)."""
        return self._run(lambda c: c.changelog_read(group, start=start, end=end, tag=tag,
                                                    timeout=timeout))

    def batch(
        self, ops: Iterable[Op], *, tag: Any = None, timeout: Timeout = ...
    ) -> list[ItemResult]:
        """Several operations (``dmsproto.protocol`` ops) in one request; one result each."""
        op_list = list(ops)
        return self._run(lambda c: c.batch(op_list, tag=tag, timeout=timeout))

    # ---------------------------------------------------------- subscriptions

    @overload
    def subscribe(
        self, path: str, *, events: Iterable[str] | str | None = ...,
        regex_path: str | None = ..., regex_value: str | None = ...,
        regex_stamp: str | None = ..., types: Iterable[str] | str | None = ...,
        has_hist_data: bool | None = ..., has_changelog: bool | None = ...,
        has_alarm_data: bool | None = ..., has_prot_data: bool | None = ...,
        max_depth: int | None = ..., tag: Any = ...,
        buffer_size: int | None = ..., gaps: Literal["raise"] = ..., callback: None = ...,
        on_gap: None = ...,
    ) -> Subscription[Event]: ...

    @overload
    def subscribe(
        self, path: str, *, events: Iterable[str] | str | None = ...,
        regex_path: str | None = ..., regex_value: str | None = ...,
        regex_stamp: str | None = ..., types: Iterable[str] | str | None = ...,
        has_hist_data: bool | None = ..., has_changelog: bool | None = ...,
        has_alarm_data: bool | None = ..., has_prot_data: bool | None = ...,
        max_depth: int | None = ..., tag: Any = ...,
        buffer_size: int | None = ..., gaps: Literal["yield"], callback: None = ...,
        on_gap: None = ...,
    ) -> Subscription[Event | Gap]: ...

    @overload
    def subscribe(
        self, path: str, *, events: Iterable[str] | str | None = ...,
        regex_path: str | None = ..., regex_value: str | None = ...,
        regex_stamp: str | None = ..., types: Iterable[str] | str | None = ...,
        has_hist_data: bool | None = ..., has_changelog: bool | None = ...,
        has_alarm_data: bool | None = ..., has_prot_data: bool | None = ...,
        max_depth: int | None = ..., tag: Any = ...,
        buffer_size: int | None = ..., gaps: Literal["raise", "yield"] = ...,
        callback: Callable[[Event], object],
        on_gap: Callable[[Gap], object] | None = ...,
    ) -> CallbackSubscription: ...

    def subscribe(
        self,
        path: str,
        *,
        events: Iterable[str] | str | None = None,
        regex_path: str | None = None,
        regex_value: str | None = None,
        regex_stamp: str | None = None,
        types: Iterable[str] | str | None = None,
        has_hist_data: bool | None = None,
        has_changelog: bool | None = None,
        has_alarm_data: bool | None = None,
        has_prot_data: bool | None = None,
        max_depth: int | None = None,
        tag: Any = None,
        buffer_size: int | None = None,
        gaps: Literal["raise", "yield"] = "raise",
        callback: Callable[[Event], object] | None = None,
        on_gap: Callable[[Gap], object] | None = None,
    ) -> Subscription[Event] | Subscription[Event | Gap] | CallbackSubscription:
        """Monitor ``path``; returns once the server confirmed (``NotFound`` etc. raise here).

        Without ``callback``: a ``Subscription`` to iterate (``with dms.subscribe(p)
        as sub: for event in sub``).  With ``callback``: a ``CallbackSubscription``
        whose events run ``callback(event)`` in the client's callback thread (lost
        events go to ``on_gap(gap)``, or are logged).  Other arguments as for the
        trio client's ``subscribe`` (``gaps`` applies to iteration only).
        """
        refuse_in_trio("dmsproto.sync.Client.subscribe()")
        if gaps not in ("raise", "yield"):
            raise ValueError("gaps must be 'raise' or 'yield'")
        if on_gap is not None and callback is None:
            raise ValueError("on_gap needs callback")
        kinds = types if types is None or isinstance(types, str) else tuple(types)
        spec = events if events is None or isinstance(events, str) else tuple(events)
        trio_client = self._client

        def make() -> dc.Subscription[Event | Gap]:
            return trio_client.subscribe(
                path, events=spec, regex_path=regex_path,
                regex_value=regex_value, regex_stamp=regex_stamp, types=kinds,
                has_hist_data=has_hist_data, has_changelog=has_changelog,
                has_alarm_data=has_alarm_data, has_prot_data=has_prot_data,
                max_depth=max_depth, tag=tag, buffer_size=buffer_size, gaps="yield",
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
        ``Closed``.  Queued callbacks that have not started are skipped.
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


@contextmanager
def connect(
    url: str = "ws://127.0.0.1:9020/json_data",
    *,
    whois: str | None = "dmsproto",
    user: str | None = None,
    password: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
    cafile: str | os.PathLike[str] | None = None,
    certfile: str | os.PathLike[str] | None = None,
    keyfile: str | os.PathLike[str] | None = None,
    check_hostname: bool = True,
    allow_insecure_auth: bool = False,
    timeout: float | None = 10.0,
    connect_timeout: float = 10.0,
    close_timeout: float = 2.0,
    ping_interval: float | None = 20.0,
    ping_timeout: float = 20.0,
    reconnect: bool | ReconnectPolicy = False,
    buffer_size: int = 100_000,
    chunk_size: int = 10_000,
    max_message_size: int = 1 << 30,
    protocol: Version = DEFAULT_VERSION,
    validate_requests: bool = False,
    record: str | os.PathLike[str] | Recorder | None = None,
    callback_queue_size: int = 10_000,
    slow_callback: float = 1.0,
) -> Iterator[Client]:
    """Connect to a DMS and yield a blocking ``Client``; leaving the block closes it all.

    Options as for ``dmsproto.connect()`` (the trio client), plus, for callback
    subscriptions: ``callback_queue_size`` events may wait for the callback
    thread (then delivery pauses and the subscription buffers take over), and a
    callback running ``slow_callback`` seconds or longer is reported (logger
    ``dmsproto``).  Connecting raises what the trio client raises
    (``ConnectError``, ``TLSError``, ``AuthenticationError``);
    ``TrioContextError`` inside a trio run.
    """
    refuse_in_trio("dmsproto.sync.connect()")
    if callback_queue_size < 1:
        raise ValueError("callback_queue_size must be >= 1")
    opener = partial(
        dc.connect, url, whois=whois, user=user, password=password, ssl_context=ssl_context,
        cafile=cafile, certfile=certfile, keyfile=keyfile, check_hostname=check_hostname,
        allow_insecure_auth=allow_insecure_auth, timeout=timeout,
        connect_timeout=connect_timeout, close_timeout=close_timeout,
        ping_interval=ping_interval, ping_timeout=ping_timeout, reconnect=reconnect,
        buffer_size=buffer_size, chunk_size=chunk_size, max_message_size=max_message_size,
        protocol=protocol, validate_requests=validate_requests, record=record,
    )
    loop: Loop[dc.Client] = Loop(opener, name="dmsproto-loop")
    try:
        trio_client = loop.start()
        client = Client(loop, trio_client, callback_queue_size=callback_queue_size,
                        slow_callback=slow_callback)
    except BaseException:
        loop.stop()
        raise
    try:
        yield client
    finally:
        client.close()


__all__ = ["Client", "connect"]
