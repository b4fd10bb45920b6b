"""WebSocket transport: one supervisor task owns the connection, its reader and pinger.

The supervisor runs in the nursery of ``connect()``.  Each connection ("link")
gets its own nursery holding trio-websocket's task, our reader and the
keepalive pinger.  When the link dies, pending calls fail at once with
``ConnectionLost`` (or the ``ProtocolError`` that killed it); with a reconnect
policy the supervisor backs off, reconnects, renews every live subscription
in one request and puts a ``Gap("reconnect")`` into each subscription's stream.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import trio
from trio_websocket import ConnectionClosed, ConnectionRejected, wrap_client_stream

from ..errors import (
    AuthenticationError,
    ConnectError,
    ConnectionLost,
    DMSProtoError,
    RequestTimeout,
    TLSError,
)
from ..excgroups import sole_exception
from ..protocol.core import (
    BadFrame,
    Call,
    CallDone,
    ClientCore,
    SubscriptionData,
    SubscriptionState,
)
from ..protocol.ops import Op
from ..recorder import Recorder
from ._net import WatchedStream, open_stream, tls_error_from
from ._options import Options
from ._wsbase import WsState

log = logging.getLogger("dmsproto")

TRUNCATE = 300


def trunc(frame: str | bytes) -> str:
    """A frame shortened for debug logs."""
    text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
    if len(text) <= TRUNCATE:
        return text
    return f"{text[:TRUNCATE]}... ({len(text)} chars)"


class Link:
    """One open WebSocket connection."""

    def __init__(self, ws: Any, stream: trio.abc.Stream) -> None:
        self.ws = ws
        self.stream = stream
        #: writes every frame sent and received (``connect(record=...)``)
        self.recorder: Recorder | None = None
        #: why the link died, when we killed it ourselves
        self.error: BaseException | None = None
        self.pinger_scope = trio.CancelScope()

    async def send(self, text: str, deadline: float) -> None:
        """Send one frame; never abandoned half-way by an outer cancellation.

        A frame cut off mid-write would corrupt the stream, so the write is
        shielded; only the call's own deadline can cut it, and then the link is
        closed (its state is unknown) and ``RequestTimeout`` raised.
        """
        if self.recorder is not None:
            # recorded before the write: the answer may be read while it is under way
            self.recorder.record("send", text)
        with trio.CancelScope(shield=True, deadline=deadline) as scope:
            try:
                await self.ws.send_message(text)
            except ConnectionClosed:
                raise ConnectionLost("connection to the DMS lost while sending") from None
        if scope.cancelled_caught:
            self.error = ConnectionLost("a send timed out half-way; connection closed")
            await self.abort()
            raise RequestTimeout("request could not be sent in time")

    async def abort(self) -> None:
        """Close the stream at once; the reader sees the loss and cleans up."""
        await trio.aclose_forcefully(self.stream)


async def open_link(nursery: trio.Nursery, opts: Options) -> Link:
    """TCP/TLS then the WebSocket handshake, failing fast with typed errors.

    trio-websocket's task runs in ``nursery``; a rejected handshake makes that
    task raise ``ConnectionRejected`` into ``nursery`` (the caller converts it).
    """
    where = f"{opts.host}:{opts.port}"
    stream = await open_stream(opts)
    watched = WatchedStream(stream)
    headers = [(b"Authorization", opts.authorization)] if opts.authorization else None
    ws: Any = None
    try:
        async with trio.open_nursery() as race:

            async def watch() -> None:
                await watched.broken.wait()
                race.cancel_scope.cancel()

            race.start_soon(watch)
            ws = await wrap_client_stream(
                nursery,
                watched,  # type: ignore[arg-type]
                opts.host_header,
                opts.path,
                extra_headers=headers,
                message_queue_size=16,
                max_message_size=opts.max_message_size,
                receive_buffer_size=65536,
            )
            race.cancel_scope.cancel()
    except BaseException:
        await trio.aclose_forcefully(stream)
        raise
    if ws is None:
        await trio.aclose_forcefully(stream)
        exc = watched.error
        tls = tls_error_from(exc, where) if exc is not None else None
        if tls is not None:
            raise tls from exc
        if opts.tls and exc is None:
            raise TLSError(
                f"{where} closed the TLS connection during the WebSocket handshake "
                "(client certificate refused?)"
            )
        raise ConnectError(f"{where} closed the connection during the WebSocket handshake")
    return Link(ws, stream)


def rejected_error(exc: ConnectionRejected, opts: Options) -> ConnectError:
    status = exc.status_code
    body = (exc.body or b"")[:200].decode("utf-8", "replace").strip()
    detail = f"HTTP {status}" + (f": {body}" if body else "")
    if status in (401, 403):
        return AuthenticationError(f"{opts.url} refused the credentials ({detail})")
    return ConnectError(f"{opts.url} rejected the WebSocket upgrade ({detail})")


def session_error(group: BaseExceptionGroup[BaseException], opts: Options) -> BaseException:
    """The one meaningful exception inside a link nursery's group (else the group)."""
    rejected = group.subgroup(ConnectionRejected)
    if rejected is not None:
        first: BaseException = rejected
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        assert isinstance(first, ConnectionRejected)
        return rejected_error(first, opts)
    return sole_exception(group) or group


class WsBackend(WsState[trio.Event, trio.lowlevel.ParkingLot, Link]):
    """Calls and subscriptions over a (re)connecting WebSocket.

    The waiting side of the core's work lives here: a ``trio.Event`` per call
    in flight (set on ``CallDone`` or when the call fails) and a ``ParkingLot``
    per subscription with a consumer (unparked on ``SubscriptionData`` and when
    the subscription ends).
    """

    up: trio.Event

    def __init__(
        self, opts: Options, proto: ClientCore, recorder: Recorder | None = None
    ) -> None:
        super().__init__(opts, proto, recorder)
        self._started = False

    def _make_up(self) -> trio.Event:
        return trio.Event()

    def _make_lot(self) -> trio.lowlevel.ParkingLot:
        return trio.lowlevel.ParkingLot()

    def _set(self, done: trio.Event) -> None:
        done.set()

    # ------------------------------------------------------------ supervisor

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Connect, serve, and (by policy) reconnect until closed or given up."""
        attempt = 0
        while True:
            try:
                await self._session(task_status)
                attempt = 0
            except ConnectError as exc:
                if not self._started:
                    raise
                log.warning("reconnect to %s failed: %s", self.opts.url, exc)
                last: BaseException = exc
            else:
                last = ConnectionLost(f"connection to {self.opts.url} lost")
            attempt += 1
            delay = self._retry_delay(attempt, last)
            if delay is None:
                return
            await trio.sleep(delay)
            if self._closed_meanwhile():
                return

    async def _session(self, task_status: trio.TaskStatus[None]) -> None:
        opts = self.opts
        link: Link | None = None
        try:
            async with trio.open_nursery() as nursery:
                with trio.move_on_after(opts.connect_timeout):
                    link = await open_link(nursery, opts)
                if link is None:
                    raise ConnectError(
                        f"no WebSocket connection to {opts.url} within {opts.connect_timeout} s"
                    )
                log.info("connected to %s", opts.url)
                link.recorder = self.recorder
                self.link = link
                renew = [s for s in self.proto.subscriptions if s.active]
                # renewals go out before any new call, so later answers follow theirs
                renewal = await self._send_renewal(link, renew) if renew else None
                self.up.set()
                if not self._started:
                    self._started = True
                    task_status.started()
                else:
                    self.reconnects += 1
                if renewal is not None:
                    nursery.start_soon(self._finish_renewal, renewal, renew)
                if opts.ping_interval is not None:
                    nursery.start_soon(self._pinger, link)
                await self._read_loop(link)
                link.pinger_scope.cancel()
                if not self.closed:
                    nursery.cancel_scope.cancel()
                # when closing, trio-websocket's task finishes the close handshake;
                # aclose() bounds that by close_timeout and then closes the stream
        except BaseExceptionGroup as group:
            err = session_error(group, opts)
            if err is group:
                raise
            raise err from None
        except ConnectionRejected as exc:  # pragma: no cover - arrives as a group
            raise rejected_error(exc, opts) from None
        finally:
            if link is not None:
                self._lost(link)

    async def _send_renewal(
        self, link: Link, subs: Sequence[SubscriptionState]
    ) -> tuple[Call, trio.Event] | None:
        """Subscribe again after a reconnect (the server forgot): one request for all."""
        call = self.proto.start_call([s.subscribe_op() for s in subs])
        done = self._waiters[call] = trio.Event()
        deadline = trio.current_time() + (self.opts.timeout or 60.0)
        try:
            for frame in call.frames:
                await link.send(frame.decode(), deadline)
        except DMSProtoError as exc:
            self._abandon(call)
            log.warning("renewing %d subscriptions failed: %s", len(subs), exc)
            return None
        return call, done

    async def _finish_renewal(
        self, renewal: tuple[Call, trio.Event], subs: Sequence[SubscriptionState]
    ) -> None:
        call, done = renewal
        with trio.move_on_after(self.opts.timeout or 60.0):
            await done.wait()
        try:
            if not call.done:
                raise RequestTimeout("no answer to the renewed subscriptions")
            results = call.results()
        except DMSProtoError as exc:
            self._abandon(call)
            log.warning("renewing %d subscriptions failed: %s", len(subs), exc)
            return
        self._renewed(subs, results)

    async def _pinger(self, link: Link) -> None:
        with link.pinger_scope:
            await self._ping_forever(link)

    async def _ping_forever(self, link: Link) -> None:
        assert self.opts.ping_interval is not None
        while True:
            await trio.sleep(self.opts.ping_interval)
            with trio.move_on_after(self.opts.ping_timeout) as cs:
                try:
                    await link.ws.ping()
                except ConnectionClosed:
                    return
            if cs.cancelled_caught:
                link.error = ConnectionLost(
                    f"no pong from {self.opts.url} within {self.opts.ping_timeout} s (dead peer)"
                )
                await link.abort()
                return

    async def _read_loop(self, link: Link) -> None:
        """The dedicated reader: every frame goes through the core, then wakes waiters."""
        receive = self.proto.receive
        get = link.ws.get_message
        debug = log.isEnabledFor(logging.DEBUG)
        recorder = self.recorder
        lots = self._lots
        waiters = self._waiters
        try:
            while True:
                message = await get()
                if recorder is not None:
                    recorder.record("recv", message)
                if debug:
                    log.debug("recv %s", trunc(message))
                for ev in receive(message):
                    # bare class patterns: sub-patterns would cost a __match_args__ lookup
                    match ev:
                        case SubscriptionData():
                            lot = lots.get(ev.subscription)
                            if lot is not None:
                                lot.unpark_all()
                        case CallDone():
                            done = waiters.pop(ev.call, None)
                            if done is not None:
                                done.set()
                        case BadFrame():
                            if ev.fatal:
                                log.error(
                                    "protocol violation from %s: %s", self.opts.url, ev.error
                                )
                                link.error = ev.error
                                await link.abort()
                                return
                            log.warning("ignored from %s: %s", self.opts.url, ev.error)
        except ConnectionClosed as exc:
            reason = exc.reason
            if link.error is None and reason is not None and reason.code not in (1000, 1006):
                link.error = ConnectionLost(
                    f"{self.opts.url} closed the connection: {reason.code} {reason.reason or ''}"
                )

    # ----------------------------------------------------------------- calls

    async def wait_link(self) -> Link:
        while (link := self._usable()) is None:
            await self.up.wait()
        return link

    async def execute(
        self, ops: Sequence[Op], root_tag: Any, deadline: float, seconds: float | None = None
    ) -> list[Any]:
        """Send one call and wait for its answer; ``RequestTimeout`` at ``deadline``.

        One cancel scope bounds the whole call.  It is shielded while the frames
        are written (a frame cut off mid-write would corrupt the stream), so an
        outer cancellation waits for the write; only the call's own deadline can
        cut a write, and then the link is closed (its state is unknown).  Once
        written, the wait for the answer is cancellable, and a timeout or a
        cancellation there leaves the link usable (the late answer is dropped).
        """
        link = self.link
        if link is None:
            with trio.move_on_at(deadline):
                link = await self.wait_link()
            if link is None:
                raise self._timeout(seconds)
        writing: Link | None = link  # the link while a write is under way
        with trio.CancelScope(deadline=deadline, shield=True) as scope:
            call = self.proto.start_call(ops, root_tag=root_tag)
            done = self._waiters[call] = trio.Event()
            send = link.ws.send_message
            recorder = link.recorder
            debug = log.isEnabledFor(logging.DEBUG)
            try:
                for frame in call.frames:
                    text = frame.decode()
                    if recorder is not None:
                        # recorded before the write: the answer may be read while it is under way
                        recorder.record("send", text)
                    if debug:
                        log.debug("send %s", trunc(text))
                    try:
                        await send(text)
                    except ConnectionClosed:
                        raise ConnectionLost("connection to the DMS lost while sending") from None
                writing = None
                scope.shield = False
                await done.wait()
            except BaseException:
                self._abandon(call)
                raise
            return call.results()
        # only the call's own deadline ends the scope without an exception
        if writing is not None:
            writing.error = ConnectionLost("a send timed out half-way; connection closed")
            await writing.abort()
            raise RequestTimeout("request could not be sent in time")
        raise self._timeout(seconds)

    async def aclose(self) -> None:
        """Close gracefully (bounded by ``close_timeout``); safe to call twice."""
        self.closed = True
        link = self.link
        with trio.CancelScope(shield=True):
            if link is not None:
                with trio.move_on_after(self.opts.close_timeout):
                    try:
                        await link.ws.aclose()
                    except Exception as exc:
                        log.debug("close: %s", exc)
                await trio.aclose_forcefully(link.stream)
        if self.fatal is None:
            self._give_up(ConnectionLost("client closed"))


__all__ = ["Link", "WsBackend", "open_link", "trunc"]
