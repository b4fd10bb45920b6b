"""WebSocket transport: one supervisor task owns the connection, its reader and pinger.

The supervisor runs in the nursery of ``connect()``.  Each connection ("link")
gets its own nursery holding trio-websocket's task, our reader and the
keepalive pinger.  When the link dies, pending calls fail at once with what
the core's ``failure`` says (``ConnectionLost``, ``NotSent``, ``OutcomeUnknown``,
or the ``ProtocolError`` that killed it); with a reconnect policy the
supervisor backs off, reconnects, renews every live subscription in one
request and puts a ``Gap("reconnect")`` into each subscription's stream.

Nothing the peer sends ends the supervisor with anything but a typed error:
frames are sorted by the core, closes by ``protocol.connection``, and an
unexpected failure of the connection's tasks is logged and treated as a lost
connection (so reconnection applies).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import Any

import trio
from trio_websocket import CloseReason, ConnectionClosed, ConnectionRejected, wrap_client_stream

from ..errors import (
    AuthenticationError,
    ConnectError,
    ConnectionLost,
    DMSProtoError,
    NotSent,
    ProtocolError,
    RequestTimeout,
    TLSError,
)
from ..excgroups import sole_exception
from ..protocol._triage import shorten
from ..protocol.connection import Attempts, closed_by_peer, message_too_big
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
from ..results import ItemError
from ._net import (
    Opening,
    WatchedStream,
    first_attempts,
    open_stream,
    pause_before_retry,
    tls_error_from,
)
from ._options import Options

log = logging.getLogger("dmsproto")

#: how trio-websocket words the close it makes for a message over ``max_message_size``
_TOO_BIG = "Exceeded maximum message size"


def again(error: BaseException) -> BaseException:
    """A fresh copy of a stored error, to raise once more (each raise its own traceback)."""
    fresh = copy.copy(error)
    fresh.__cause__ = error.__cause__
    return fresh


class Link:
    """One open WebSocket connection."""

    def __init__(self, ws: Any, stream: trio.abc.Stream) -> None:
        self.ws = ws
        self.stream = stream
        #: writes every frame sent and received (``connect(record=...)``)
        self.recorder: Recorder | None = None
        #: why the link died, when we killed it ourselves
        self.error: BaseException | None = None
        #: whether the DMS has sent anything on this link (a close before that refuses it)
        self.answered = False
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


async def open_link(nursery: trio.Nursery, opts: Options, opening: Opening) -> Link:
    """TCP/TLS then the WebSocket handshake, failing fast with typed errors.

    trio-websocket's task runs in ``nursery``; a rejected handshake makes that
    task raise ``ConnectionRejected`` into ``nursery`` (the caller converts it).
    ``opening`` tells the caller how far it got when its deadline cuts it short.
    """
    where = f"{opts.host}:{opts.port}"
    stream = await open_stream(opts, opening)
    opening.stage = "websocket"
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


class Wakeup:
    """Tasks waiting for one thing: a call's answer, or a subscription's next events.

    What ``trio.Event`` and ``trio.lowlevel.ParkingLot`` do here, on trio's public
    low-level API without their bookkeeping (a client wakes a task for every answer
    and, per subscription, for every frame of events; a park-and-wake cycle costs
    about a quarter less).  ``set()`` marks it done, so a later ``wait()`` returns
    at once (after a checkpoint, as ``Event.wait``); ``unpark_all()`` only wakes
    those waiting, and ``park()`` always waits.
    """

    __slots__ = ("_tasks", "done")

    def __init__(self) -> None:
        self._tasks: list[trio.lowlevel.Task] = []
        self.done = False

    async def park(self) -> None:
        """Wait until woken (cancellable: a cancelled task leaves the queue)."""
        task = trio.lowlevel.current_task()
        tasks = self._tasks
        tasks.append(task)

        def abort(_: object) -> trio.lowlevel.Abort:
            tasks.remove(task)
            return trio.lowlevel.Abort.SUCCEEDED

        await trio.lowlevel.wait_task_rescheduled(abort)

    async def wait(self) -> None:
        """Return once ``set()`` was called (at once if it was)."""
        if self.done:
            await trio.lowlevel.checkpoint()
        else:
            await self.park()

    def unpark_all(self) -> None:
        """Wake every task waiting now."""
        tasks = self._tasks
        if tasks:
            self._tasks = []
            for task in tasks:
                trio.lowlevel.reschedule(task)

    def set(self) -> None:
        """Mark done and wake every task waiting."""
        self.done = True
        self.unpark_all()


class WsBackend:
    """Calls and subscriptions over a (re)connecting WebSocket.

    The waiting side of the core's work lives here: a :class:`Wakeup` per call in
    flight (set on ``CallDone`` or when the call fails) and one per subscription
    with a consumer (unparked on ``SubscriptionData`` and when the subscription
    ends).
    """

    transport = "ws"

    def __init__(
        self, opts: Options, proto: ClientCore, recorder: Recorder | None = None
    ) -> None:
        self.opts = opts
        self.proto = proto
        self.recorder = recorder
        self.link: Link | None = None
        self.up = trio.Event()
        self.closed = False
        #: why the client is permanently down (calls raise it)
        self.fatal: BaseException | None = None
        self._started = False
        self.reconnects = 0
        #: failed (re)connection attempts, counted against the reconnect policy
        self._attempts = Attempts(opts.reconnect)
        self._waiters: dict[Call, Wakeup] = {}
        self._lots: dict[SubscriptionState, Wakeup] = {}

    # ---------------------------------------------------------------- waiting

    def _abandon(self, call: Call) -> None:
        self._waiters.pop(call, None)
        self.proto.abandon(call)

    def _wake_call(self, call: Call) -> None:
        done = self._waiters.pop(call, None)
        if done is not None:
            done.set()

    def parking_lot(self, sub: SubscriptionState) -> Wakeup:
        """Where the consumer of ``sub`` waits for events (made on first use)."""
        lot = self._lots.get(sub)
        if lot is None:
            lot = self._lots[sub] = Wakeup()
        return lot

    def release(self, sub: SubscriptionState) -> None:
        """``sub`` is over for its consumer: wake it a last time and forget its lot."""
        lot = self._lots.pop(sub, None)
        if lot is not None:
            lot.unpark_all()

    def _wake_sub(self, sub: SubscriptionState) -> None:
        lot = self._lots.get(sub)
        if lot is not None:
            lot.unpark_all()

    # ------------------------------------------------------------ supervisor

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Connect, serve, and (by policy) reconnect until closed or given up.

        The first connection fails ``connect()`` at once, unless
        ``wait_for_server``: then it is retried with the reconnect policy (the
        default one without ``reconnect``) while its failure may pass by itself.
        """
        opts = self.opts
        url = opts.url
        attempts = self._attempts
        first = first_attempts(opts)
        while True:
            try:
                await self._session(task_status)
            except ConnectError as exc:
                error: BaseException = exc
                if not self._started:
                    await pause_before_retry(opts, first, exc)
                    continue
                if opts.reconnect is not None:
                    log.warning("reconnect to %s failed: %s", url, exc)
            except DMSProtoError as exc:  # the connection worked, then broke (logged)
                if not self._started:
                    raise
                attempts.connected()
                error = exc
            else:
                attempts.connected()
                error = ConnectionLost(f"connection to {url} lost")
            if self.closed:
                self._give_up(ConnectionLost(f"connection to {url} closed"))
                return
            delay = attempts.failed(error)
            if delay is None:
                if opts.reconnect is not None:
                    self._give_up(ConnectionLost(f"gave up reconnecting to {url}: {error}"))
                elif isinstance(error, ConnectError):
                    self._give_up(error)
                else:
                    self._give_up(ConnectionLost(f"{error} (no reconnect)"))
                return
            log.info("reconnecting to %s in %.2f s (attempt %d)", url, delay, attempts.failures)
            await trio.sleep(delay)
            if self.closed:
                self._give_up(ConnectionLost(f"connection to {url} closed"))
                return

    async def _session(self, task_status: trio.TaskStatus[None]) -> None:
        """One connection from its handshake to its end.

        Returns when the connection ended after working; raises ``ConnectError``
        when it could not be opened or the DMS refused it (closed it before
        answering anything), and another typed error when it broke.
        """
        opts = self.opts
        link: Link | None = None
        opening = Opening(opts)
        try:
            async with trio.open_nursery() as nursery:
                with trio.move_on_after(opts.connect_timeout):
                    link = await open_link(nursery, opts, opening)
                if link is None:
                    raise opening.timed_out()
                if link.ws.closed is not None:  # closed before connect() returned
                    error = self._close_error(link, link.ws.closed)
                    raise error if isinstance(error, ConnectError) else ConnectError(str(error))
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
            raise self._typed(group if err is group else err, link) from None
        except ConnectionRejected as exc:  # pragma: no cover - arrives as a group
            raise rejected_error(exc, opts) from None
        except DMSProtoError as exc:
            if link is not None and link.error is None:
                link.error = exc
            raise
        except Exception as exc:
            raise self._typed(exc, link) from exc
        finally:
            if link is not None:
                self._lost(link)
        if link.error is not None and not self.closed:
            raise again(link.error)  # (a ConnectError: refused, which counts as a failed attempt)

    def _typed(self, exc: BaseException, link: Link | None) -> BaseException:
        """What the session raises for ``exc``: typed errors as they are, the rest wrapped.

        Cancellation and other ``BaseException``s pass unchanged; an unexpected
        exception of the connection's tasks is logged and becomes a
        ``ConnectError`` (before ``connect()`` returned) or ``ConnectionLost``.
        """
        if isinstance(exc, DMSProtoError) or not isinstance(exc, Exception):
            if link is not None and link.error is None and isinstance(exc, DMSProtoError):
                link.error = exc
            return exc
        log.error("the connection to %s failed", self.opts.url, exc_info=exc)
        detail = f"{type(exc).__name__}: {exc}"
        if link is None or not self._started:
            return ConnectError(f"connecting to {self.opts.url} failed ({detail})")
        error = ConnectionLost(f"connection to {self.opts.url} failed ({detail})")
        if link.error is None:
            link.error = error
        return error

    def _close_error(self, link: Link, reason: CloseReason | None) -> BaseException:
        """Why ``link`` ended, from its close (see ``protocol.connection.closed_by_peer``)."""
        if self.closed:
            return ConnectionLost("client closed")
        if reason is not None and reason.code == 1009 and (reason.reason or "").startswith(
            _TOO_BIG
        ):
            return message_too_big(self.opts.url, self.opts.max_message_size)
        return closed_by_peer(
            self.opts.url,
            None if reason is None else reason.code,
            None if reason is None else reason.reason,
            answered=link.answered,
        )

    def _lost(self, link: Link) -> None:
        """The link is gone: fail pending calls; mark or end subscriptions."""
        if self.link is link:
            self.link = None
            self.up = trio.Event()
        error = link.error or ConnectionLost(f"connection to {self.opts.url} lost")
        if isinstance(error, ConnectError):  # refused: said by the calls, or by run()
            log.info("%s", error)
        elif not self.closed:
            log.warning("connection to %s lost: %s", self.opts.url, error)
        for call in self.proto.connection_lost(error):
            self._wake_call(call)
        keep = self.opts.reconnect is not None and not self.closed
        for sub in self.proto.subscriptions:
            if keep:
                sub.push_gap("reconnect")
            else:
                sub.final = ConnectionLost(f"connection to {self.opts.url} lost")
                self.proto.remove_subscription(sub)
            self._wake_sub(sub)

    def _give_up(self, error: BaseException) -> None:
        self.fatal = error
        for call in self.proto.connection_lost(error):
            self._wake_call(call)
        for sub in self.proto.subscriptions:
            sub.final = error
            self.proto.remove_subscription(sub)
            self._wake_sub(sub)
        self.up.set()  # wake calls waiting for a link: they see ``fatal``

    async def _send_renewal(
        self, link: Link, subs: Sequence[SubscriptionState]
    ) -> tuple[Call, Wakeup] | None:
        """Subscribe again after a reconnect (the server forgot): one request for all."""
        call = self.proto.start_call([s.subscribe_op() for s in subs])
        done = self._waiters[call] = Wakeup()
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
        self, renewal: tuple[Call, Wakeup], subs: Sequence[SubscriptionState]
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
        for sub, result in zip(subs, results, strict=True):
            if isinstance(result, ItemError):
                sub.final = result.exception()
                self.proto.remove_subscription(sub)
                log.warning("subscription to %r not renewed: %s", sub.path, sub.final)
            else:
                sub.initial = result
            self._wake_sub(sub)
        log.info("renewed %d subscriptions", len(subs))

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
        answered = False
        try:
            while True:
                message = await get()
                if not answered:
                    link.answered = answered = True
                if recorder is not None:
                    recorder.record("recv", message)
                if debug:
                    log.debug("recv %s", shorten(message))
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
                            if ev.fatal:  # (the core logged the frames it dropped)
                                link.error = ProtocolError(
                                    f"{self.opts.url}: {ev.error}; connection closed"
                                )
                                log.error("protocol violation: %s", link.error)
                                await link.abort()
                                return
        except ConnectionClosed as exc:
            if link.error is None:
                link.error = self._close_error(link, exc.reason)

    # ----------------------------------------------------------------- calls

    async def wait_link(self) -> Link:
        """The link, once there is one; raises what keeps it from coming (nothing sent)."""
        while True:
            fatal = self.fatal
            if fatal is not None:
                if isinstance(fatal, ConnectError):
                    raise again(fatal)
                raise NotSent(f"{fatal}; the request was not sent")
            link = self.link
            if link is not None:
                return link
            if self.closed:
                raise NotSent("client closed; the request was not sent")
            await self.up.wait()

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
        A connection lost on the way fails the call as the core's ``failure``
        says (``NotSent``, ``OutcomeUnknown`` or the connection's error).
        """
        link = self.link
        if link is None:
            with trio.move_on_at(deadline):
                link = await self.wait_link()
            if link is None:
                raise self._no_link(seconds)
        writing: Link | None = link  # the link while a write is under way
        with trio.CancelScope(deadline=deadline, shield=True) as scope:
            call = self.proto.start_call(ops, root_tag=root_tag)
            done = self._waiters[call] = Wakeup()
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
                        log.debug("send %s", shorten(text))
                    try:
                        await send(text)
                    except ConnectionClosed as exc:
                        error = link.error or self._close_error(link, exc.reason)
                        raise self.proto.failure(call, error) from None
                    call.sent += 1
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

    def _no_link(self, seconds: float | None) -> RequestTimeout:
        """The timeout of a call that waited in vain for a (re)connection: nothing was sent."""
        within = f"within {seconds} s" if seconds is not None else "in time"
        last = self._attempts.last
        why = f" (last error: {last})" if last is not None else ""
        return RequestTimeout(
            f"no connection to {self.opts.url} {within}{why}; the request was not sent"
        )

    def _timeout(self, seconds: float | None) -> RequestTimeout:
        within = f"within {seconds} s" if seconds is not None else "in time"
        return RequestTimeout(f"no response from {self.opts.url} {within}")

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


__all__ = ["Link", "WsBackend", "again", "open_link"]
