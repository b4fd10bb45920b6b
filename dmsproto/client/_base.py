"""What the trio and the asyncio client share: every call, its parameters and results.

An async method that awaits nothing but its own transport runs on any event loop,
so the commands (``get``, ``set``, ``query``, ``subscribe``, ...) are written once,
here, over four primitives each front door provides for its loop:

* ``_execute(ops, timeout, root_tag)``: send one call, wait for its answer within
  ``timeout`` (``RequestTimeout``), return one value per op;
* ``_take_back(op, path, seconds)``: send an unsubscribe even while the caller is
  being cancelled, bounded by ``seconds``, never raising a transport error;
* ``_cancelled``: the loop's cancellation exceptions;
* ``_subscription_type``: the loop's ``Subscription`` (how its consumer waits in the
  transport's parking lot).

Single-item calls (``get``, ``set``, ``rename``, ``delete``, ``query``,
``history``, ``changelog``, ``changelog_groups``, ``changelog_read``) return a
typed result and raise ``NotFound``, ``NoPermission`` or ``DMSError`` when the
server answers with another code than ``ok``.  Bulk calls (``get_many``,
``batch``) never raise for an item: they return one result per item, in
order, and the caller inspects them (``ItemError`` / ``ItemResult.ok``).

Every call takes ``timeout`` (seconds; ``None`` waits forever; ``...`` uses
the ``connect()`` default) and raises ``RequestTimeout`` when it expires.
Cancelling a call is always safe: the connection stays usable and a late
response is dropped.

The subscription's buffer is the sans-I/O ``SubscriptionState``; what the
consumer meets (events, gaps by policy, the end) is decided here, and only how
a consumer waits for the next item is the loop's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from types import EllipsisType, TracebackType
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar, Unpack, cast, overload

from ..errors import (
    ConnectionLost,
    DMSProtoError,
    EventGap,
    RequestTimeout,
    SubscriptionOverflow,
    TransportError,
)
from ..filters import QueryFilter
from ..options import call_timeout
from ..protocol.core import ClientCore, SubscriptionState
from ..protocol.ops import (
    ChangelogGroups,
    ChangelogRead,
    Delete,
    Get,
    GetMany,
    Op,
    Query,
    ReadChangelog,
    ReadHistory,
    Rename,
    Set,
    Unsubscribe,
    event_spec,
    is_empty,
    path_list,
    query_object,
)
from ..protocol.ranges import (
    CHANGELOG_CUT,
    DEFAULT_INTERVAL,
    GRID_WINDOW,
    HISTORY_CUT,
    TICK,
    ProgressCallback,
    RangeWalk,
    Stamp,
    Window,
    time_range,
)
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
    SubscribeResult,
)
from ..wording import count
from ._options import Options
from ._ranges import DETAIL, GROUP, HISTORY, LOG, Parts, read_range
from ._wsbase import WsState

log = logging.getLogger("dmsproto")

T = TypeVar("T", bound=Event | Gap)
#: the loop's ``Subscription[Event]`` and ``Subscription[Event | Gap]``
SubE = TypeVar("SubE")
SubG = TypeVar("SubG")
R = TypeVar("R")
Timeout = float | None | EllipsisType

#: ``SubscriptionState.final`` of a subscription its consumer ended (iteration stops)
END = StopAsyncIteration()
#: seconds an unsubscribe may take when calls have no timeout
UNSUBSCRIBE_SECONDS = 10.0


def unwrap(value: Any) -> Any:
    """The value of a single-item call; an ``ItemError`` is raised as its exception."""
    if isinstance(value, ItemError):
        raise value.exception()
    return value


def core_for(opts: Options) -> ClientCore:
    """The sans-I/O core of a connection with these options."""
    return ClientCore(
        whois=opts.whois,
        user=opts.user,
        chunk_size=opts.chunk_size,
        protocol=opts.protocol,
        validate_requests=opts.validate_requests,
    )


class Backend(Protocol):
    """What the shared client reads off either loop's WebSocket or HTTP transport."""

    transport: str
    closed: bool

    @property
    def link(self) -> object | None: ...

    async def aclose(self) -> None: ...


def gap_error(
    path: str, gap: Gap, buffer_size: int | None = None
) -> SubscriptionOverflow | EventGap:
    """The exception a ``gaps="raise"`` consumer meets at ``gap``, in one wording for all clients.

    Args:
        path: the subscribed path, named in the message.
        gap: the marker of the loss.
        buffer_size: the size of the buffer that overflowed, when the message should name it.

    Returns:
        ``SubscriptionOverflow`` for a full buffer, ``EventGap`` for a renewed subscription.
    """
    if gap.reason == "overflow":
        size = "" if buffer_size is None else f" (buffer size {buffer_size:,})"
        lost = "an unknown number of events" if gap.dropped is None else count(gap.dropped, "event")
        return SubscriptionOverflow(
            f"subscription to {path!r}: consumer fell behind, {lost} dropped{size}"
        )
    return EventGap(
        f"subscription to {path!r}: connection was lost and the subscription renewed; "
        "events in between are missing"
    )


class SubscriptionBase(Generic[T]):
    """A live subscription: an async context manager and an async iterator of events.

    Leaving the ``async with`` block unsubscribes (bounded by the call timeout,
    even when the block is left by cancellation; nothing is sent when the
    connection is gone).  ``initial`` is the server's answer to the subscribe
    request (current value and stamp), renewed after a reconnect.

    Events are queued in a bounded buffer (``buffer_size``).  While it is full,
    newer events are dropped and counted, and the consumer meets the loss where
    it happened: with ``gaps="raise"`` iteration raises ``SubscriptionOverflow``
    (or ``EventGap`` after a reconnect); with ``gaps="yield"`` a ``Gap`` marker is
    yielded instead.  After catching the exception you may iterate again: later
    events follow.  Iteration ends (``StopAsyncIteration``) once the block is
    left; it raises ``ConnectionLost`` when the connection is gone for good.

    Made by ``Client.subscribe()``, not by hand.

    Args:
        client: the client that subscribes and unsubscribes.
        state: the subscription's sans-I/O buffer and identity in the client's core.
        gaps: ``"raise"`` or ``"yield"``: how the consumer meets lost events.
    """

    def __init__(
        self, client: ClientBase[Any, Any], state: SubscriptionState,
        gaps: Literal["raise", "yield"],
    ) -> None:
        backend = client._backend
        if not isinstance(backend, WsState):
            raise TransportError("subscriptions need a WebSocket connection")
        self._client = client
        self._backend: WsState[Any, Any, Any] = backend
        self._state = state
        self._gaps = gaps
        #: where the consumer waits (the loop's parking lot)
        self._lot = backend.parking_lot(state)
        self._count = 0
        self._entered = False

    @property
    def path(self) -> str:
        """The datapoint watched (with ``max_depth``: the root of the subtree)."""
        return self._state.path

    @property
    def tag(self) -> Any:
        """The subscription's tag (carried by each of its events)."""
        return self._state.tag

    @property
    def initial(self) -> SubscribeResult | None:
        """The server's answer to the subscribe request; ``None`` until it came."""
        result: SubscribeResult | None = self._state.initial
        return result

    @property
    def pending(self) -> int:
        """Events queued and not yet consumed."""
        return len(self._state.buffer)

    def _release(self) -> None:
        """The subscription is over for its consumer: wake it a last time."""
        self._backend.release(self._state)

    async def __aenter__(self) -> SubscriptionBase[T]:
        if self._entered:
            raise DMSProtoError("a Subscription can be entered only once")
        self._entered = True
        try:
            await self._client._subscribe(self._state)
        except BaseException:
            self._release()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self._client._unsubscribe(self._state)
        finally:
            self._release()

    def __aiter__(self) -> SubscriptionBase[T]:
        return self

    async def __anext__(self) -> T:
        raise NotImplementedError

    def _gap(self, gap: Gap) -> T:
        """Yield or raise a gap marker, per the ``gaps`` policy."""
        if self._gaps == "yield":
            return gap  # type: ignore[return-value]
        raise gap_error(self._state.path, gap, self._state.maxlen)

    def receive_nowait(self) -> T | None:
        """Take what is queued without waiting: for a consumer that drains in bursts.

        Returns:
            The next event (or ``Gap``, with ``gaps="yield"``); ``None`` when
            nothing is queued.

        Raises:
            SubscriptionOverflow: with ``gaps="raise"``, where events were dropped.
            EventGap: with ``gaps="raise"``, where a reconnect may have lost events.
        """
        item = self._state.pop()
        if item is None or type(item) is Event:
            return item  # type: ignore[return-value]
        return self._gap(item)  # type: ignore[arg-type]


class ClientBase(Generic[SubE, SubG]):
    """A connection to one DMS: the calls, the same on every event loop.

    Safe for concurrent use by many tasks: each call awaits exactly its own
    response(s).  See the module docstring for the error conventions.

    Made by the loop's ``connect()``, not by hand.

    Args:
        backend: the loop's WebSocket or HTTP POST transport, already set up.
        proto: the connection's sans-I/O core.
        opts: the options ``connect()`` resolved.
    """

    #: the loop's exceptions for a cancelled task
    _cancelled: ClassVar[tuple[type[BaseException], ...]] = ()
    #: the loop's ``Subscription`` class
    _subscription_type: ClassVar[type[SubscriptionBase[Any]]]

    def __init__(self, backend: Any, proto: ClientCore, opts: Options):
        self._backend: Backend = backend
        self._proto = proto
        self._opts = opts

    # ------------------------------------------------------------------ state

    @property
    def url(self) -> str:
        """The server URL (without credentials)."""
        return self._opts.url

    @property
    def transport(self) -> Literal["ws", "http"]:
        """``"ws"`` (WebSocket: subscriptions too) or ``"http"`` (HTTP POST: calls only)."""
        return "ws" if self._backend.transport == "ws" else "http"

    @property
    def connected(self) -> bool:
        """Whether a connection is up right now (HTTP: until closed)."""
        return self._backend.link is not None

    @property
    def reconnects(self) -> int:
        """How many times the WebSocket was reconnected."""
        count: int = getattr(self._backend, "reconnects", 0)
        return count

    @property
    def protocol(self) -> str:
        """The protocol version this client speaks (``connect(protocol=...)``)."""
        return self._proto.version

    @property
    def core(self) -> ClientCore:
        """The sans-I/O core (advanced use)."""
        return self._proto

    @property
    def stats(self) -> ReceiveStats:
        """What became of every frame received: answers, events, and what was dropped."""
        return self._proto.stats

    # -------------------------------------------------------------- execution

    def _seconds(self, timeout: Timeout) -> float | None:
        """A call's ``timeout`` argument as seconds (``...``: the ``connect()`` default)."""
        return self._opts.timeout if timeout is ... else call_timeout(timeout)

    async def _execute(
        self, ops: Sequence[Op], timeout: Timeout, root_tag: Any = None
    ) -> list[Any]:
        """Send one call; one value (or ``ItemError``) per op, ``RequestTimeout`` in time."""
        raise NotImplementedError

    async def _take_back(self, op: Unsubscribe, path: str, seconds: float) -> None:
        """Send ``op`` even while the caller is cancelled; wait at most ``seconds``."""
        raise NotImplementedError

    async def _one(self, op: Op, timeout: Timeout) -> Any:
        (value,) = await self._execute([op], timeout)
        return unwrap(value)

    # --------------------------------------------------------------- commands

    async def get(
        self,
        path: str,
        *,
        ext_infos: Iterable[str] | None = None,
        tag: Any = None,
        timeout: Timeout = ...,
    ) -> Point:
        """Read one datapoint.

        Args:
            path: the datapoint.
            ext_infos: extra information to read with it (``Point.ext``): names out
                of the version's ``ExtInfoKey`` enumeration (1.4: state, accType,
                name, template, unit, comment, changelogGroup).
            tag: echoed in ``Point.tag``.
            timeout: seconds to wait for the answer (``None``: forever; ``...``: the
                ``connect()`` default).

        Returns:
            The datapoint's value, type and stamp.

        Raises:
            DMSError: the DMS refused the read (``NotFound``, ``NoPermission``).
            RequestTimeout: no answer within ``timeout``.
        """
        (value,) = await self._execute([Get(path, ext_infos, tag)], timeout)
        result: Point = unwrap(value)  # not through _one: the hottest call, one layer less
        return result

    async def get_many(
        self,
        paths: Iterable[str],
        *,
        ext_infos: Iterable[str] | None = None,
        timeout: Timeout = ...,
    ) -> list[Point | ItemError]:
        """Read many datapoints at once; a path the DMS refuses does not fail the others.

        More than ``chunk_size`` paths are sent as several requests and merged.

        Args:
            paths: the datapoints.
            ext_infos: extra information per point, as for ``get``.
            timeout: seconds, as for ``get``.

        Returns:
            One ``Point``, or ``ItemError`` where the DMS refused, per path, in order.

        Raises:
            RequestTimeout: no answer within ``timeout``.
        """
        paths = path_list(paths)
        if not paths:
            return []
        (values,) = await self._execute([GetMany(paths, ext_infos)], timeout)
        if isinstance(values, ItemError):  # a fatal error for the whole command
            return [values] * len(paths)
        result: list[Point | ItemError] = values
        return result

    async def query(
        self,
        path: str = "",
        *,
        ext_infos: Iterable[str] | None = None,
        tag: Any = None,
        timeout: Timeout = ...,
        **filters: Unpack[QueryFilter],
    ) -> list[Point]:
        """Search from ``path`` (``""`` = root): every matching datapoint.

        Args:
            path: where the search starts.
            ext_infos: extra information per point, as for ``get``.
            tag: echoed in each ``Point.tag``.
            timeout: seconds (``None``: forever; ``...``: the ``connect()`` default).
            **filters: the filters of :class:`~dmsproto.filters.QueryFilter`
                (``regex_path``, ``types``, ``max_depth``, ...), evaluated by the DMS.

        Returns:
            The matching datapoints.

        Raises:
            NotInVersionError: a filter the protocol version lacks (``has_changelog``
                before 1.4, ``has_prot_data`` after 1.3), before anything is sent.
            EncodeError: a bad filter value.
            TypeError: an unknown filter.
        """
        q = query_object(protocol=self._proto.wire, **filters)
        result: list[Point] = await self._one(Query(path, q, ext_infos, tag), timeout)
        return result

    async def set(
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
        """Write a value to a datapoint, or create one.

        Creating from an int without ``type`` makes an int datapoint: pass
        ``type="double"`` for a double.  ``value=None`` with ``create`` makes a node.

        Args:
            path: the datapoint.
            value: the value to store.
            type: the DMS type: a new datapoint's, else checked against the
                datapoint's (the DMS refuses a mismatch); ``None``: the value's own.
            create: make the datapoint when it does not exist (else ``NotFound``).
            stamp: the value's time, as for ``history``'s ``start``; ``None``: the
                DMS stamps it.
            tag: echoed in ``SetResult.tag``.
            timeout: seconds, as for ``get``.

        Returns:
            The datapoint as stored.

        Raises:
            DMSError: the DMS refused the write (``NotFound``, ``NoPermission``).
            EncodeError: a value or stamp that cannot be sent, before anything is sent.
            RequestTimeout: no answer within ``timeout``.
        """
        result: SetResult = await self._one(Set(path, value, type, create, stamp, tag), timeout)
        return result

    async def rename(
        self, path: str, new_path: str, *, tag: Any = None, timeout: Timeout = ...
    ) -> RenameResult:
        """Rename (move) a datapoint and its children.

        Args:
            path: the datapoint.
            new_path: its new path.
            tag: echoed in ``RenameResult.tag``.
            timeout: seconds, as for ``get``.

        Returns:
            The old and the new path.

        Raises:
            DMSError: the DMS refused (``NotFound``, ``NoPermission``).
            RequestTimeout: no answer within ``timeout``.
        """
        result: RenameResult = await self._one(Rename(path, new_path, tag), timeout)
        return result

    async def delete(
        self, path: str, *, recursive: bool = False, tag: Any = None, timeout: Timeout = ...
    ) -> DeleteResult:
        """Delete a datapoint.

        Args:
            path: the datapoint.
            recursive: also delete its children; without it the DMS refuses a
                datapoint that has any.
            tag: echoed in ``DeleteResult.tag``.
            timeout: seconds, as for ``get``.

        Returns:
            The deleted path.

        Raises:
            DMSError: the DMS refused (``NotFound``, ``NoPermission``).
            RequestTimeout: no answer within ``timeout``.
        """
        result: DeleteResult = await self._one(Delete(path, recursive, tag), timeout)
        return result

    @overload
    async def history(
        self,
        path: str,
        *,
        start: Stamp,
        end: Stamp | None = ...,
        interval: int | float | None = ...,
        format: Literal["compact"] = ...,
        tag: Any = ...,
        show_past: bool = ...,
        show_original: bool = ...,
        progress: ProgressCallback | None = ...,
        timeout: Timeout = ...,
    ) -> History: ...

    @overload
    async def history(
        self,
        path: str,
        *,
        start: Stamp,
        end: Stamp | None = ...,
        interval: int | float | None = ...,
        format: Literal["detail"],
        tag: Any = ...,
        show_past: bool = ...,
        show_original: bool = ...,
        progress: ProgressCallback | None = ...,
        timeout: Timeout = ...,
    ) -> HistoryDetail: ...

    async def history(
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
        """Recorded values from ``start`` to ``end`` (default: the DMS's now).

        A range longer than one answer of the DMS holds (610,000 entries) is read
        in several requests and joined, in order and without repeats at the seams
        (see :mod:`dmsproto.protocol.ranges`).  With a reconnect policy, a
        connection lost under one of them is waited out and that request sent
        again, so what was read is kept.

        Args:
            path: the datapoint.
            start: from: an aware ``datetime``, a ``timedelta`` from now
                (``timedelta(days=-1)``) or ISO 8601 text with a zone.
            end: to, the same kinds; ``None``: now.
            interval: whole seconds between values (the DMS's default 900; 0: every
                recorded value).
            format: ``"compact"``: a column-wise ``History``; ``"detail"``: a
                ``HistoryDetail`` list of entries with state and record reason.
            tag: echoed by the DMS.
            show_past: (protocol 1.5) also read the values changed or inserted in the
                past into ``.past``.
            show_original: (protocol 1.5) add ``value_original`` to modified detail
                entries (``mod``, ``stamp_modified`` come with them).
            progress: called with a ``RangeProgress`` after each answer.
            timeout: seconds for each request.

        Returns:
            ``History`` or ``HistoryDetail``.

        Raises:
            EncodeError: a time that is not one (e.g. the text ``"-1d"``) or ``end``
                before ``start``, before anything is sent.
            NotInVersionError: ``show_past``/``show_original`` before protocol 1.5.
            DMSError: the DMS refused the read (``NotFound``, ``NoPermission``).
            ConnectionLost: the connection was lost and the client does not
                reconnect, gave up, or lost it under the same request again after
                it was sent three more times.
        """
        now = datetime.now(UTC)
        first, last = time_range(start, end, now)
        grid = DEFAULT_INTERVAL if interval is None else interval
        ReadHistory(path, first, last, interval, format, tag, show_past, show_original).items(
            self._proto.wire
        )  # every argument checked before the first request
        walk = RangeWalk(
            first, last, now=now, cut=HISTORY_CUT,
            step=timedelta(seconds=grid) if grid else TICK,
            grid_window=GRID_WINDOW if grid else None,
        )

        def op(window: Window) -> ReadHistory:
            past = show_past and not window.continued
            return ReadHistory(path, window.start, window.request_end, interval, format, tag,
                               past, show_original)

        parts: Parts[Any] = DETAIL if format == "detail" else HISTORY
        result: History | HistoryDetail = await read_range(
            walk, op, lambda o: self._call(o, timeout), parts, progress, self._resume
        )
        return result

    async def changelog(
        self,
        path: str,
        *,
        start: Stamp,
        end: Stamp | None = None,
        tag: Any = None,
        progress: ProgressCallback | None = None,
        timeout: Timeout = ...,
    ) -> list[ChangelogEntry]:
        """The changelog of one datapoint between ``start`` and ``end``.

        A range longer than one answer holds (100,000 entries) is read in several
        requests and joined.

        Args:
            path: the datapoint.
            start: from, as for :meth:`history`.
            end: to, as for :meth:`history`; ``None``: now.
            tag: echoed by the DMS.
            progress: called with a ``RangeProgress`` after each answer.
            timeout: seconds for each request.

        Returns:
            The entries, newest first (alarm datapoints fill the alarm fields).

        Raises:
            NotInVersionError: before protocol 1.4, before anything is sent.
            EncodeError: a bad ``start``/``end``, before anything is sent.
            DMSError: the DMS refused the read (``NotFound``, ``NoPermission``).
        """
        return await self._read_log(
            lambda a, b: ReadChangelog(path, a, b, tag), start, end, LOG, progress, timeout
        )

    async def changelog_groups(self, *, timeout: Timeout = ...) -> list[str]:
        """Names of the changelog groups, to read with :meth:`changelog_read`.

        Args:
            timeout: seconds, as for ``get``.

        Returns:
            The group names.

        Raises:
            NotInVersionError: before protocol 1.4, before anything is sent.
            RequestTimeout: no answer within ``timeout``.
        """
        result: list[str] = await self._one(ChangelogGroups(), timeout)
        return result

    async def changelog_read(
        self,
        group: str,
        *,
        start: Stamp,
        end: Stamp | None = None,
        tag: Any = None,
        progress: ProgressCallback | None = None,
        timeout: Timeout = ...,
    ) -> ChangelogReadResult:
        """Entries of a changelog group between ``start`` and ``end``.

        A range longer than one answer holds (100,000 entries) is read in several
        requests and joined.

        Args:
            group: the group (one of :meth:`changelog_groups`).
            start: from, as for :meth:`history`.
            end: to, as for :meth:`history`; ``None``: now.
            tag: echoed in ``ChangelogReadResult.tag``.
            progress: called with a ``RangeProgress`` after each answer.
            timeout: seconds for each request.

        Returns:
            The group's entries.

        Raises:
            NotInVersionError: before protocol 1.4, before anything is sent.
            EncodeError: a bad ``start``/``end``, before anything is sent.
            DMSError: the DMS refused the read (``NotFound``, ``NoPermission``).
        """
        return await self._read_log(
            lambda a, b: ChangelogRead(group, a, b, tag), start, end, GROUP, progress, timeout
        )

    async def _read_log(
        self,
        make_op: Callable[[datetime, datetime | None], Op],
        start: Stamp,
        end: Stamp | None,
        parts: Parts[R],
        progress: ProgressCallback | None,
        timeout: Timeout,
    ) -> R:
        """Read a change log between ``start`` and ``end``, newest first, in windows.

        ``make_op(first, last)`` is the request of one window; the whole range's is
        built once first, so a bad argument fails before anything is sent.
        """
        now = datetime.now(UTC)
        first, last = time_range(start, end, now)
        make_op(first, last).items(self._proto.wire)
        walk = RangeWalk(first, last, now=now, cut=CHANGELOG_CUT, newest_first=True)
        return await read_range(
            walk, lambda w: make_op(w.start, w.request_end),
            lambda o: self._call(o, timeout), parts, progress, self._resume,
        )

    async def _resume(self, lost: ConnectionLost) -> None:
        """A long read lost its connection: wait for the reconnect, or raise ``lost``.

        Only a WebSocket client with a reconnect policy comes back by itself; the
        wait lasts as long as the policy keeps trying, and ends with its verdict
        (``ConnectionLost`` when it gives up or the client is closed).
        """
        if self._opts.reconnect is None or self.transport != "ws":
            raise lost
        await self._link_again()

    async def _link_again(self) -> None:
        """Wait until the WebSocket is connected again; raise what keeps it from coming."""
        raise NotImplementedError

    async def _call(self, op: Op, timeout: Timeout) -> Any:
        """One operation's value or ``ItemError`` (not raised)."""
        (value,) = await self._execute([op], timeout)
        return value

    async def batch(
        self, ops: Iterable[Op], *, tag: Any = None, timeout: Timeout = ...
    ) -> list[ItemResult]:
        """Send several operations in one request: one round trip, mixed commands.

        The server does not promise an order of processing between different
        commands of one request.

        Args:
            ops: operations from ``dmsproto.protocol`` (``Get``, ``Set``, ``Query``,
                ``ReadHistory``, ``Delete``, ...).
            tag: sent as the request's root tag, beside dmsproto's own correlation id.
            timeout: seconds, as for ``get``.

        Returns:
            One ``ItemResult`` per op, in order; an item the DMS refused is returned,
            not raised (``ItemResult.ok``, ``.unwrap()``).

        Raises:
            NotInVersionError: an op the protocol version lacks, before anything is sent.
            RequestTimeout: no answer within ``timeout``.
        """
        op_list = list(ops)
        if not op_list:
            return []
        values = await self._execute(op_list, timeout, root_tag=tag)
        out: list[ItemResult] = []
        for op, value in zip(op_list, values, strict=True):
            if isinstance(value, ItemError):
                out.append(ItemResult(op, None, value))
            else:
                out.append(ItemResult(op, value))
        return out

    # ---------------------------------------------------------- subscriptions

    @overload
    def subscribe(
        self,
        path: str,
        *,
        events: Iterable[str] | str | None = ...,
        tag: Any = ...,
        buffer_size: int | None = ...,
        gaps: Literal["raise"] = ...,
        **filters: Unpack[QueryFilter],
    ) -> SubE: ...

    @overload
    def subscribe(
        self,
        path: str,
        *,
        events: Iterable[str] | str | None = ...,
        tag: Any = ...,
        buffer_size: int | None = ...,
        gaps: Literal["yield"],
        **filters: Unpack[QueryFilter],
    ) -> SubG: ...

    def subscribe(
        self,
        path: str,
        *,
        events: Iterable[str] | str | None = None,
        tag: Any = None,
        buffer_size: int | None = None,
        gaps: Literal["raise", "yield"] = "raise",
        **filters: Unpack[QueryFilter],
    ) -> SubE | SubG:
        """Monitor ``path``: ``async with dms.subscribe(...) as sub: async for ev in sub``.

        Args:
            path: the datapoint (with ``max_depth``: the subtree) to watch.
            events: onChange (default), onSet, onCreate, onRename, onDelete or "*".
            tag: unique on the connection (generated when omitted).
            buffer_size: events buffered for the consumer (default: ``connect()``'s).
            gaps: ``"raise"``: lost events raise in iteration; ``"yield"``: a ``Gap``
                marker is yielded instead.
            **filters: the filters of :class:`~dmsproto.filters.QueryFilter`, as for
                ``query``; the DMS evaluates them per event.

        Returns:
            The ``Subscription`` (subscribed when its block is entered).

        Raises:
            TransportError: over HTTP (no server push), at once.
            NotInVersionError: a filter or event the protocol version lacks.
            EncodeError: a bad filter or event value.
            TypeError: an unknown filter.
        """
        if self.transport != "ws":
            raise TransportError(
                "subscriptions need a WebSocket connection (ws:// or wss://); "
                "HTTP POST has no server push"
            )
        if gaps not in ("raise", "yield"):
            raise ValueError("gaps must be 'raise' or 'yield'")
        wire = self._proto.wire
        q = query_object(protocol=wire, **filters)
        state = self._proto.add_subscription(
            path,
            event=event_spec(events, wire),
            query=None if is_empty(q) else q,
            tag=tag,
            maxlen=buffer_size or self._opts.buffer_size,
        )
        return cast("SubE | SubG", self._subscription_type(self, state, gaps))

    async def _subscribe(self, state: SubscriptionState) -> None:
        unanswered: tuple[type[BaseException], ...] = (RequestTimeout, *self._cancelled)
        try:
            (value,) = await self._execute([state.subscribe_op()], ...)
            state.initial = unwrap(value)
        except unanswered:
            # the server may have made it: take it back (bounded, despite the cancellation)
            await self._unsubscribe(state)
            raise
        except BaseException:
            self._proto.remove_subscription(state)
            if state.final is None:
                state.final = END
            raise

    async def _unsubscribe(self, state: SubscriptionState) -> None:
        was_active = state.active
        self._proto.remove_subscription(state)
        if state.final is None:
            state.final = END
        backend = self._backend
        if not was_active or backend.link is None or backend.closed:
            return
        seconds = self._opts.timeout if self._opts.timeout is not None else UNSUBSCRIBE_SECONDS
        await self._take_back(state.unsubscribe_op(), state.path, seconds)

    async def aclose(self) -> None:
        """Close the connection (``connect()`` does this on leaving its block)."""
        await self._backend.aclose()


__all__ = [
    "END",
    "Backend",
    "ClientBase",
    "SubscriptionBase",
    "Timeout",
    "core_for",
    "unwrap",
]
