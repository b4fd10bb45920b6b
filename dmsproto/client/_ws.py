"""WebSocket transport on trio: wsproto over a trio stream, one supervisor task.

The supervisor runs in the nursery of ``connect()``.  Each connection ("link")
is a trio stream (``trio.open_tcp_stream``, ``trio.SSLStream``) carrying
wsproto's bytes; its nursery holds the keepalive pinger and the wait for
renewed subscriptions, and the session reads it itself: each read goes through
wsproto into the core, and the calls it answered are woken (no reader task or
channel between the socket and the waiting caller).  When the link dies,
pending calls fail at once with what the core's ``failure`` says
(``ConnectionLost``, ``NotSent``, ``OutcomeUnknown``, or the ``ProtocolError``
that killed it); with a reconnect policy the supervisor backs off,
reconnects, renews every live subscription in one request and puts a
``Gap("reconnect")`` into each subscription's stream.

Nothing the peer sends ends the supervisor with anything but a typed error:
frames are sorted by the core, what wsproto's events mean by
``_wslink.LinkProtocol`` (shared with the asyncio transport), closes by
``protocol.connection``, and an unexpected failure of the connection's tasks
is logged and treated as a lost connection (so reconnection applies).  What
each step decides is ``WsState``'s, shared with the asyncio transport too;
this module does trio's I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

import trio
from wsproto import WSConnection

from ..errors import ConnectError, ConnectionLost, DMSProtoError, RequestTimeout
from ..excgroups import sole_exception
from ..protocol.core import Call, ClientCore, SubscriptionState
from ..protocol.ops import Op
from ..recorder import Recorder
from ._net import open_stream
from ._opening import Opening, first_attempts, first_retry_delay
from ._options import Options
from ._wsbase import WsState, again
from ._wslink import MORE, READ_SIZE, Handshake, LinkProtocol

log = logging.getLogger("dmsproto")

#: what breaks or closes a trio stream under a reader or a writer
_STREAM_GONE = (trio.BrokenResourceError, trio.ClosedResourceError)


class Link(LinkProtocol):
    """One open WebSocket connection: wsproto's state over a trio stream."""

    def __init__(self, ws: WSConnection, opts: Options, stream: trio.abc.Stream) -> None:
        super().__init__(ws, opts)
        self.stream = stream
        #: set when the session stopped reading (the link is gone)
        self.gone = trio.Event()
        # a trio stream takes one writer at a time: callers, the reader's answers, the pinger
        self._writing = trio.StrictFIFOLock()
        self._pongs: dict[bytes, trio.Event] = {}

    async def write(self, data: bytes) -> None:
        """Write ``data`` whole, after the writes before it.

        Callers shield their writes, so only their own deadline can cut one
        (and the pinger's ``ping_timeout``, and the end of the link): a write
        cut half-way leaves the stream corrupt, so the link is then closed.

        Raises:
            ConnectionLost: the stream broke or was closed.
        """
        lock = self._writing
        try:
            lock.acquire_nowait()
        except trio.WouldBlock:
            await lock.acquire()
        try:
            await self.stream.send_all(data)
        except _STREAM_GONE:
            raise ConnectionLost("connection to the DMS lost while sending") from None
        except trio.Cancelled:
            if self.error is None:
                self.error = ConnectionLost("a send timed out half-way; connection closed")
            await trio.aclose_forcefully(self.stream)
            raise
        finally:
            lock.release()

    async def send(self, text: str, deadline: float) -> None:
        """Send one message; never abandoned half-way by an outer cancellation.

        Raises:
            RequestTimeout: ``deadline`` came first (cut half-way, the link is closed).
            ConnectionLost: the link is closing or its stream broke.
        """
        with trio.CancelScope(shield=True, deadline=deadline) as scope:
            await self.write(self.frame(text))
        if scope.cancelled_caught:
            raise RequestTimeout("request could not be sent in time")

    async def flush(self) -> None:
        """Write what the reader answered (pongs, a close); a broken stream is the reader's."""
        data = bytes(self.outbox)
        self.outbox.clear()
        try:
            await self.write(data)
        except ConnectionLost as exc:
            log.debug("answer not written: %s", exc)

    async def ping(self) -> None:
        """Send a ping and wait for its pong.

        Raises:
            ConnectionLost: the link is closing or its stream broke.
        """
        payload, data = self.ping_frame()
        pong = self._pongs[payload] = trio.Event()
        try:
            await self.write(data)
            await pong.wait()
        finally:
            self._pongs.pop(payload, None)

    def pong(self, payload: bytes) -> None:
        """Wake the pinger whose ping this pong echoes."""
        pong = self._pongs.pop(payload, None)
        if pong is not None:
            pong.set()

    async def abort(self) -> None:
        """Close the stream at once; the reader sees the loss and cleans up."""
        await trio.aclose_forcefully(self.stream)


async def open_link(opts: Options, opening: Opening) -> Link:
    """TCP/TLS then the WebSocket handshake, failing fast with typed errors.

    Call under ``connect_timeout``; ``opening`` tells the caller how far it got
    when its deadline cuts it short.
    """
    stream = await open_stream(opts, opening)
    opening.stage = "websocket"
    handshake = Handshake(opts, opening.where)
    try:
        try:
            await stream.send_all(handshake.request)
            while (ws := handshake.feed(await stream.receive_some(READ_SIZE))) is None:
                pass
        except trio.BrokenResourceError as exc:  # reset, or a TLS alert (TLS 1.3 refuses
            raise handshake.broken(exc) from exc  # a client certificate after the handshake)
    except BaseException:
        await trio.aclose_forcefully(stream)
        raise
    return Link(ws, opts, stream)


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
            with trio.move_on_after(opts.connect_timeout):
                link = await open_link(opts, opening)
            if link is None:
                raise opening.timed_out()
            log.info("connected to %s", opts.url)
            link.recorder = self.recorder
            async with trio.open_nursery() as nursery:
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
                    nursery.start_soon(self._ping_forever, link)
                try:
                    await self._read_loop(link)
                finally:
                    link.gone.set()
                nursery.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            err = sole_exception(group) or group
            raise self._typed(err, link) from None
        except DMSProtoError as exc:
            if link is not None and link.error is None:
                link.error = exc
            raise
        except Exception as exc:
            raise self._typed(exc, link) from exc
        finally:
            if link is not None:
                self._lost(link)
                await link.abort()
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

    async def _ping_forever(self, link: Link) -> None:
        assert self.opts.ping_interval is not None
        while True:
            await trio.sleep(self.opts.ping_interval)
            with trio.move_on_after(self.opts.ping_timeout) as cs:
                try:
                    await link.ping()
                except ConnectionLost:  # going away anyway: the reader reports it
                    return
            if cs.cancelled_caught:
                link.error = ConnectionLost(
                    f"no pong from {self.opts.url} within {self.opts.ping_timeout} s (dead peer)"
                )
                await link.abort()
                return

    async def _read_loop(self, link: Link) -> None:
        """Read ``link`` to its end: each whole message to ``WsState._receiver``.

        What wsproto's events mean is ``LinkProtocol.take``'s; ``link.error``
        then says why the link ended.  The session closes the stream: at once,
        after a frame that cannot be trusted, or once our answer to a close
        went out.
        """
        handle = self._receiver(link)
        closed = partial(self._close_error, link)
        take = link.take
        receive = link.stream.receive_some
        data: bytes | bytearray | None = None  # first what came with the handshake's answer
        while True:
            verdict = take(handle, closed, data)
            if link.outbox:
                await link.flush()
            if verdict == MORE:
                data = None
                await trio.lowlevel.checkpoint()
                continue
            if verdict:
                return
            try:
                data = await receive(READ_SIZE)
            except _STREAM_GONE as exc:
                log.debug("read from %s: %s", self.opts.url, exc)
                data = b""

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
        writing = True
        with trio.CancelScope(deadline=deadline, shield=True) as scope:
            call = self.proto.start_call(ops, root_tag=root_tag)
            done = self._waiters[call] = Wakeup()
            frame = link.frame
            write = link.write
            try:
                for text in self._outgoing(link, call):
                    try:
                        await write(frame(text))
                    except ConnectionLost as exc:
                        raise self.proto.failure(call, link.error or exc) from None
                writing = False
                scope.shield = False
                await done.wait()
            except BaseException:
                self._abandon(call)
                raise
            return call.results()
        # only the call's own deadline ends the scope without an exception
        if writing:  # (cut half-way, the link was closed)
            raise RequestTimeout("request could not be sent in time")
        raise self._timeout(seconds)

    async def aclose(self) -> None:
        """Close gracefully (bounded by ``close_timeout``); safe to call twice.

        Our close frame goes out and the session reads until the DMS answers it;
        then, or when ``close_timeout`` ran out, the stream is closed.
        """
        self.closed = True
        link = self.link
        with trio.CancelScope(shield=True):
            if link is not None:
                with trio.move_on_after(self.opts.close_timeout):
                    try:
                        data = link.close_frame()
                        if data:
                            await link.write(data)
                        await link.gone.wait()
                    except DMSProtoError as exc:
                        log.debug("close: %s", exc)
                await link.abort()
        if self.fatal is None:
            self._give_up(ConnectionLost("client closed"))


__all__ = ["Link", "WsBackend", "open_link"]
