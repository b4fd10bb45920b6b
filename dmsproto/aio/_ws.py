"""WebSocket transport on asyncio: wsproto over asyncio streams, one supervisor task.

``connect()`` opens the first connection itself (its errors are the caller's)
and then starts the supervisor task, which owns every later step: it serves
the connection ("link") with a reader and a keepalive pinger, and when the
link dies it fails pending calls at once with ``ConnectionLost`` (or the
``ProtocolError`` that killed it); with a reconnect policy it backs off,
reconnects, renews every live subscription in one request and puts a
``Gap("reconnect")`` into each subscription's stream.

Writes never wait: a frame goes whole into the transport's buffer
(``StreamWriter.write``), so a cancelled call can never leave half a frame on
the wire; only the wait for the answer is cancellable, and then the late
answer is dropped.  A call whose frames filled the buffer beyond its high-water
mark waits for it to drain (back-pressure).

The waiting side lives here, as in the trio transport: a future per call in
flight (resolved on ``CallDone``, at its deadline, or when the link fails) and
a ``ParkingLot`` per subscription with a consumer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import suppress
from itertools import count
from typing import Any

from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Message,
    Ping,
    Pong,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from ..client._net import tls_error_from
from ..client._options import Options
from ..client._ws import trunc
from ..client._wsbase import WsState
from ..errors import (
    AuthenticationError,
    ConnectError,
    ConnectionLost,
    DMSProtoError,
    TLSError,
)
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
from ._net import READ_SIZE, abort, open_stream, where

log = logging.getLogger("dmsproto")

#: close codes that say nothing worth reporting (normal closure, no close frame)
_QUIET_CLOSE = (1000, 1006)
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


def rejection(status: int, body: bytes, opts: Options) -> ConnectError:
    """The error for a refused WebSocket upgrade (401/403: the credentials)."""
    text = body[:200].decode("utf-8", "replace").strip()
    detail = f"HTTP {status}" + (f": {text}" if text else "")
    if status in (401, 403):
        return AuthenticationError(f"{opts.url} refused the credentials ({detail})")
    return ConnectError(f"{opts.url} rejected the WebSocket upgrade ({detail})")


class Link:
    """One open WebSocket connection: wsproto's state over an asyncio stream pair."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, ws: WSConnection
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.ws = ws
        #: writes every frame sent and received (``connect(record=...)``)
        self.recorder: Recorder | None = None
        #: why the link died, when we killed it ourselves or the peer said why
        self.error: BaseException | None = None
        #: set when the reader has finished (the link is gone)
        self.gone = asyncio.Event()
        self._pongs: dict[bytes, asyncio.Future[None]] = {}
        self._ping_ids = count(1)

    def send(self, text: str) -> None:
        """Put one text frame whole into the transport's buffer (never waits)."""
        self._write(Message(data=text))

    def _write(self, event: Message[Any] | Ping) -> None:
        if self.writer.is_closing():
            raise ConnectionLost("connection to the DMS lost while sending")
        try:
            data = self.ws.send(event)
        except LocalProtocolError:  # a close frame went out or came in
            raise ConnectionLost("connection to the DMS closing while sending") from None
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
        payload = next(self._ping_ids).to_bytes(4, "big")
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._write(Ping(payload=payload))
        self._pongs[payload] = fut
        return fut

    def pong(self, payload: bytes) -> None:
        fut = self._pongs.pop(bytes(payload), None)
        if fut is not None and not fut.done():
            fut.set_result(None)

    def answer(self, event: Ping | CloseConnection) -> None:
        """Answer the peer's ping or close frame (when the connection still takes it)."""
        if self.writer.is_closing() or self.ws.state is ConnectionState.CLOSED:
            return
        with suppress(LocalProtocolError):
            self.writer.write(self.ws.send(event.response()))

    def close(self, code: int = 1000) -> None:
        """Start the closing handshake (the reader sees the peer's answer)."""
        if self.ws.state is ConnectionState.OPEN and not self.writer.is_closing():
            self.writer.write(self.ws.send(CloseConnection(code=code)))

    def abort(self) -> None:
        """Close the stream at once; the reader sees the loss and cleans up."""
        abort(self.writer)


async def open_link(opts: Options) -> Link:
    """TCP/TLS then the WebSocket handshake, failing fast with typed errors."""
    peer = where(opts)
    reader, writer = await open_stream(opts)
    try:
        ws = WSConnection(ConnectionType.CLIENT)
        headers = [(b"Authorization", opts.authorization)] if opts.authorization else []
        writer.write(ws.send(Request(host=opts.host_header, target=opts.path,
                                     extra_headers=headers)))
        status = 0
        body = bytearray()
        while True:
            try:
                data = await reader.read(READ_SIZE)
            except OSError as exc:  # reset, or a TLS alert (TLS 1.3 refuses a client
                tls = tls_error_from(exc, peer)  # certificate after the handshake)
                if tls is not None:
                    raise tls from exc
                raise ConnectError(
                    f"{peer} closed the connection during the WebSocket handshake"
                ) from exc
            if not data:
                if status:
                    raise rejection(status, bytes(body), opts)
                if opts.tls:
                    raise TLSError(
                        f"{peer} closed the TLS connection during the WebSocket handshake "
                        "(client certificate refused?)"
                    )
                raise ConnectError(f"{peer} closed the connection during the WebSocket handshake")
            try:
                ws.receive_data(data)
                for event in ws.events():
                    if isinstance(event, AcceptConnection):
                        return Link(reader, writer, ws)
                    if isinstance(event, RejectConnection):
                        status = event.status_code
                        if not event.has_body:
                            raise rejection(status, b"", opts)
                    elif isinstance(event, RejectData):
                        body += event.data
                        if event.body_finished:
                            raise rejection(status, bytes(body), opts)
            except RemoteProtocolError as exc:
                raise ConnectError(f"{peer} answered the WebSocket upgrade badly: {exc}") from None
    except BaseException:
        abort(writer)
        raise


class WsBackend(WsState["asyncio.Future[Any]", ParkingLot, Link]):
    """Calls and subscriptions over a (re)connecting WebSocket, on asyncio."""

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

    async def _connect(self) -> Link:
        opts = self.opts
        try:
            async with asyncio.timeout(opts.connect_timeout):
                link = await open_link(opts)
        except TimeoutError:
            raise ConnectError(
                f"no WebSocket connection to {opts.url} within {opts.connect_timeout} s"
            ) from None
        log.info("connected to %s", opts.url)
        link.recorder = self.recorder
        return link

    async def start(self) -> None:
        """Open the first connection (its errors are raised) and start the supervisor."""
        link = await self._connect()
        self._install(link)
        self._supervisor = asyncio.create_task(self._supervise(link), name="dmsproto-ws")

    def _install(self, link: Link) -> None:
        """Make ``link`` the connection: renewals first, then calls may use it."""
        renew = [s for s in self.proto.subscriptions if s.active]
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

    async def _run(self, link: Link | None) -> None:
        """Serve, and (by policy) reconnect until closed or given up."""
        attempt = 0
        last: BaseException = ConnectionLost(f"connection to {self.opts.url} lost")
        while True:
            if link is not None:
                await self._serve(link)
                attempt = 0
                last = ConnectionLost(f"connection to {self.opts.url} lost")
                link = None
            attempt += 1
            delay = self._retry_delay(attempt, last)
            if delay is None:
                return
            await asyncio.sleep(delay)
            if self._closed_meanwhile():
                return
            try:
                link = await self._connect()
            except ConnectError as exc:
                log.warning("reconnect to %s failed: %s", self.opts.url, exc)
                last = exc
                continue
            self._install(link)
            self.reconnects += 1

    async def _serve(self, link: Link) -> None:
        try:
            await self._read_loop(link)
        finally:
            link.gone.set()
            for task in list(self._link_tasks):
                task.cancel()
            if link.error is None:
                link.writer.close()  # sends what is buffered (our answer to a close frame)
            else:
                link.abort()
            self._lost(link)

    def _send_renewal(
        self, link: Link, subs: Sequence[SubscriptionState]
    ) -> tuple[Call, asyncio.Future[Any]] | None:
        """Subscribe again after a reconnect (the server forgot): one request for all."""
        try:
            return self._begin(link, [s.subscribe_op() for s in subs], None)
        except DMSProtoError as exc:
            log.warning("renewing %d subscriptions failed: %s", len(subs), exc)
            return None

    async def _finish_renewal(
        self, call: Call, done: asyncio.Future[Any], subs: Sequence[SubscriptionState]
    ) -> None:
        try:
            await self._wait(call, done, self.opts.timeout or 60.0)
            results = call.results()
        except DMSProtoError as exc:
            log.warning("renewing %d subscriptions failed: %s", len(subs), exc)
            return
        self._renewed(subs, results)

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

    async def _read_loop(self, link: Link) -> None:
        """The dedicated reader: every message goes through the core, then wakes waiters."""
        receive = self.proto.receive
        read = link.reader.read
        ws = link.ws
        debug = log.isEnabledFor(logging.DEBUG)
        recorder = self.recorder
        lots = self._lots
        waiters = self._waiters
        limit = self.opts.max_message_size
        parts: list[Any] = []
        size = 0
        while True:
            try:
                data = await read(READ_SIZE)
            except OSError as exc:
                log.debug("read from %s: %s", self.opts.url, exc)
                return
            if not data:
                return
            ws.receive_data(data)
            for event in ws.events():
                if isinstance(event, Message):
                    parts.append(event.data)
                    size += len(event.data)
                    if size > limit:
                        link.error = ConnectionLost(
                            f"a message from {self.opts.url} exceeds max_message_size "
                            f"({limit} bytes)"
                        )
                        link.close(1009)
                        return
                    if not event.message_finished:
                        continue
                    message = parts[0] if len(parts) == 1 else (
                        "".join(parts) if isinstance(event, TextMessage) else b"".join(parts))
                    parts.clear()
                    size = 0
                    if recorder is not None:
                        recorder.record("recv", message, binary=isinstance(event, BytesMessage))
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
                                if done is not None and not done.done():
                                    done.set_result(None)
                            case BadFrame():
                                if ev.fatal:
                                    log.error(
                                        "protocol violation from %s: %s", self.opts.url, ev.error
                                    )
                                    link.error = ev.error
                                    return
                                log.warning("ignored from %s: %s", self.opts.url, ev.error)
                elif isinstance(event, Ping):
                    link.answer(event)
                elif isinstance(event, Pong):
                    link.pong(event.payload)
                elif isinstance(event, CloseConnection):
                    code = event.code
                    if link.error is None and code not in _QUIET_CLOSE:
                        link.error = ConnectionLost(
                            f"{self.opts.url} closed the connection: {code} {event.reason or ''}"
                        )
                    link.answer(event)
                    return

    # ----------------------------------------------------------------- calls

    async def wait_link(self, seconds: float | None) -> Link:
        """The link, waiting while a reconnect is under way (at most ``seconds``)."""
        try:
            async with asyncio.timeout(seconds):
                while (link := self._usable()) is None:
                    await self.up.wait()
                return link
        except TimeoutError:
            raise self._timeout(seconds) from None

    def _begin(
        self, link: Link, ops: Sequence[Op], root_tag: Any
    ) -> tuple[Call, asyncio.Future[Any]]:
        """Register a call and write its frames (at once, whole); its future ends the wait."""
        call = self.proto.start_call(ops, root_tag=root_tag)
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters[call] = done
        send = link.send
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
                send(text)
        except BaseException:
            self._abandon(call)
            raise
        return call, done

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
        """Send one call and wait for its answer; ``RequestTimeout`` after ``seconds``."""
        link = self.link
        if link is None:
            loop = asyncio.get_running_loop()
            started = loop.time()
            link = await self.wait_link(seconds)
            if seconds is not None:
                seconds = max(0.0, seconds - (loop.time() - started))
        call, done = self._begin(link, ops, root_tag)
        if link.congested:
            try:
                await link.drain()
            except BaseException:
                self._abandon(call)
                raise
        await self._wait(call, done, seconds)
        return call.results()

    def begin(self, ops: Sequence[Op]) -> tuple[Call, asyncio.Future[Any]]:
        """Send a call now, in the caller's step (``ConnectionLost`` without a link)."""
        link = self.link
        if link is None:
            raise ConnectionLost("no connection to the DMS")
        return self._begin(link, ops, None)

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
