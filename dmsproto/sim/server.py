"""Serving the simulator: WebSocket and HTTP POST on one port, plain or TLS, on trio.

Each accepted TCP stream is checked against the IP lists, wrapped in TLS when the
simulator has an ``ssl.SSLContext``, and read as HTTP with h11 (:mod:`dmsproto.sim.http`).
A WebSocket upgrade request is answered with 101 and the stream (plus any bytes read
past the request head) is driven with wsproto directly; any other request is answered
as HTTP. Driving wsproto (rather than trio-websocket's server) gives the DMS's wire
behaviour: responses are sent as fragments of at most 8,192 bytes of payload,
incoming messages over 4 MiB (bytes) close the connection with 1009, unmasked client
frames are accepted (2.3, :mod:`.unmasked`), a wrong path is accepted and then closed
with 1003 "Invalid path.", and faults can be injected. Every limit is in
:mod:`.limits`.

Text and binary messages are requests alike (the vendor's Node-RED nodes send binary
frames). A request that is not JSON is answered with the document's fatal-error item
(3.2.1) on the open connection; only transport failures close it (2.6): a text frame
that is not UTF-8 (1007, as RFC 6455 requires), a message over the limit (1009), a
broken frame (1002).

With ``--debug`` (the ``dmsproto`` logger at DEBUG) every connection, handshake, close
and frame is logged, frames cut to 300 characters; credentials never are.

Per WebSocket connection three tasks share one nursery: a reader (frames, pings, close
handshake), a processor (engine calls and faults, one request at a time, so responses
keep request order) and the single writer, which drains the connection's bounded
outbound channel. Events for a connection (from other connections' writes or from the
ticker) go into that channel too; a connection whose channel overflows is dropped.
"""

from __future__ import annotations

import logging
import os
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal

import msgspec
import trio
from wsproto.connection import Connection as WsConnection
from wsproto.connection import ConnectionState, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage
from wsproto.utilities import LocalProtocolError

from dmsproto.codec import encode
from dmsproto.recorder import Recorder, close_answer, http_status_answer
from dmsproto.sim.auth import IPLists, Users, certificate_identity, parse_basic_auth
from dmsproto.sim.engine import Delivery, Engine
from dmsproto.sim.fault_actions import (
    Action,
    Answer,
    Close,
    Drop,
    Extra,
    NoAnswer,
    Wait,
)
from dmsproto.sim.faults import Faults
from dmsproto.sim.http import (
    BASE_PATH,
    HttpConnection,
    PostResult,
    carry_out_post,
    handle_request,
    header,
    is_websocket_upgrade,
    target_path,
)
from dmsproto.sim.limits import (
    BODY_TIMEOUT,
    CLOSE_TIMEOUT,
    FRAGMENT_BYTES,
    IDLE_TIMEOUT,
    MAX_MESSAGE_BYTES,
    OUTBOUND_QUEUE,
    RECEIVE_BYTES,
    REQUEST_QUEUE,
)
from dmsproto.sim.plant import Plant, load_plant
from dmsproto.sim.subscriptions import Session
from dmsproto.sim.unmasked import MaskingAdapter
from dmsproto.validation import Violation, validate
from dmsproto.versions import DEFAULT_VERSION

__all__ = [
    "Simulator",
    "serve",
    "server_ssl_context",
]

log = logging.getLogger(__name__)

DEFAULT_PORT: Final = 9020
"""The DMS's port for http and ws (2.1)."""
DEFAULT_TLS_PORT: Final = 9021
"""The DMS's port for https and wss (2.1)."""
LOG_CHARS: Final = 300
"""How much of a frame a debug log line shows."""


def server_ssl_context(
    certfile: str | os.PathLike[str],
    keyfile: str | os.PathLike[str] | None = None,
    *,
    client_ca: str | os.PathLike[str] | None = None,
    secure_tls: bool = True,
) -> ssl.SSLContext:
    """A server context like the DMS's; client certificates optional.

    Args:
        certfile: the server certificate (PEM, may hold the key too).
        keyfile: its key, if not inside ``certfile``.
        client_ca: with it, client certificates issued by it are requested and
            verified (a certificate from another issuer fails the handshake: Python's
            ssl module cannot fall back to Basic auth the way the DMS does).
        secure_tls: the DMS's ``UseSecureTls=1`` (its default, 2.4.2.3): TLS 1.2 only.
            False allows other versions (TLS 1.3, and older ones as far as this
            machine's OpenSSL still offers them).

    Returns:
        The context for :class:`Simulator`.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    if secure_tls:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    else:
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.load_cert_chain(certfile, keyfile)
    if client_ca is not None:
        context.load_verify_locations(cafile=os.fspath(client_ca))
        context.verify_mode = ssl.CERT_OPTIONAL
    return context


@dataclass(slots=True)
class _Out:
    """One item for a connection's writer: a text message, a close, or a drop."""

    kind: Literal["text", "close", "drop"]
    text: str = ""
    code: int = 1000
    reason: str = ""


def _fragments(text: str) -> list[str]:
    """``text`` cut into pieces of at most FRAGMENT_BYTES UTF-8 bytes, on character bounds."""
    if text.isascii():
        return [text[i : i + FRAGMENT_BYTES]
                for i in range(0, max(len(text), 1), FRAGMENT_BYTES)]
    data = text.encode("utf-8")
    pieces: list[str] = []
    start = 0
    while start < len(data):
        end = min(start + FRAGMENT_BYTES, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1
        pieces.append(data[start:end].decode("utf-8"))
        start = end
    return pieces


class _WebSocket:
    """One server-side WebSocket connection (after the 101), driven with wsproto."""

    def __init__(self, sim: Simulator, stream: trio.abc.Stream, trailing: bytes) -> None:
        self._sim = sim
        self._stream = stream
        self._unmask = MaskingAdapter()
        self._ws = WsConnection(ConnectionType.SERVER)
        self._ws.receive_data(self._unmask.feed(trailing))
        self._lock = trio.StrictFIFOLock()
        self._out_tx, self._out_rx = trio.open_memory_channel[_Out](sim.outbound_queue_size)
        self._req_tx, self._req_rx = trio.open_memory_channel[str | bytes](REQUEST_QUEUE)
        self._peer_closed = trio.Event()
        self._done = trio.Event()
        self._closing = False
        self._close_sent = trio.Event()
        # Shielded: on shutdown the simulator closes each connection with 1001 itself
        # (go_away) before it cancels this scope; outer cancellation must not cut that.
        self._cancel = trio.CancelScope(shield=True)
        self.session: Session | None = None

    async def run(self, *, valid_path: bool) -> None:
        try:
            with self._cancel:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._reader)
                    nursery.start_soon(self._writer)
                    nursery.start_soon(self._close_deadline)
                    if valid_path:
                        nursery.start_soon(self._processor)
                    else:
                        self._out_tx.send_nowait(_Out("close", code=1003, reason="Invalid path."))
        finally:
            self._done.set()

    def _end(self) -> None:
        self._cancel.cancel()

    abort = _end

    async def _send_event(self, event: CloseConnection | TextMessage | Any) -> None:
        async with self._lock:
            data = self._ws.send(event)
            await self._stream.send_all(data)

    async def _initiate_close(self, code: int, reason: str) -> None:
        """Send a close frame; the reader ends the connection on the reply (or a deadline).

        The close is the DMS's fatal-error answer (2.6) to the requests still open,
        and the recording says so.
        """
        if self._closing:
            return
        self._closing = True
        self._sim.settle(close_answer(code), self.conn_id)
        if self._ws.state is ConnectionState.OPEN:
            await self._send_event(CloseConnection(code=code, reason=reason or None))
        self._close_sent.set()

    async def _close_deadline(self) -> None:
        """Once we sent a close frame, give the peer close_timeout to answer it."""
        await self._close_sent.wait()
        with trio.move_on_after(self._sim.close_timeout):
            await self._peer_closed.wait()
        self._end()

    async def go_away(self, code: int = 1001, reason: str = "Going away.") -> None:
        """Close with ``code`` (server shutdown) and wait until the connection is gone."""
        if not self._done.is_set():
            with suppress(trio.BrokenResourceError, trio.ClosedResourceError, LocalProtocolError):
                await self._initiate_close(code, reason)
            await self._done.wait()

    def deliver(self, text: str) -> None:
        """Queue an event frame from elsewhere; drops this connection if it cannot keep up."""
        try:
            self._out_tx.send_nowait(_Out("text", text))
        except trio.WouldBlock:
            log.warning("outbound queue of %s overflowed: dropping the connection", self.session)
            self._sim.overflows += 1
            self._end()
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            pass

    # --- reader ---------------------------------------------------------------------

    async def _reader(self) -> None:
        parts: list[str | bytes | bytearray] = []
        size = 0
        try:
            while True:
                for event in self._ws.events():
                    if isinstance(event, (TextMessage, BytesMessage)):
                        size += _byte_length(event.data)
                        if size > MAX_MESSAGE_BYTES:
                            if not self._closing:
                                log.debug("%s: message over %d bytes", self.conn_id,
                                          MAX_MESSAGE_BYTES)
                            await self._initiate_close(1009, "Message too big.")
                            parts, size = [], 0
                            continue
                        if self._closing:
                            continue
                        parts.append(event.data)
                        if event.message_finished:
                            message = self._join(parts)
                            parts, size = [], 0
                            self._sim.record("send", _as_text(message), self.conn_id)
                            log.debug("%s recv %s", self.conn_id, _preview(message))
                            await self._req_tx.send(message)
                    elif isinstance(event, Ping):
                        if self._ws.state is ConnectionState.OPEN:
                            await self._send_event(event.response())
                    elif isinstance(event, CloseConnection):
                        state = self._ws.state
                        if state is ConnectionState.REMOTE_CLOSING:
                            await self._send_event(event.response())
                            self._end()
                            return
                        if state is ConnectionState.CLOSED:
                            self._peer_closed.set()
                            self._end()
                            return
                        # OPEN: wsproto could not parse a frame; event says why.
                        log.debug("%s: broken frame (%s %s)", self.conn_id, event.code,
                                  event.reason)
                        await self._initiate_close(event.code, event.reason or "")
                data = await self._stream.receive_some(RECEIVE_BYTES)
                if not data:
                    self._peer_closed.set()
                    self._end()
                    return
                self._ws.receive_data(self._unmask.feed(bytes(data)))
        except (trio.BrokenResourceError, trio.ClosedResourceError, LocalProtocolError):
            self._peer_closed.set()
            self._end()

    @staticmethod
    def _join(parts: list[str | bytes | bytearray]) -> str | bytes:
        """A text message as text; a binary one as its bytes (the engine reads UTF-8)."""
        if all(isinstance(p, str) for p in parts):
            return "".join(p for p in parts if isinstance(p, str))
        return b"".join(bytes(p) for p in parts if not isinstance(p, str))

    # --- writer ---------------------------------------------------------------------

    async def _writer(self) -> None:
        try:
            async for item in self._out_rx:
                if item.kind == "text":
                    await self._send_text(item.text)
                elif item.kind == "close":
                    await self._initiate_close(item.code, item.reason)
                    return
                else:
                    await trio.aclose_forcefully(self._stream)
                    self._end()
                    return
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            self._end()
        except LocalProtocolError:
            return  # closing: no more data frames

    @property
    def conn_id(self) -> str:
        """Names this connection in recordings."""
        return f"ws-{self.session.id}" if self.session is not None else f"ws-{id(self)}"

    async def _send_text(self, text: str) -> None:
        self._sim.record("recv", text, self.conn_id)
        log.debug("%s send %s", self.conn_id, _preview(text))
        pieces = _fragments(text)
        last = len(pieces) - 1
        for index, piece in enumerate(pieces):
            await self._send_event(TextMessage(data=piece, message_finished=index == last))

    # --- processor ------------------------------------------------------------------

    async def _processor(self) -> None:
        async for text in self._req_rx:
            try:
                keep_going = await self._answer(text)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                return
            if not keep_going:
                return

    async def _emit(self, text: str) -> None:
        await self._out_tx.send(_Out("text", text))

    async def _answer(self, text: str | bytes) -> bool:
        """Process one request; False once the connection is being closed or dropped."""
        sim = self._sim
        session = self.session
        assert session is not None  # the processor runs only with a session
        try:
            reply = sim.engine.handle(session, text)
        except Exception as exc:  # an engine bug must not take the server down
            log.exception("engine failed on a request")
            sim.errors.append(exc)
            await self._out_tx.send(_Out("close", code=1011, reason="Internal error."))
            return False
        own = [d.frame for d in reply.deliveries if d.session is session]
        sim.route([d for d in reply.deliveries if d.session is not session])
        return await self._carry_out(sim.faults.plan(_as_text(text), "websocket"),
                                     reply.response, own)

    async def _carry_out(self, actions: tuple[Action, ...], response: Any,
                         own: list[Any]) -> bool:
        """Walk one request's fault plan; False once it ends the connection.

        The WebSocket executor of the plan (order and what a WebSocket can do:
        :class:`~dmsproto.sim.fault_actions.Phase`). ``own`` are the event frames the
        request raised for this connection: they follow the answer.
        """
        encode = self._sim.encode_frame
        for action in actions:
            match action:
                case Wait():
                    await action.wait()
                case Extra():
                    await self._emit(action.render(response, encode))
                case NoAnswer():
                    pass
                case Answer():
                    text = action.render(response, encode)
                    if text is not None:
                        await self._emit(text)
                    for frame in own:
                        await self._emit(encode(frame))
                case Drop():
                    await self._out_tx.send(_Out("drop"))
                    return False
                case Close(code=code, reason=reason):
                    await self._out_tx.send(_Out("close", code=code, reason=reason))
                    return False
                case _:
                    raise ValueError(f"a WebSocket cannot carry out {action!r}")
        return True


def _byte_length(data: str | bytes | bytearray) -> int:
    """The size of a message piece in bytes (text counts as UTF-8)."""
    if isinstance(data, str):
        return len(data) if data.isascii() else len(data.encode("utf-8", "surrogatepass"))
    return len(data)


def _as_text(message: str | bytes) -> str:
    """A message as text for recordings and fault matching (bad UTF-8 replaced)."""
    return message if isinstance(message, str) else message.decode("utf-8", "replace")


def _preview(message: str | bytes) -> str:
    """A frame for a debug log line: at most LOG_CHARS characters, with its size."""
    text = _as_text(message)
    kind = "text" if isinstance(message, str) else "binary"
    if len(text) <= LOG_CHARS:
        return f"({kind}) {text}"
    return f"({kind}, {len(text)} chars) {text[:LOG_CHARS]}..."


def _safe_peer(stream: trio.SocketStream) -> str:
    try:
        return _peer_address(stream)
    except OSError:
        return "a peer"


def _peer_address(stream: trio.SocketStream) -> str:
    name = stream.socket.getpeername()
    if isinstance(name, tuple):
        return str(name[0])
    return str(name)


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


class Simulator:
    """A DMS simulator listening on one port (WebSocket and HTTP POST), for tests and demos.

    ``async with Simulator() as sim:`` binds ``host``:``port``, serves until the block
    ends, then closes every WebSocket with 1001 and stops.

    Args:
        plant: the plant to serve: a ``Plant``, a plant file, its JSON as a dict, or
            ``None`` for the demo plant.
        host: the address to listen on.
        port: the port to listen on; 0 picks a free one (read it from ``port``).
        ssl_context: serve TLS with this context (``server_ssl_context``); clients
            then authenticate by certificate or Basic auth against ``users``.
        users: the users and their passwords or certificates: a ``Users``, or the
            path of a users file.
        allow: the IP lists (default: plain connections from the local host only).
        clock: where the engine's time comes from (default: the wall clock, UTC).
        tick_interval: seconds between ``System:Time`` ticks; ``None``: no ticker and
            no blinkers (call ``tick()``); the blinkers flip at their own periods
            meanwhile.
        faults: the misbehaviour to play (``Faults``); default none.
        protocol: the protocol version spoken.
        validate_outgoing: check every frame sent against the schema and keep what
            fails in ``violations``.
        engine: an engine to serve instead of one made from ``plant`` and ``clock``.
        outbound_queue_size: frames waiting for one WebSocket's writer before the
            connection is dropped (``limits.OUTBOUND_QUEUE``).
        close_timeout: seconds a peer has to answer our WebSocket close frame.
        idle_timeout: seconds an HTTP connection may wait for its next request.
        body_timeout: seconds the body of an HTTP POST may take after its head.
        record: record every message in the JSON Lines capture format that
            ``dmsproto validate`` reads: a path or a ``Recorder``.
        auth_required: the DMS's ``AuthRequired`` (2.4.2.3): ``True`` refuses
            unauthenticated TLS requests (401), ``False`` lets them in
            unauthenticated; ``None`` requires authentication exactly when ``users``
            are given (``dmsproto serve`` requires it on TLS, as the DMS does).

    Raises:
        PlantError: the plant cannot be read.
        UnknownVersionError: a protocol version dmsproto does not ship.

    Attributes:
        engine: the engine answering every request (its plant, sessions, clock).
        faults: the misbehaviour being played; change it while serving.
        violations: outgoing frames that failed validation, with what failed (with
            ``validate_outgoing``).
        errors: internal failures (an engine error answers 500, and is kept here
            for a test to see).
        recorder: the recorder of every message, if recording.
    """

    def __init__(
        self,
        plant: Plant | str | Path | dict[str, Any] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        users: Users | str | os.PathLike[str] | None = None,
        allow: IPLists | None = None,
        clock: Any = None,
        tick_interval: float | None = 1.0,
        faults: Faults | None = None,
        protocol: str = DEFAULT_VERSION,
        validate_outgoing: bool = False,
        engine: Engine | None = None,
        outbound_queue_size: int = OUTBOUND_QUEUE,
        close_timeout: float = CLOSE_TIMEOUT,
        idle_timeout: float = IDLE_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
        record: Recorder | str | os.PathLike[str] | None = None,
        auth_required: bool | None = None,
    ) -> None:
        if engine is None:
            loaded = plant if isinstance(plant, Plant) else load_plant(plant)
            engine = Engine(loaded, clock=clock, protocol=protocol)
        self.engine: Engine = engine
        self.faults: Faults = faults if faults is not None else Faults()
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.users: Users | None = (
            users if users is None or isinstance(users, Users) else Users.load(users)
        )
        self.allow: IPLists = allow if allow is not None else IPLists()
        self.auth_required = self.users is not None if auth_required is None else auth_required
        self.tick_interval = tick_interval
        self.protocol = protocol
        self.validate_outgoing = validate_outgoing
        self.outbound_queue_size = outbound_queue_size
        self.close_timeout = close_timeout
        self.idle_timeout = idle_timeout
        self.body_timeout = body_timeout
        self.violations: list[tuple[Any, list[Violation]]] = []
        self.errors: list[BaseException] = []
        self.refused = 0
        """Connections refused by the IP lists."""
        self.overflows = 0
        """Connections dropped because their outbound queue overflowed."""
        self.undeliverable = 0
        """Deliveries for sessions without a live connection."""
        self._sessions: dict[int, tuple[Session, _WebSocket]] = {}
        self._live: set[_WebSocket] = set()
        self._changed = trio.Event()
        self._stopping = False
        self._cm: AbstractAsyncContextManager[Simulator] | None = None
        self._owns_recorder = record is not None and not isinstance(record, Recorder)
        self.recorder: Recorder | None = (
            record if record is None or isinstance(record, Recorder) else Recorder(record)
        )

    # --- public -----------------------------------------------------------------------

    @property
    def tls(self) -> bool:
        """Whether the simulator serves TLS."""
        return self.ssl_context is not None

    @property
    def url(self) -> str:
        """Where WebSocket clients connect: ``ws://`` or ``wss://host:port/json_data``."""
        scheme = "wss" if self.tls else "ws"
        return f"{scheme}://{_url_host(self.host)}:{self.port}{BASE_PATH}"

    @property
    def http_url(self) -> str:
        """Where HTTP POST clients connect: ``http://`` or ``https://host:port/json_data``."""
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{_url_host(self.host)}:{self.port}{BASE_PATH}"

    @property
    def connections(self) -> int:
        """Open WebSocket connections (with or without an engine session)."""
        return len(self._live)

    async def wait_connections(self, count: int) -> None:
        """Return once exactly ``count`` WebSocket connections are open.

        Args:
            count: the number of open connections to wait for.
        """
        while len(self._live) != count:
            await self._changed.wait()

    def tick(self) -> int:
        """Run one engine tick now and deliver its events.

        Returns:
            How many event frames were delivered.
        """
        deliveries = self.engine.tick()
        self.route(deliveries)
        return len(deliveries)

    def route(self, deliveries: list[Delivery]) -> None:
        """Queue each delivery on its session's connection.

        Args:
            deliveries: event frames for sessions (a session without a live
                connection counts in ``undeliverable``).
        """
        for delivery in deliveries:
            entry = self._sessions.get(id(delivery.session))
            if entry is None or entry[0] is not delivery.session:
                self.undeliverable += 1
                continue
            entry[1].deliver(self.encode_frame(delivery.frame))

    def encode_frame(self, frame: Any) -> str:
        """JSON text of an outgoing frame, validated first when ``validate_outgoing``.

        Args:
            frame: the frame (a generated struct or plain JSON values).

        Returns:
            The frame's JSON text.
        """
        data = encode(frame)
        if self.validate_outgoing:
            plain = msgspec.json.decode(data)  # the frame as the client will see it
            violations = validate(plain, direction="recv", protocol=self.protocol)
            if violations:
                log.warning("simulator sent an invalid frame: %s", violations)
                self.violations.append((plain, violations))
        return data.decode("utf-8")

    async def __aenter__(self) -> Simulator:
        self._cm = self._running()
        return await self._cm.__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        assert self._cm is not None
        try:
            return await self._cm.__aexit__(exc_type, exc, tb)
        finally:
            if self._owns_recorder and self.recorder is not None:
                self.recorder.close()

    # --- running ----------------------------------------------------------------------

    @asynccontextmanager
    async def _running(self) -> AsyncIterator[Simulator]:
        listeners = await trio.open_tcp_listeners(self.port, host=self.host)
        async with trio.open_nursery() as nursery:
            await nursery.start(
                partial(trio.serve_listeners, self._handle_stream, listeners,
                        handler_nursery=nursery)
            )
            self.port = int(listeners[0].socket.getsockname()[1])
            if self.tick_interval:
                nursery.start_soon(self._ticker, self.tick_interval)
                nursery.start_soon(self._blinker)
            try:
                yield self
            finally:
                self._stopping = True
                with trio.CancelScope(shield=True):
                    with trio.move_on_after(self.close_timeout):
                        async with trio.open_nursery() as closers:
                            for websocket in list(self._live):
                                closers.start_soon(websocket.go_away)
                    for websocket in list(self._live):
                        websocket.abort()
                nursery.cancel_scope.cancel()

    async def _ticker(self, interval: float) -> None:
        deadline = trio.current_time()
        while True:
            deadline += interval
            await trio.sleep_until(deadline)
            self.tick()

    async def _blinker(self) -> None:
        """Wake when the next blinker flips (by the engine's clock), whatever the tick."""
        while True:
            due = self.engine.next_blink()
            if due is None:
                return
            # a flip already due (the process was held up since next_blink) happens now
            await trio.sleep(max(0.0, (due - self.engine.now()).total_seconds()))
            self.route(self.engine.blink())

    async def _handle_stream(self, tcp: trio.SocketStream) -> None:
        stream: trio.abc.Stream = tcp
        try:
            peer = _peer_address(tcp)
            if self._stopping or not self.allow.permits(peer, tls=self.tls):
                if not self._stopping:
                    log.info("refused a %s connection from %s", "TLS" if self.tls else "plain",
                             peer)
                    self.refused += 1
                return
            log.debug("connection from %s (%s)", peer, "TLS" if self.tls else "plain")
            cert_user = None
            if self.ssl_context is not None:
                ssl_stream = trio.SSLStream(tcp, self.ssl_context, server_side=True,
                                            https_compatible=True)
                with trio.move_on_after(self.idle_timeout) as scope:
                    try:
                        await ssl_stream.do_handshake()
                    except trio.BrokenResourceError as exc:
                        log.debug("%s: TLS handshake failed: %s", peer, exc.__cause__ or exc)
                        return
                if scope.cancelled_caught:
                    log.debug("%s: no TLS handshake within %s s", peer, self.idle_timeout)
                    return
                stream = ssl_stream
                cert_user = self._certificate_user(ssl_stream.getpeercert())
                log.debug("%s: %s, client certificate %s", peer, ssl_stream.version(),
                          "of " + cert_user if cert_user else "none accepted")
            await self._serve_http(stream, peer, cert_user)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            log.debug("%s: connection lost", _safe_peer(tcp))
        except Exception as exc:  # one broken connection must not stop the server
            log.exception("connection failed")
            self.errors.append(exc)
        finally:
            await trio.aclose_forcefully(stream)

    def _certificate_user(self, peer_cert: Any) -> str | None:
        identity = certificate_identity(peer_cert)
        if identity is None or self.users is None:
            return None
        name, serial = identity
        return name if self.users.check_certificate(name, serial) else None

    def _authenticate(self, authorization: bytes | None, cert_user: str | None
                      ) -> tuple[str | None, bool]:
        """``(user, authorized)`` for a request: certificate first, then Basic auth.

        On TLS without either, a request is authorized only when authentication is
        not required.
        """
        if not self.tls:
            return None, True
        if cert_user is not None:
            return cert_user, True
        credentials = parse_basic_auth(authorization)
        if (credentials is not None and self.users is not None
                and self.users.check_password(*credentials)):
            return credentials[0], True
        return None, not self.auth_required

    async def _serve_http(self, stream: trio.abc.Stream, peer: str, cert_user: str | None
                          ) -> None:
        connection = HttpConnection(stream)
        while True:
            request = None
            with trio.move_on_after(self.idle_timeout):
                request = await connection.next_request()
            if request is None:
                return
            user, authorized = self._authenticate(header(request, b"authorization"), cert_user)
            log.debug("%s: %s %s%s", peer, request.method.decode("ascii", "replace"),
                      bytes(request.target)[:200].decode("latin-1"),
                      f" as {user}" if user else "" if authorized else " (not authenticated)")
            if is_websocket_upgrade(request):
                if not authorized:
                    await connection.send_text(
                        401, "Unauthorized.", close=True,
                        headers=[(b"WWW-Authenticate", b'Basic realm="DMS JSON"')])
                    return
                trailing = await connection.accept_websocket(request)
                if trailing is not None:
                    await self._run_websocket(stream, trailing, peer=peer, user=user,
                                              valid_path=target_path(request) == BASE_PATH)
                return

            async def post(body: bytes, user: str | None) -> PostResult:
                return await self._post(body, user=user, peer=peer)

            keep = await handle_request(connection, request, authorized=authorized,
                                        post=post, user=user, body_timeout=self.body_timeout)
            if not keep:
                return
            connection.next_cycle()

    def record(self, direction: Literal["send", "recv"], text: str, conn: str, *,
               http: bool = False) -> None:
        """Write one message to the recording, if any.

        Args:
            direction: ``send`` (the client spoke) or ``recv`` (the simulator spoke).
            text: the message.
            conn: names the connection in the recording.
            http: the message is an HTTP POST body.
        """
        if self.recorder is not None:
            self.recorder.record(direction, text, conn=conn, http=http)

    def settle(self, reason: str, conn: str) -> None:
        """Mark the recorded requests still open on ``conn`` as answered outside the protocol.

        An HTTP error status and a close frame are the DMS's fatal-error answers (2.6):
        validating the recording then does not call those requests unanswered.

        Args:
            reason: what answered them, as the validation report's note gives it.
            conn: names the connection in the recording.
        """
        if self.recorder is not None:
            self.recorder.settled(reason, conn=conn, every=True)

    async def _post(self, body: bytes, *, user: str | None, peer: str) -> PostResult:
        session = self.engine.open_session(peer=peer, user=user, websocket=False)
        conn = f"http-{session.id}"
        text = _as_text(body)
        self.record("send", text, conn, http=True)
        log.debug("%s recv %s", conn, _preview(text))
        try:
            reply = self.engine.handle(session, body)
        except Exception as exc:  # an engine bug must not take the server down
            log.exception("engine failed on a request")
            self.errors.append(exc)
            return PostResult("Internal error.", status=500)
        finally:
            self.engine.close_session(session)
        self.route([d for d in reply.deliveries if d.session is not session])
        result = await carry_out_post(self.faults.plan(text, "http"), reply.response,
                                      self.encode_frame)
        if result.body and result.status == 200:
            self.record("recv", result.body, conn, http=True)
        elif result.body is not None:
            self.settle(http_status_answer(result.status), conn)
        log.debug("%s send %s %s", conn, result.status,
                  "(no answer)" if result.body is None else _preview(result.body))
        return result

    async def _run_websocket(self, stream: trio.abc.Stream, trailing: bytes, *, peer: str,
                             user: str | None, valid_path: bool) -> None:
        websocket = _WebSocket(self, stream, trailing)
        session = None
        if valid_path:
            session = self.engine.open_session(peer=peer, user=user, websocket=True)
            websocket.session = session
            self._sessions[id(session)] = (session, websocket)
        self._live.add(websocket)
        self._notify()
        log.debug("%s: WebSocket from %s open%s", websocket.conn_id, peer,
                  "" if valid_path else " on a wrong path")
        try:
            await websocket.run(valid_path=valid_path)
        finally:
            log.debug("%s: WebSocket closed", websocket.conn_id)
            self._live.discard(websocket)
            if session is not None:
                del self._sessions[id(session)]
                self.engine.close_session(session)
            self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = trio.Event()


async def serve(
    plant: Plant | str | Path | dict[str, Any] | None = None,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    ssl_context: ssl.SSLContext | None = None,
    users: Users | str | os.PathLike[str] | None = None,
    allow: IPLists | None = None,
    tick_interval: float | None = 1.0,
    protocol: str = DEFAULT_VERSION,
    announce: Callable[[str], object] = print,
    task_status: trio.TaskStatus[Simulator] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run a simulator until cancelled (Ctrl-C), announcing its URLs; for the command line.

    On cancellation every WebSocket is closed with 1001 before the listener goes away.

    Args:
        plant: the plant (as for ``Simulator``).
        host: the address to listen on.
        port: the port; ``None`` is the DMS's: 9020 plain, 9021 with TLS.
        ssl_context: serve TLS with this context.
        users: the users (as for ``Simulator``).
        allow: the IP lists (as for ``Simulator``).
        tick_interval: seconds between ``System:Time`` ticks.
        protocol: the protocol version spoken.
        announce: called with the line that says where the simulator listens.
        task_status: trio's start protocol: ``nursery.start(serve)`` returns the
            running ``Simulator``.
    """
    if port is None:
        port = DEFAULT_TLS_PORT if ssl_context is not None else DEFAULT_PORT
    async with Simulator(plant, host=host, port=port, ssl_context=ssl_context, users=users,
                         allow=allow, tick_interval=tick_interval, protocol=protocol) as sim:
        announce(f"DMS simulator listening: WebSocket {sim.url}  HTTP POST {sim.http_url}")
        task_status.started(sim)
        await trio.sleep_forever()
