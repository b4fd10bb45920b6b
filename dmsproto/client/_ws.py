"""WebSocket transport on trio: one supervisor task owns the connection, its reader and pinger.

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
connection (so reconnection applies).  What each step decides is
``WsState``'s, shared with the asyncio transport; this module does trio's I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import trio
from trio_websocket import CloseReason, ConnectionClosed, ConnectionRejected, wrap_client_stream

from ..errors import ConnectError, ConnectionLost, DMSProtoError, RequestTimeout
from ..excgroups import sole_exception
from ..protocol.connection import handshake_closed, message_too_big, upgrade_refused
from ..protocol.core import Call, ClientCore, SubscriptionState
from ..protocol.ops import Op
from ..recorder import Recorder
from ._net import WatchedStream, open_stream
from ._opening import Opening, first_attempts, first_retry_delay, tls_error_from
from ._options import Options
from ._wsbase import WsState, again

log = logging.getLogger("dmsproto")

#: how trio-websocket words the close it makes for a message over ``max_message_size``
_TOO_BIG = "Exceeded maximum message size"


class Link:
    """One open WebSocket connection."""

    def __init__(self, ws: Any, stream: trio.abc.Stream) -> None:
        self.ws = ws
        self.stream = stream
        #: writes every frame sent and received (``connect(record=...)``)
        self.recorder: Recorder | None = None
        #: why the link died, when we killed it ourselves or the peer said why
        self.error: BaseException | None = None
        #: whether the DMS has sent anything on this link (a close before that refuses it)
        self.answered = False
        self.pinger_scope = trio.CancelScope()

    async def send(self, text: str, deadline: float) -> None:
        """Send one frame; never abandoned half-way by an outer cancellation.

        A frame cut off mid-write would corrupt the stream, so the write is
        shielded; only ``deadline`` can cut it, and then the link is closed (its
        state is unknown) and ``RequestTimeout`` raised.
        """
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
        tls = tls_error_from(exc, opening.where) if exc is not None else None
        if tls is not None:
            raise tls from exc
        raise handshake_closed(opening.where, tls=opts.tls and exc is None)
    return Link(ws, stream)


def session_error(group: BaseExceptionGroup[BaseException], opts: Options) -> BaseException:
    """The one meaningful exception inside a link nursery's group (else the group)."""
    rejected = group.subgroup(ConnectionRejected)
    if rejected is not None:
        first: BaseException = rejected
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        assert isinstance(first, ConnectionRejected)
        return upgrade_refused(opts.url, first.status_code, first.body or b"")
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


class WsBackend(WsState[Wakeup, Wakeup, Link]):
    """Calls and subscriptions over a (re)connecting WebSocket, on trio.

    The waiting side of the core's work: a :class:`Wakeup` per call in flight
    (set on ``CallDone`` or when the call fails) and one per subscription with a
    consumer (unparked on ``SubscriptionData`` and when the subscription ends).
    """

    up: trio.Event

    def __init__(
        self, opts: Options, proto: ClientCore, recorder: Recorder | None = None
    ) -> None:
        super().__init__(opts, proto, recorder)
        self._started = False

    def _make_up(self) -> trio.Event:
        return trio.Event()

    def _make_lot(self) -> Wakeup:
        return Wakeup()

    def _set(self, done: Wakeup) -> None:
        done.set()

    # ------------------------------------------------------------ supervisor

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Connect, serve, and (by policy) reconnect until closed or given up.

        The first connection fails ``connect()`` at once, unless
        ``wait_for_server``: then it is retried with the reconnect policy (the
        default one without ``reconnect``) while its failure may pass by itself.
        """
        first = first_attempts(self.opts)
        while True:
            error: BaseException | None = None
            try:
                await self._session(task_status)
            except ConnectError as exc:
                if not self._started:
                    await trio.sleep(first_retry_delay(self.opts, first, exc))
                    continue
                error = exc
            except DMSProtoError as exc:  # the connection worked, then broke (logged)
                if not self._started:
                    raise
                error = exc
            delay = self._next_attempt(error)
            if delay is None:
                return
            await trio.sleep(delay)
            if self._closed_meanwhile():
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
                    error = self._closed(link, link.ws.closed)
                    raise error if isinstance(error, ConnectError) else ConnectError(str(error))
                log.info("connected to %s", opts.url)
                link.recorder = self.recorder
                self.link = link
                renew = self._to_renew()
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
            raise upgrade_refused(opts.url, exc.status_code, exc.body or b"") from None
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
        exception becomes what ``WsState._unexpected`` says.
        """
        if isinstance(exc, DMSProtoError) or not isinstance(exc, Exception):
            if link is not None and link.error is None and isinstance(exc, DMSProtoError):
                link.error = exc
            return exc
        return self._unexpected(exc, link, self._started)

    def _closed(self, link: Link, reason: CloseReason | None) -> DMSProtoError:
        """Why ``link`` ended, from trio-websocket's close reason."""
        if reason is None:
            return self._close_error(link, None, None)
        if not self.closed and reason.code == 1009 and (reason.reason or "").startswith(_TOO_BIG):
            return message_too_big(self.opts.url, self.opts.max_message_size)
        return self._close_error(link, reason.code, reason.reason)

    async def _send_renewal(
        self, link: Link, subs: Sequence[SubscriptionState]
    ) -> tuple[Call, Wakeup] | None:
        """Subscribe again after a reconnect (the server forgot): one request for all."""
        call = self.proto.start_call([s.subscribe_op() for s in subs])
        done = self._waiters[call] = Wakeup()
        deadline = trio.current_time() + (self.opts.timeout or 60.0)
        try:
            for text in self._outgoing(link, call):
                await link.send(text, deadline)
        except DMSProtoError as exc:
            self._renewal_failed(call, subs, exc)
            return None
        return call, done

    async def _finish_renewal(
        self, renewal: tuple[Call, Wakeup], subs: Sequence[SubscriptionState]
    ) -> None:
        call, done = renewal
        with trio.move_on_after(self.opts.timeout or 60.0):
            await done.wait()
        self._renewal_done(call, subs)

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
        """The dedicated reader: each message to ``WsState._receiver``; a fatal one aborts."""
        handle = self._receiver(link)
        get = link.ws.get_message
        try:
            while handle(await get()):
                pass
        except ConnectionClosed as exc:
            if link.error is None:
                link.error = self._closed(link, exc.reason)
            return
        await link.abort()

    # ----------------------------------------------------------------- calls

    async def wait_link(self) -> Link:
        """The link, once there is one; raises what keeps it from coming (nothing sent)."""
        while (link := self._link_now()) is None:
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
            try:
                for text in self._outgoing(link, call):
                    try:
                        await send(text)
                    except ConnectionClosed as exc:
                        error = link.error or self._closed(link, exc.reason)
                        raise self.proto.failure(call, error) from None
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


__all__ = ["Link", "WsBackend", "open_link"]
