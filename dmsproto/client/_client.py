"""The trio client: ``connect()``, and the ``Client`` and ``Subscription`` on trio.

The calls themselves (``get``, ``set``, ``query``, ``subscribe``, ...) and their
error conventions are shared with the asyncio client (``dmsproto.client._base``);
this module gives them trio's waiting: deadlines and cancel scopes for calls, a
parking lot for a subscription's consumer, and the nursery that owns the
WebSocket supervisor.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, ClassVar, TypeVar, Unpack

import trio

from ..errors import ConnectionLost, DMSProtoError, RequestTimeout
from ..excgroups import sole_exception
from ..options import ConnectOptions
from ..protocol.core import ClientCore
from ..protocol.ops import Op, Unsubscribe
from ..recorder import Recorder
from ..results import Event, Gap
from ._base import ClientBase, SubscriptionBase, Timeout, core_for
from ._http import HttpBackend
from ._options import Options, make_options
from ._record import open_recorder
from ._ws import WsBackend

log = logging.getLogger("dmsproto")

T = TypeVar("T", bound=Event | Gap)

_FAIR_EVERY = 64
_INF = float("inf")


class Subscription(SubscriptionBase[T]):
    """A live subscription on trio (the behaviour is :class:`SubscriptionBase`'s).

    A consumer waits in a parking lot of the WebSocket transport; a ``__anext__``
    cancelled before it takes an item leaves that item in the buffer.
    """

    _lot: trio.lowlevel.ParkingLot

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
                if isinstance(final, StopAsyncIteration):
                    raise StopAsyncIteration
                raise final
            await self._lot.park()


class Client(ClientBase[Subscription[Event], Subscription[Event | Gap]]):
    """A connection to one DMS over trio; make it with ``dmsproto.connect()``.

    Safe for concurrent use by many tasks: each call awaits exactly its own
    response(s).  Single-item calls raise ``NotFound``/``NoPermission``/``DMSError``;
    bulk calls (``get_many``, ``batch``) return one result per item instead.
    """

    _cancelled: ClassVar[tuple[type[BaseException], ...]] = (trio.Cancelled,)
    _subscription_type = Subscription
    _backend: WsBackend | HttpBackend

    async def _execute(
        self, ops: Sequence[Op], timeout: Timeout, root_tag: Any = None
    ) -> list[Any]:
        seconds = self._seconds(timeout)
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

    async def _link_again(self) -> None:
        assert isinstance(self._backend, WsBackend)
        await self._backend.wait_link()

    async def _take_back(self, op: Unsubscribe, path: str, seconds: float) -> None:
        with trio.CancelScope(shield=True):
            with trio.move_on_after(seconds):
                try:
                    await self._execute([op], None)
                except (DMSProtoError, ConnectionLost) as exc:
                    log.debug("unsubscribe %r: %s", path, exc)


@asynccontextmanager
async def connect(
    url: str | None = None, /, **options: Unpack[ConnectOptions]
) -> AsyncIterator[Client]:
    """Connect to a DMS and yield a ``Client``; everything is closed on leaving the block.

    ``async with dmsproto.connect("wss://dms:9021/json_data", cafile="dms.pem") as dms:``

    Args:
        url: the DMS's URL (also ``url=``): ``ws://``/``wss://`` (WebSocket: every
            command and subscriptions) or ``http://``/``https://`` (HTTP POST: no
            subscriptions); by default ``ConnectOptions``'s.
        **options: the options of :class:`~dmsproto.options.ConnectOptions`, each
            described there: ``whois``, ``user``/``password``, the TLS files,
            ``timeout`` and the other timeouts, ``reconnect``, ``protocol``,
            ``record``, ...

    Yields:
        The connected ``Client``.

    Raises:
        TLSError: the TLS handshake failed.
        AuthenticationError: the DMS refused the credentials.
        ConnectError: a bad URL or option value, or no connection.
        TypeError: an unknown option.
    """
    opts = make_options(url, options)
    proto = core_for(opts)
    with open_recorder(opts.record, truncate=opts.record_truncate) as recorder:
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
