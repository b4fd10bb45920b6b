"""WebSocket transport on asyncio: wsproto over asyncio streams, one supervisor task.

``connect()`` opens the first connection itself (its errors are the caller's;
with ``wait_for_server`` it is retried by the reconnect policy) and then
starts the supervisor task, which owns every later step: it serves the
connection ("link") with a reader and a keepalive pinger, and when the link
dies it fails pending calls at once with what the core's ``failure`` says
(``ConnectionLost``, ``NotSent``, ``OutcomeUnknown``, or the error that
ended the link); with a reconnect policy it backs off, reconnects, renews
every live subscription in one request and puts a ``Gap("reconnect")`` into
each subscription's stream.

Every decision is the one of the trio transport (``WsState``, the core's frame
triage, ``protocol.connection``): nothing the peer sends ends the supervisor
with anything but a typed error, and a frame that cannot be trusted, a close,
or an unexpected failure of the link ends only the link.

Writes never wait: a frame goes whole into the transport's buffer
(``StreamWriter.write``), so a cancelled call can never leave half a frame on
the wire; only the wait for the answer is cancellable, and then the late
answer is dropped.  A call whose frames filled the buffer beyond its high-water
mark waits for it to drain (back-pressure).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import suppress
from functools import partial
from typing import Any, NoReturn

from wsproto import WSConnection

from ..client._opening import Opening, first_attempts, first_retry_delay
from ..client._options import Options
from ..client._wsbase import WsState
from ..client._wslink import CLOSING, MORE, READ_SIZE, Handshake, LinkProtocol
from ..errors import ConnectError, ConnectionLost, DMSProtoError
from ..protocol.core import Call, ClientCore, SubscriptionState
from ..protocol.ops import Op
from ..recorder import Recorder
from ._net import abort, open_stream, within_connect_timeout

log = logging.getLogger("dmsproto")

#: the future of a call whose deadline passed
_TIMED_OUT = object()


class ParkingLot:
    """Where the consumers of one subscription wait; ``unpark_all`` wakes every one."""

    __slots__ = ("_waiting",)

    def __init__(self) -> None:
        self._waiting: list[asyncio.Future[None]] = []

    async def park(self) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(fut)
        try:
            await fut
        finally:
            if not fut.done():
                self._waiting.remove(fut)

    def unpark_all(self) -> None:
        waiting, self._waiting = self._waiting, []
        for fut in waiting:
            if not fut.done():
                fut.set_result(None)


class Link(LinkProtocol):
    """One open WebSocket connection: wsproto's state over an asyncio stream pair."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        ws: WSConnection,
        opts: Options,
    ) -> None:
        super().__init__(ws, opts)
        self.reader = reader
        self.writer = writer
        #: set when the reader has finished (the link is gone)
        self.gone = asyncio.Event()
        self._pongs: dict[bytes, asyncio.Future[None]] = {}

    def send(self, text: str) -> None:
        """Put one text frame whole into the transport's buffer (never waits)."""
        self._write(self.frame(text))

    def _write(self, data: bytes) -> None:
        if self.writer.is_closing():
            raise ConnectionLost("connection to the DMS lost while sending")
        self.writer.write(data)

    @property
    def congested(self) -> bool:
        """Whether the transport's buffer is above its high-water mark."""
        transport = self.writer.transport
        return transport.get_write_buffer_size() > transport.get_write_buffer_limits()[1]

    async def drain(self) -> None:
        try:
            await self.writer.drain()
        except OSError:
            raise ConnectionLost("connection to the DMS lost while sending") from None

    def ping(self) -> asyncio.Future[None]:
        """Send a ping; the future is resolved by its pong (``ConnectionLost``: closing)."""
        if self.writer.is_closing():
            raise ConnectionLost("connection to the DMS lost while sending")
        payload, data = self.ping_frame()
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.writer.write(data)
        self._pongs[payload] = fut
        return fut

    def pong(self, payload: bytes) -> None:
        fut = self._pongs.pop(payload, None)
        if fut is not None and not fut.done():
            fut.set_result(None)

    def flush(self) -> None:
        """Write what the reader answered (pongs, a close), when the stream still takes it."""
        if not self.writer.is_closing():
            self.writer.write(bytes(self.outbox))
        self.outbox.clear()

    def close(self, code: int = 1000) -> None:
        """Start the closing handshake (the reader sees the peer's answer)."""
        if not self.writer.is_closing():
            data = self.close_frame(code)
            if data:
                self.writer.write(data)

    def abort(self) -> None:
        """Close the stream at once; the reader sees the loss and cleans up."""
        abort(self.writer)

    def end(self, graceful: bool, grace: float) -> None:
        """Close the stream once the reader is done.

        ``graceful``: after what is buffered (our close frame) went out, and at
        the latest after ``grace`` seconds; else at once.
        """
        if graceful and not self.writer.is_closing():
            self.writer.close()
            asyncio.get_running_loop().call_later(grace, self.writer.transport.abort)
        else:
            self.abort()


async def open_link(opts: Options, opening: Opening) -> Link:
    """TCP/TLS then the WebSocket handshake, failing fast with typed errors.

    ``opening`` tells the caller how far it got when its deadline cuts it short.
    """
    reader, writer = await open_stream(opts, opening)
    opening.stage = "websocket"
    handshake = Handshake(opts, opening.where)
    try:
        writer.write(handshake.request)
        while True:
            try:
                data = await reader.read(READ_SIZE)
            except OSError as exc:  # reset, or a TLS alert (TLS 1.3 refuses a client
                raise handshake.broken(exc) from exc  # certificate after the handshake)
            ws = handshake.feed(data)
            if ws is not None:
                return Link(reader, writer, ws, opts)
    except BaseException:
        abort(writer)
        raise


class WsBackend(WsState["asyncio.Future[Any]", ParkingLot, Link]):
    """Calls and subscriptions over a (re)connecting WebSocket, on asyncio.

    What each step decides is ``WsState``'s, shared with the trio transport;
    here: a future per call in flight, a ``ParkingLot`` per subscription with a
    consumer, the supervisor task and the link's tasks, and wsproto's bytes on
    asyncio's streams.
    """

    up: asyncio.Event

    def __init__(
        self, opts: Options, proto: ClientCore, recorder: Recorder | None = None
    ) -> None:
        super().__init__(opts, proto, recorder)
        self._supervisor: asyncio.Task[None] | None = None
        self._link_tasks: set[asyncio.Task[None]] = set()

    def _make_up(self) -> asyncio.Event:
        return asyncio.Event()

    def _make_lot(self) -> ParkingLot:
        return ParkingLot()

    def _set(self, done: asyncio.Future[Any]) -> None:
        if not done.done():
            done.set_result(None)

    # ------------------------------------------------------------ supervisor

    async def _connect(self, started: bool) -> Link:
        """Open one link under ``connect_timeout``; every failure is a ``ConnectError``."""
        opening = Opening(self.opts)
        try:
            link = await within_connect_timeout(opening, open_link(self.opts, opening))
        except DMSProtoError:
            raise
        except Exception as exc:
            raise self._unexpected(exc, None, started) from exc
        log.info("connected to %s", self.opts.url)
        link.recorder = self.recorder
        return link

    async def start(self) -> None:
        """Open the first connection (its errors are raised) and start the supervisor.

        With ``wait_for_server`` the first connection is retried with the
        reconnect policy (the default one without ``reconnect``) while its
        failure may pass by itself.
        """
        first = first_attempts(self.opts)
        while True:
            try:
                link = await self._connect(started=False)
                break
            except ConnectError as exc:
                await asyncio.sleep(first_retry_delay(self.opts, first, exc))
        self._install(link)
        self._supervisor = asyncio.create_task(self._supervise(link), name="dmsproto-ws")

    def _install(self, link: Link) -> None:
        """Make ``link`` the connection: renewals first, then calls may use it."""
        renew = self._to_renew()
        # renewals go out before any new call, so later answers follow theirs
        renewal = self._send_renewal(link, renew) if renew else None
        self.link = link
        self.up.set()
        if renewal is not None:
            self._spawn(self._finish_renewal(*renewal, renew))
        if self.opts.ping_interval is not None:
            self._spawn(self._ping_forever(link))

    def _spawn(self, coro: Any) -> None:
        """A task that lives as long as the link (cancelled when it is gone)."""
        task = asyncio.create_task(coro)
        self._link_tasks.add(task)
        task.add_done_callback(self._link_tasks.discard)

    async def _supervise(self, link: Link) -> None:
        try:
            await self._run(link)
        except Exception as exc:  # a bug must not leave calls waiting for a link forever
            log.exception("connection supervisor for %s failed", self.opts.url)
            self._give_up(ConnectionLost(f"connection to {self.opts.url} failed: {exc}"))

    async def _run(self, first: Link) -> None:
        """Serve, and (by policy) reconnect until closed or given up."""
        link: Link | None = first
        error: BaseException | None = None
        while True:
            if link is not None:
                error = await self._serve(link)
            delay = self._next_attempt(error)
            if delay is None:
                return
            await asyncio.sleep(delay)
            if self._closed_meanwhile():
                return
            try:
                link = await self._connect(started=True)
            except ConnectError as exc:
                link, error = None, exc
                continue
            self._install(link)
            self.reconnects += 1

    async def _serve(self, link: Link) -> BaseException | None:
        """Read ``link`` to its end; return why it ended (``None``: the client closed it)."""
        graceful = False
        try:
            graceful = await self._read_loop(link)
        except Exception as exc:
            self._unexpected(exc, link, started=True)
        finally:
            link.gone.set()
            for task in list(self._link_tasks):
                task.cancel()
            link.end(graceful, self.opts.close_timeout)
            self._lost(link)
        return None if self.closed else link.error

    def _send_renewal(
        self, link: Link, subs: Sequence[SubscriptionState]
    ) -> tuple[Call, asyncio.Future[Any]] | None:
        """Subscribe again after a reconnect (the server forgot): one request for all."""
        call = self.proto.start_call([s.subscribe_op() for s in subs])
        try:
            return call, self._write(link, call)
        except DMSProtoError as exc:
            self._renewal_failed(call, subs, exc)
            return None

    async def _finish_renewal(
        self, call: Call, done: asyncio.Future[Any], subs: Sequence[SubscriptionState]
    ) -> None:
        with suppress(TimeoutError):
            async with asyncio.timeout(self.opts.timeout or 60.0):
                await done
        self._renewal_done(call, subs)

    async def _ping_forever(self, link: Link) -> None:
        interval = self.opts.ping_interval
        assert interval is not None
        while True:
            await asyncio.sleep(interval)
            try:
                async with asyncio.timeout(self.opts.ping_timeout):
                    await link.ping()
            except ConnectionLost:  # going away anyway: the reader reports it
                return
            except TimeoutError:
                link.error = ConnectionLost(
                    f"no pong from {self.opts.url} within {self.opts.ping_timeout} s (dead peer)"
                )
                link.abort()
                return

    async def _read_loop(self, link: Link) -> bool:
        """The dedicated reader: each whole message to ``WsState._receiver``.

        What wsproto's events mean is ``LinkProtocol.take``'s.  Returns whether
        the link ends in the closing handshake (our close frame is to go out
        before the stream closes); ``link.error`` says why it ended.
        """
        handle = self._receiver(link)
        closed = partial(self._close_error, link)
        take = link.take
        read = link.reader.read
        data: bytes | None = None  # first what came with the handshake's answer
        while True:
            verdict = take(handle, closed, data)
            if link.outbox:
                link.flush()
            if verdict == MORE:
                data = None
                await asyncio.sleep(0)
                continue
            if verdict:
                return verdict == CLOSING
            try:
                data = await read(READ_SIZE)
            except OSError as exc:
                log.debug("read from %s: %s", self.opts.url, exc)
                data = b""

    # ----------------------------------------------------------------- calls

    async def wait_link(self, seconds: float | None) -> Link:
        """The link, waiting while a reconnect is under way (at most ``seconds``).

        Raises:
            RequestTimeout: no link within ``seconds`` (nothing was sent).
            ConnectError, NotSent: what keeps the link from coming (nothing was sent).
        """
        try:
            async with asyncio.timeout(seconds):
                while (link := self._link_now()) is None:
                    await self.up.wait()
                return link
        except TimeoutError:
            raise self._no_link(seconds) from None

    def _write(self, link: Link, call: Call) -> asyncio.Future[Any]:
        """Register ``call`` and write its frames (at once, whole); its future ends the wait.

        A link that is gone fails the call as the core's ``failure`` says.
        """
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters[call] = done
        send = link.send
        try:
            for text in self._outgoing(link, call):
                send(text)
        except BaseException as exc:
            self._unsent(call, link, exc)
        return done

    def _unsent(self, call: Call, link: Link, exc: BaseException) -> NoReturn:
        """Forget ``call``, whose writing failed with ``exc``, and raise what the caller gets.

        A link that is gone: what the core's ``failure`` says (``NotSent``,
        ``OutcomeUnknown`` or the link's error); else ``exc`` itself.
        """
        self._abandon(call)
        if isinstance(exc, ConnectionLost):
            failure = self.proto.failure(call, link.error or exc)
            raise failure
        raise exc

    async def _wait(self, call: Call, done: asyncio.Future[Any], seconds: float | None) -> None:
        """Wait for ``call``'s answer; ``RequestTimeout`` after ``seconds``."""
        timer = None
        if seconds is not None:
            timer = asyncio.get_running_loop().call_later(seconds, _expire, done)
        try:
            if await done is _TIMED_OUT:
                raise self._timeout(seconds)
        except BaseException:
            self._abandon(call)
            raise
        finally:
            if timer is not None:
                timer.cancel()

    async def execute(self, ops: Sequence[Op], root_tag: Any, seconds: float | None) -> list[Any]:
        """Send one call and wait for its answer; ``RequestTimeout`` after ``seconds``.

        A connection lost on the way fails the call as the core's ``failure``
        says (``NotSent``, ``OutcomeUnknown`` or the connection's error).
        """
        link = self.link
        if link is None:
            loop = asyncio.get_running_loop()
            started = loop.time()
            link = await self.wait_link(seconds)
            if seconds is not None:
                seconds = max(0.0, seconds - (loop.time() - started))
        call = self.proto.start_call(ops, root_tag=root_tag)
        done = self._write(link, call)
        if link.congested:
            try:
                await link.drain()
            except BaseException as exc:
                self._unsent(call, link, exc)
        await self._wait(call, done, seconds)
        return call.results()

    def begin(self, ops: Sequence[Op]) -> tuple[Call, asyncio.Future[Any]]:
        """Send a call now, in the caller's step (``ConnectionLost`` without a link)."""
        link = self.link
        if link is None:
            raise ConnectionLost("no connection to the DMS")
        call = self.proto.start_call(ops)
        return call, self._write(link, call)

    async def finish(self, call: Call, done: asyncio.Future[Any], seconds: float | None) -> None:
        """Wait for a call sent with ``begin``; its results stay on ``call``."""
        await self._wait(call, done, seconds)
        call.results()

    async def aclose(self) -> None:
        """Close gracefully (bounded by ``close_timeout``); safe to call twice.

        What must happen does not wait: if the caller is cancelled meanwhile the
        connection is still aborted and the supervisor stopped.
        """
        self.closed = True
        link = self.link
        supervisor = self._supervisor
        try:
            if link is not None:
                link.close()
                try:
                    async with asyncio.timeout(self.opts.close_timeout):
                        await link.gone.wait()
                except TimeoutError:
                    log.debug("close: no answer from %s in time", self.opts.url)
        finally:
            if link is not None:
                link.abort()
            if supervisor is not None and not supervisor.done():
                supervisor.cancel()
            for task in list(self._link_tasks):
                task.cancel()
            if self.fatal is None:
                self._give_up(ConnectionLost("client closed"))
        if supervisor is not None:
            await asyncio.wait([supervisor])


def _expire(done: asyncio.Future[Any]) -> None:
    if not done.done():
        done.set_result(_TIMED_OUT)


__all__ = ["Link", "ParkingLot", "WsBackend", "open_link"]
