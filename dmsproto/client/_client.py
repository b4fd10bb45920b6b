"""The trio client: ``connect()`` and the ``Client`` with one method per DMS command.

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
"""

from __future__ import annotations

import logging
import os
import ssl
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from types import EllipsisType, TracebackType
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

import trio

from ..errors import (
    ConnectionLost,
    DMSProtoError,
    EventGap,
    RequestTimeout,
    SubscriptionOverflow,
    TransportError,
)
from ..excgroups import sole_exception
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
    Stamp,
    event_spec,
    is_empty,
    query_object,
)
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
from ..versions import DEFAULT_VERSION, Version
from ._http import HttpBackend
from ._options import Options, ReconnectPolicy, make_options
from ._record import open_recorder
from ._ws import WsBackend

if TYPE_CHECKING:
    from ..capture.recorder import Recorder

log = logging.getLogger("dmsproto")

T = TypeVar("T", bound=Event | Gap)
Timeout = float | None | EllipsisType

_END = StopAsyncIteration()
_FAIR_EVERY = 64
_INF = float("inf")


def _unwrap(value: Any) -> Any:
    if isinstance(value, ItemError):
        raise value.exception()
    return value


class Subscription(Generic[T]):
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
    """

    def __init__(
        self, client: Client, state: SubscriptionState, gaps: Literal["raise", "yield"]
    ) -> None:
        backend = client._backend
        if not isinstance(backend, WsBackend):
            raise TransportError("subscriptions need a WebSocket connection")
        self._client = client
        self._backend = backend
        self._state = state
        self._gaps = gaps
        self._lot = backend.parking_lot(state)
        self._count = 0
        self._entered = False

    @property
    def path(self) -> str:
        return self._state.path

    @property
    def tag(self) -> Any:
        """The subscription's tag (carried by each of its events)."""
        return self._state.tag

    @property
    def initial(self) -> SubscribeResult | None:
        result: SubscribeResult | None = self._state.initial
        return result

    @property
    def pending(self) -> int:
        """Events queued and not yet consumed."""
        return len(self._state.buffer)

    async def __aenter__(self) -> Subscription[T]:
        if self._entered:
            raise DMSProtoError("a Subscription can be entered only once")
        self._entered = True
        try:
            await self._client._subscribe(self._state)
        except BaseException:
            self._backend.release(self._state)
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
            self._backend.release(self._state)

    def __aiter__(self) -> Subscription[T]:
        return self

    async def __anext__(self) -> T:
        state = self._state
        while True:
            # Cancellation is honoured before an item is taken, never after: a cancelled
            # __anext__ must leave the item in the buffer, not lose it.
            await trio.lowlevel.checkpoint_if_cancelled()
            item = state.pop()
            if item is not None:
                if type(item) is Event:
                    self._count += 1
                    if not self._count % _FAIR_EVERY:
                        await trio.lowlevel.cancel_shielded_checkpoint()
                    return item  # type: ignore[return-value]
                await trio.lowlevel.cancel_shielded_checkpoint()
                return self._gap(item)  # type: ignore[arg-type]
            final = state.final
            if final is not None:
                await trio.lowlevel.checkpoint()
                if final is _END:
                    raise StopAsyncIteration
                raise final
            await self._lot.park()

    def _gap(self, gap: Gap) -> T:
        """Yield or raise a gap marker, per the ``gaps`` policy."""
        if self._gaps == "yield":
            return gap  # type: ignore[return-value]
        state = self._state
        if gap.reason == "overflow":
            raise SubscriptionOverflow(
                f"subscription to {state.path!r}: consumer fell behind, "
                f"{gap.dropped} events dropped (buffer size {state.maxlen})"
            )
        raise EventGap(
            f"subscription to {state.path!r}: connection was lost and the "
            "subscription renewed; events in between are missing"
        )

    def receive_nowait(self) -> T | None:
        """The next queued event without waiting; ``None`` when nothing is queued.

        Gaps follow the ``gaps`` policy, as in iteration.
        """
        item = self._state.pop()
        if item is None or type(item) is Event:
            return item  # type: ignore[return-value]
        return self._gap(item)  # type: ignore[arg-type]


class Client:
    """A connection to one DMS; make it with ``dmsproto.connect()``.

    Safe for concurrent use by many tasks: each call awaits exactly its own
    response(s).  See the module docstring for the error conventions.
    """

    def __init__(self, backend: WsBackend | HttpBackend, proto: ClientCore, opts: Options):
        self._backend = backend
        self._proto = proto
        self._opts = opts

    # ------------------------------------------------------------------ state

    @property
    def url(self) -> str:
        """The server URL (without credentials)."""
        return self._opts.url

    @property
    def transport(self) -> Literal["ws", "http"]:
        return "ws" if isinstance(self._backend, WsBackend) else "http"

    @property
    def connected(self) -> bool:
        """Whether a connection is up right now (HTTP: until closed)."""
        return self._backend.link is not None

    @property
    def reconnects(self) -> int:
        """How many times the WebSocket was reconnected."""
        return self._backend.reconnects if isinstance(self._backend, WsBackend) else 0

    @property
    def protocol(self) -> str:
        """The protocol version this client speaks (``connect(protocol=...)``)."""
        return self._proto.version

    @property
    def core(self) -> ClientCore:
        """The sans-I/O core (counters such as ``dropped_responses``; advanced use)."""
        return self._proto

    # -------------------------------------------------------------- execution

    async def _execute(
        self, ops: Sequence[Op], timeout: Timeout, root_tag: Any = None
    ) -> list[Any]:
        seconds = self._opts.timeout if timeout is ... else timeout
        backend = self._backend
        if seconds is None:
            return await backend.execute(ops, root_tag, _INF)
        deadline = trio.current_time() + seconds
        if isinstance(backend, WsBackend):
            # bounds the call itself, in the one cancel scope it needs anyway
            return await backend.execute(ops, root_tag, deadline, seconds)
        with trio.move_on_at(deadline):
            return await backend.execute(ops, root_tag, deadline)
        raise RequestTimeout(f"no response from {self._opts.url} within {seconds} s")

    async def _one(self, op: Op, timeout: Timeout) -> Any:
        (value,) = await self._execute([op], timeout)
        return _unwrap(value)

    # --------------------------------------------------------------- commands

    async def get(
        self,
        path: str,
        *,
        ext_infos: Iterable[str] | None = None,
        tag: Any = None,
        timeout: Timeout = ...,
    ) -> Point:
        """Read one datapoint; raises ``NotFound``/``NoPermission``/``DMSError``.

        ``ext_infos``: names out of the version's ``ExtInfoKey`` enumeration
        (1.4: state, accType, name, template, unit, comment, changelogGroup).
        ``tag`` is echoed in ``Point.tag``.
        """
        (value,) = await self._execute([Get(path, ext_infos, tag)], timeout)
        result: Point = _unwrap(value)  # not through _one: the hottest call, one layer less
        return result

    async def get_many(
        self,
        paths: Iterable[str],
        *,
        ext_infos: Iterable[str] | None = None,
        timeout: Timeout = ...,
    ) -> list[Point | ItemError]:
        """Read many datapoints; one ``Point`` or ``ItemError`` per path, in order (no raise).

        More than ``chunk_size`` paths are sent as several requests and merged.
        """
        paths = tuple(paths)
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
        regex_path: str | None = None,
        regex_value: str | None = None,
        regex_stamp: str | None = None,
        types: Iterable[str] | str | None = None,
        has_hist_data: bool | None = None,
        has_changelog: bool | None = None,
        has_prot_data: bool | None = None,
        has_alarm_data: bool | None = None,
        max_depth: int | None = None,
        ext_infos: Iterable[str] | None = None,
        tag: Any = None,
        timeout: Timeout = ...,
    ) -> list[Point]:
        """Search from ``path`` (``""`` = root): every matching datapoint.

        ``max_depth``: 1 = the given level (server default), 0 = unlimited.
        ``types``: subset of none, bool, int, double, string.  Regexes are PCRE.
        ``has_changelog`` (protocol >= 1.4) is called ``has_prot_data`` in 1.3;
        the one the version lacks raises ``NotInVersionError``.
        """
        q = query_object(
            regex_path=regex_path,
            regex_value=regex_value,
            regex_stamp=regex_stamp,
            types=types,
            has_hist_data=has_hist_data,
            has_changelog=has_changelog,
            has_prot_data=has_prot_data,
            has_alarm_data=has_alarm_data,
            max_depth=max_depth,
            protocol=self._proto.wire,
        )
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
        """Write a value (``create`` makes a missing datapoint; ``type`` checks/chooses type).

        Creating from an int without ``type`` makes an int datapoint: pass
        ``type="double"`` for a double.  ``value=None`` with ``create`` makes a node.
        """
        result: SetResult = await self._one(Set(path, value, type, create, stamp, tag), timeout)
        return result

    async def rename(
        self, path: str, new_path: str, *, tag: Any = None, timeout: Timeout = ...
    ) -> RenameResult:
        """Rename (move) a datapoint and its children."""
        result: RenameResult = await self._one(Rename(path, new_path, tag), timeout)
        return result

    async def delete(
        self, path: str, *, recursive: bool = False, tag: Any = None, timeout: Timeout = ...
    ) -> DeleteResult:
        """Delete a datapoint; one with children needs ``recursive=True``."""
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
        timeout: Timeout = ...,
    ) -> History | HistoryDetail:
        """Recorded values from ``start`` to ``end`` (default now).

        ``interval`` whole seconds (server default 900; 0 = every recorded value).
        ``format="compact"`` gives a column-wise ``History``; ``"detail"`` gives
        a ``HistoryDetail`` list of entries with state and record reason.
        Protocol 1.5 only (``NotInVersionError`` before): ``show_past`` also
        reads the values changed or inserted in the past into ``.past``;
        ``show_original`` adds ``value_original`` to modified detail entries
        (``mod``, ``stamp_modified`` come with them).
        """
        op = ReadHistory(path, start, end, interval, format, tag, show_past, show_original)
        result: History | HistoryDetail = await self._one(op, timeout)
        return result

    async def changelog(
        self,
        path: str,
        *,
        start: Stamp,
        end: Stamp | None = None,
        tag: Any = None,
        timeout: Timeout = ...,
    ) -> list[ChangelogEntry]:
        """The changelog of one datapoint (alarm datapoints fill the alarm fields).

        Protocol >= 1.4: under 1.3 it raises ``NotInVersionError`` before sending
        (as do ``changelog_groups`` and ``changelog_read``).
        """
        result: list[ChangelogEntry] = await self._one(
            ReadChangelog(path, start, end, tag), timeout
        )
        return result

    async def changelog_groups(self, *, timeout: Timeout = ...) -> list[str]:
        """Names of the changelog groups."""
        result: list[str] = await self._one(ChangelogGroups(), timeout)
        return result

    async def changelog_read(
        self,
        group: str,
        *,
        start: Stamp,
        end: Stamp | None = None,
        tag: Any = None,
        timeout: Timeout = ...,
    ) -> ChangelogReadResult:
        """Entries of a changelog group between ``start`` and ``end`` (default now)."""
        result: ChangelogReadResult = await self._one(
            ChangelogRead(group, start, end, tag), timeout
        )
        return result

    async def batch(
        self, ops: Iterable[Op], *, tag: Any = None, timeout: Timeout = ...
    ) -> list[ItemResult]:
        """Send several operations in one request; one ``ItemResult`` per op, in order.

        Ops come from ``dmsproto.protocol`` (``Get``, ``Set``, ``Query``,
        ``ReadHistory``, ``Delete``, ...).  Item errors are returned, not raised
        (``ItemResult.ok`` / ``.unwrap()``).  ``tag`` is sent as the root tag beside
        our own correlation id.  The server does not promise an order of processing
        between different commands of one request.
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
        regex_path: str | None = ...,
        regex_value: str | None = ...,
        regex_stamp: str | None = ...,
        types: Iterable[str] | str | None = ...,
        has_hist_data: bool | None = ...,
        has_changelog: bool | None = ...,
        has_prot_data: bool | None = ...,
        has_alarm_data: bool | None = ...,
        max_depth: int | None = ...,
        tag: Any = ...,
        buffer_size: int | None = ...,
        gaps: Literal["raise"] = ...,
    ) -> Subscription[Event]: ...

    @overload
    def subscribe(
        self,
        path: str,
        *,
        events: Iterable[str] | str | None = ...,
        regex_path: str | None = ...,
        regex_value: str | None = ...,
        regex_stamp: str | None = ...,
        types: Iterable[str] | str | None = ...,
        has_hist_data: bool | None = ...,
        has_changelog: bool | None = ...,
        has_prot_data: bool | None = ...,
        has_alarm_data: bool | None = ...,
        max_depth: int | None = ...,
        tag: Any = ...,
        buffer_size: int | None = ...,
        gaps: Literal["yield"],
    ) -> Subscription[Event | Gap]: ...

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
        has_prot_data: bool | None = None,
        has_alarm_data: bool | None = None,
        max_depth: int | None = None,
        tag: Any = None,
        buffer_size: int | None = None,
        gaps: Literal["raise", "yield"] = "raise",
    ) -> Subscription[Event] | Subscription[Event | Gap]:
        """Monitor ``path``: ``async with dms.subscribe(...) as sub: async for ev in sub``.

        ``events``: onChange (default), onSet, onCreate, onRename, onDelete or "*".
        Query parameters (as for ``query``) are evaluated by the server per event.
        ``tag`` must be unique on the connection (generated when omitted).
        WebSocket only: over HTTP this raises ``TransportError`` at once.
        """
        if not isinstance(self._backend, WsBackend):
            raise TransportError(
                "subscriptions need a WebSocket connection (ws:// or wss://); "
                "HTTP POST has no server push"
            )
        if gaps not in ("raise", "yield"):
            raise ValueError("gaps must be 'raise' or 'yield'")
        wire = self._proto.wire
        q = query_object(
            regex_path=regex_path,
            regex_value=regex_value,
            regex_stamp=regex_stamp,
            types=types,
            has_hist_data=has_hist_data,
            has_changelog=has_changelog,
            has_prot_data=has_prot_data,
            has_alarm_data=has_alarm_data,
            max_depth=max_depth,
            protocol=wire,
        )
        state = self._proto.add_subscription(
            path,
            event=event_spec(events, wire),
            query=None if is_empty(q) else q,
            tag=tag,
            maxlen=buffer_size or self._opts.buffer_size,
        )
        return Subscription(self, state, gaps)

    async def _subscribe(self, state: SubscriptionState) -> None:
        try:
            (value,) = await self._execute([state.subscribe_op()], ...)
            state.initial = _unwrap(value)
        except (trio.Cancelled, RequestTimeout):
            # the server may have made it: take it back (shielded, bounded)
            await self._unsubscribe(state)
            raise
        except BaseException:
            self._proto.remove_subscription(state)
            if state.final is None:
                state.final = _END
            raise

    async def _unsubscribe(self, state: SubscriptionState) -> None:
        was_active = state.active
        self._proto.remove_subscription(state)
        if state.final is None:
            state.final = _END
        if not was_active or self._backend.link is None or self._backend.closed:
            return
        seconds = self._opts.timeout if self._opts.timeout is not None else 10.0
        with trio.CancelScope(shield=True):
            with trio.move_on_after(seconds):
                try:
                    await self._execute([state.unsubscribe_op()], None)
                except (DMSProtoError, ConnectionLost) as exc:
                    log.debug("unsubscribe %r: %s", state.path, exc)

    async def aclose(self) -> None:
        """Close the connection (``connect()`` does this on leaving its block)."""
        await self._backend.aclose()


@asynccontextmanager
async def connect(
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
) -> AsyncIterator[Client]:
    """Connect to a DMS and yield a ``Client``; everything is closed on leaving the block.

    ``url``: ``ws://`` / ``wss://`` (WebSocket: all commands and subscriptions) or
    ``http://`` / ``https://`` (HTTP POST: no subscriptions).  Port defaults to the
    DMS's 9020 (plain) / 9021 (TLS); path to ``/json_data``.

    ``whois`` names this program (the ``trigger`` of the events our writes cause);
    ``user`` is sent as the logged-in person and, with ``password``, as Basic auth
    (refused over plain ws/http unless ``allow_insecure_auth``).  TLS: ``cafile``
    to trust the DMS's self-signed certificate (or a full ``ssl_context``),
    ``certfile``/``keyfile`` for a client certificate.

    ``timeout`` is the default per-call timeout; ``connect_timeout`` bounds the
    TCP, TLS and WebSocket handshakes (a TLS failure raises ``TLSError``, refused
    credentials ``AuthenticationError``, anything else ``ConnectError``).
    ``ping_interval``/``ping_timeout``: keepalive; no pong in time means a dead
    peer and the connection is treated as lost.  ``reconnect=True`` (or a
    ``ReconnectPolicy``) reconnects with exponential backoff and jitter and
    renews every subscription, each of which then reports the gap.
    ``buffer_size`` is the default per-subscription event buffer; requests
    with more than ``chunk_size`` items are split.

    ``protocol`` ("1.3", "1.4", "1.5") selects the generated types requests are
    built from and answers decoded into; what a version lacks raises
    ``NotInVersionError`` before anything is sent.  ``validate_requests``
    also checks every request frame with ``dmsproto.validate`` (``EncodeError``
    listing the violations; off by default, as the types already keep requests
    well-formed).  ``record`` writes every frame sent and received to a JSON
    Lines capture (a path, truncated first, or an open ``Recorder`` you close
    yourself); ``dmsproto validate`` checks such a file.
    """
    opts = make_options(
        url,
        whois=whois,
        user=user,
        password=password,
        ssl_context=ssl_context,
        cafile=cafile,
        certfile=certfile,
        keyfile=keyfile,
        check_hostname=check_hostname,
        allow_insecure_auth=allow_insecure_auth,
        timeout=timeout,
        connect_timeout=connect_timeout,
        close_timeout=close_timeout,
        ping_interval=ping_interval,
        ping_timeout=ping_timeout,
        reconnect=reconnect,
        buffer_size=buffer_size,
        chunk_size=chunk_size,
        max_message_size=max_message_size,
    )
    proto = ClientCore(
        whois=whois,
        user=user,
        chunk_size=chunk_size,
        protocol=protocol,
        validate_requests=validate_requests,
    )
    with open_recorder(record) as recorder:
        if not opts.websocket:
            http = HttpBackend(opts, proto, recorder)
            try:
                await http.check()
                yield Client(http, proto, opts)
            finally:
                await http.aclose()
            return
        async with _ws_client(opts, proto, recorder) as client:
            yield client


@asynccontextmanager
async def _ws_client(
    opts: Options, proto: ClientCore, recorder: Recorder | None
) -> AsyncIterator[Client]:
    """The WebSocket client: its supervisor runs in a nursery owned by this block."""
    backend = WsBackend(opts, proto, recorder)
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(backend.run)
            try:
                yield Client(backend, proto, opts)
            finally:
                await backend.aclose()
                nursery.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        single = sole_exception(group)
        if single is None:
            raise
        context = single.__context__
        try:
            raise single
        finally:
            single.__context__ = context
            del single, context


__all__ = ["Client", "Subscription", "connect"]
