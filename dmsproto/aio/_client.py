"""The asyncio client: ``connect()``, and the ``Client`` and ``Subscription`` on asyncio.

The calls (``get``, ``set``, ``query``, ``subscribe``, ...), their parameters,
results and exceptions are the trio client's own (``dmsproto.client._base``);
this module gives them asyncio's waiting: a timer per call, futures for a
subscription's consumer, and the supervisor task that ``connect()`` owns.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, ClassVar, TypeVar, Unpack

from ..client._base import ClientBase, SubscriptionBase, Timeout, core_for
from ..client._options import Options, make_options
from ..client._record import open_recorder
from ..errors import ConnectionLost, DMSProtoError
from ..options import ConnectOptions
from ..protocol.core import ClientCore
from ..protocol.ops import Op, Unsubscribe
from ..results import Event, Gap
from ._http import HttpBackend
from ._ws import ParkingLot, WsBackend

log = logging.getLogger("dmsproto")

T = TypeVar("T", bound=Event | Gap)

#: a consumer that never has to wait still lets other tasks run after this many events
_FAIR_EVERY = 64


class Subscription(SubscriptionBase[T]):
    """A live subscription on asyncio (the behaviour is :class:`SubscriptionBase`'s).

    A consumer waits on a future of the WebSocket transport.  An item is taken
    from the buffer only in a step that returns it, so a cancelled ``__anext__``
    never loses one.
    """

    _lot: ParkingLot

    async def __anext__(self) -> T:
        state = self._state
        while True:
            if self._count >= _FAIR_EVERY:
                self._count = 0
                await asyncio.sleep(0)  # before taking an item: a cancellation here loses none
            item = state.pop()
            if item is not None:
                if type(item) is Event:
                    self._count += 1
                    return item  # type: ignore[return-value]
                return self._gap(item)  # type: ignore[arg-type]
            final = state.final
            if final is not None:
                if isinstance(final, StopAsyncIteration):
                    raise StopAsyncIteration
                raise final
            self._count = 0
            await self._lot.park()


class Client(ClientBase[Subscription[Event], Subscription[Event | Gap]]):
    """A connection to one DMS over asyncio; make it with ``dmsproto.aio.connect()``.

    The same calls, parameters, results and exceptions as the trio client
    (``dmsproto.Client``); safe for concurrent use by many tasks.  Cancelling a
    call (``asyncio.timeout``, ``task.cancel()``) is always safe: its frames were
    written whole, and a late answer is dropped.

    Args:
        backend: the asyncio WebSocket or HTTP POST transport, not yet started.
        proto: the connection's sans-I/O core.
        opts: the options ``connect()`` resolved.
    """

    _cancelled: ClassVar[tuple[type[BaseException], ...]] = (asyncio.CancelledError,)
    _subscription_type = Subscription
    _backend: WsBackend | HttpBackend

    def __init__(self, backend: WsBackend | HttpBackend, proto: ClientCore, opts: Options) -> None:
        super().__init__(backend, proto, opts)
        #: unsubscribes still waiting for their answer after their caller was cancelled
        self._taking_back: set[asyncio.Task[None]] = set()

    async def _execute(
        self, ops: Sequence[Op], timeout: Timeout, root_tag: Any = None
    ) -> list[Any]:
        return await self._backend.execute(ops, root_tag, self._seconds(timeout))

    async def _link_again(self) -> None:
        assert isinstance(self._backend, WsBackend)
        await self._backend.wait_link(None)

    async def _take_back(self, op: Unsubscribe, path: str, seconds: float) -> None:
        """Write the unsubscribe now, in this step, and wait for its answer in a task.

        The task is the client's own, so a cancellation of the caller does not stop it.
        """
        backend = self._backend
        assert isinstance(backend, WsBackend)  # subscriptions exist only over WebSocket
        try:
            call, done = backend.begin([op])
        except (DMSProtoError, ConnectionLost) as exc:
            log.debug("unsubscribe %r: %s", path, exc)
            return

        async def answer() -> None:
            try:
                await backend.finish(call, done, seconds)
            except (DMSProtoError, ConnectionLost) as exc:
                log.debug("unsubscribe %r: %s", path, exc)

        task = asyncio.create_task(answer())
        self._taking_back.add(task)
        task.add_done_callback(self._taking_back.discard)
        await asyncio.shield(task)

    async def aclose(self) -> None:
        """Close the connection (``connect()`` does this on leaving its block)."""
        try:
            if self._taking_back:
                await asyncio.wait(list(self._taking_back))
        finally:
            await self._backend.aclose()


@asynccontextmanager
async def connect(
    url: str | None = None, /, **options: Unpack[ConnectOptions]
) -> AsyncIterator[Client]:
    """Connect to a DMS and yield an asyncio ``Client``; leaving the block closes it all.

    ``async with dmsproto.aio.connect("wss://dms:9021/json_data", cafile="dms.pem") as dms:``

    Args:
        url: the DMS's URL (also ``url=``): ``ws://``/``wss://`` (WebSocket: every
            command and subscriptions) or ``http://``/``https://`` (HTTP POST: no
            subscriptions); by default ``ConnectOptions``'s.
        **options: the options of :class:`~dmsproto.options.ConnectOptions`, the
            same as ``dmsproto.connect()`` takes.

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
        backend = (WsBackend if opts.websocket else HttpBackend)(opts, proto, recorder)
        client = Client(backend, proto, opts)
        try:
            await backend.start()
            yield client
        finally:
            await client.aclose()


__all__ = ["Client", "Subscription", "connect"]
