"""A WebSocket through the proxy: the two handshakes, then two pumps in one nursery.

Both sides are driven with wsproto directly, so the proxy controls the framing:
every frame is passed on as a frame of the same kind (text stays text, binary
stays binary) with the same fragmentation; pings and pongs pass with their
payloads; a close frame passes with its code and reason, and the reply comes
back the same way.  Each pump reads one side, forwards what it read as one
write to the other side and only then reads again, so a slow reader slows the
sender down (TCP back-pressure) and the memory per connection stays bounded
(one read, one frame and one message kept for validation, each capped by
:class:`~.config.Limits`).

Validation sees each whole message: a request before its last frame is
forwarded (so its response can never be checked before it, and
``--block-invalid`` can still refuse it), a response or event right after it
was forwarded (no added latency).  A frame held back for ``--block-invalid`` is
the only thing that waits for validation.

Where text frames split a multi-byte character, wsproto hands the bytes of the
character to the frame where it completes: such a frame boundary moves by up to
three bytes; nothing else about the framing changes.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any

import h11
import trio
from wsproto.connection import Connection as WsConnection
from wsproto.connection import ConnectionState, ConnectionType
from wsproto.events import (
    BytesMessage,
    CloseConnection,
    Event,
    Message,
    Ping,
    Pong,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError, generate_accept_token

from ..errors import ConnectionLost, ProtocolError
from ..versions import Direction
from .config import Limits, Upstream
from .http1 import Headers, Peer, end_to_end, header, raw_headers
from .refusal import refusal
from .witness import Witness

GOING_AWAY = 1001
_OWN_HANDSHAKE = frozenset({b"host", b"sec-websocket-key", b"sec-websocket-version",
                            b"sec-websocket-extensions", b"sec-websocket-accept",
                            b"content-length"})


# --------------------------------------------------------------------------- handshakes


@dataclass(frozen=True)
class Accepted:
    """The DMS accepted the upgrade: its 101 headers and the bytes after them."""

    headers: Headers
    trailing: bytes


@dataclass(frozen=True)
class Refused:
    """The DMS answered the upgrade with an HTTP response: passed on to the client."""

    status: int
    reason: bytes
    headers: Headers
    body: bytes


async def upstream_upgrade(stream: trio.abc.Stream, upstream: Upstream, request: h11.Request,
                           limits: Limits) -> Accepted | Refused:
    """Send the client's upgrade request on to the DMS (with our own key) and read the answer.

    The client's headers pass end to end (``Authorization``, ``Origin``, cookies,
    ``Sec-WebSocket-Protocol``); ``Host`` names the DMS; extensions are not offered
    (the proxy must read every frame).

    Raises:
        ConnectionLost: the DMS closed the connection before answering.
        ProtocolError: the DMS's answer is not HTTP or has a wrong accept key.
    """
    key = base64.b64encode(os.urandom(16))
    headers = [(b"Host", upstream.host_header),
               *end_to_end(raw_headers(request), drop=_OWN_HANDSHAKE),
               (b"Upgrade", b"websocket"), (b"Connection", b"Upgrade"),
               (b"Sec-WebSocket-Key", key), (b"Sec-WebSocket-Version", b"13")]
    peer = Peer(h11.CLIENT, stream, max_head=limits.max_head, receive_size=limits.receive_size)
    await peer.send(h11.Request(method=b"GET", target=upstream.target(bytes(request.target)),
                                headers=headers), h11.EndOfMessage())
    event = await peer.next_event()
    if isinstance(event, h11.InformationalResponse) and event.status_code == 101:
        if header(event.headers, b"sec-websocket-accept") != generate_accept_token(key):
            raise ProtocolError("the DMS answered the WebSocket handshake with a wrong "
                                "Sec-WebSocket-Accept")
        return Accepted(raw_headers(event), peer.trailing)
    if isinstance(event, h11.Response):
        body: list[bytes] = []
        size = 0
        while True:
            part = await peer.next_event()
            if isinstance(part, h11.Data):
                size += len(part.data)
                if size <= limits.max_head:
                    body.append(bytes(part.data))
            elif isinstance(part, (h11.EndOfMessage, h11.ConnectionClosed)):
                break
        return Refused(event.status_code, bytes(event.reason), raw_headers(event),
                       b"".join(body))
    raise ConnectionLost("the DMS closed the connection during the WebSocket handshake")


async def accept_client(peer: Peer, request: h11.Request, accepted: Accepted) -> bytes:
    """Answer the client's upgrade with 101 (the DMS's subprotocol and headers passed on);
    returns the bytes the client sent after its request."""
    key = header(request.headers, b"sec-websocket-key") or b""
    headers = [(b"Upgrade", b"websocket"), (b"Connection", b"Upgrade"),
               (b"Sec-WebSocket-Accept", generate_accept_token(key)),
               *end_to_end(accepted.headers, drop=_OWN_HANDSHAKE)]
    await peer.send(h11.InformationalResponse(status_code=101, headers=headers))
    return peer.trailing


def handshake_problem(request: h11.Request) -> tuple[int, str, Headers] | None:
    """Why the client's upgrade request cannot be forwarded (status, text, headers)."""
    if header(request.headers, b"sec-websocket-version") != b"13":
        return 426, "Unsupported WebSocket version.", [(b"Sec-WebSocket-Version", b"13")]
    if not header(request.headers, b"sec-websocket-key"):
        return 400, "Missing Sec-WebSocket-Key.", []
    return None


# ------------------------------------------------------------------------------- frames


class _Side:
    """One end of the session: the stream, its wsproto connection, one writer at a time."""

    def __init__(self, name: str, stream: trio.abc.Stream, ws: WsConnection) -> None:
        self.name = name
        self.stream = stream
        self.ws = ws
        self.lock = trio.StrictFIFOLock()
        self.ended_by_eof = False

    @property
    def closed(self) -> bool:
        return self.ws.state is ConnectionState.CLOSED

    async def send(self, events: list[Event]) -> None:
        """Send ``events`` as one write; what the connection's state no longer allows
        (data after a close frame) is dropped, as the peer would drop it."""
        async with self.lock:
            ws = self.ws
            chunks = []
            for event in events:
                state = ws.state
                if state is ConnectionState.OPEN or (
                        type(event) is CloseConnection
                        and state is ConnectionState.REMOTE_CLOSING):
                    chunks.append(ws.send(event))
            if chunks:
                await self.stream.send_all(b"".join(chunks))


class _Assembly:
    """The frame and the message in progress from one side."""

    __slots__ = ("frame", "frame_size", "held", "parts", "size", "too_big")

    def __init__(self) -> None:
        self.frame: list[Any] = []
        self.frame_size = 0
        self.parts: list[Any] = []
        self.size = 0
        self.too_big = False
        self.held: list[Event] = []

    def take_message(self) -> str | bytes | None:
        """The finished message (None when it was too big to keep); resets."""
        parts, too_big = self.parts, self.too_big
        self.parts, self.size, self.too_big = [], 0, False
        if too_big:
            return None
        if len(parts) == 1:
            part = parts[0]
            return part if type(part) is str else bytes(part)
        if parts and type(parts[0]) is str:
            return "".join(parts)
        return b"".join(bytes(p) for p in parts)


def _frame(event: Message[Any], data: Any, message_finished: bool) -> Event:
    if type(event) is TextMessage:
        return TextMessage(data=data, message_finished=message_finished)
    return BytesMessage(data=data, message_finished=message_finished)


def _join(parts: list[Any]) -> Any:
    if type(parts[0]) is str:
        return "".join(parts)
    return b"".join(bytes(p) for p in parts)


class WebSocketSession:
    """One client's WebSocket and its own DMS connection, both owned by :meth:`run`.

    Ends when both close handshakes are done, when either side's connection breaks
    (the other is then dropped too, as the client would have seen it), or
    ``close_timeout`` after a close frame passed.
    """

    def __init__(self, name: str, witness: Witness, *, client: trio.abc.Stream,
                 client_trailing: bytes, dms: trio.abc.Stream, dms_trailing: bytes,
                 limits: Limits, block_invalid: bool = False) -> None:
        self.name = name
        self.witness = witness
        self.limits = limits
        self.block_invalid = block_invalid
        self.client = _Side("client", client,
                            WsConnection(ConnectionType.SERVER, trailing_data=client_trailing))
        self.dms = _Side("DMS", dms,
                         WsConnection(ConnectionType.CLIENT, trailing_data=dms_trailing))
        self._closing = trio.Event()
        self._cancel = trio.CancelScope()
        self.ending = "closed"
        """How the session ended, for the connection's closing notice."""

    async def run(self) -> None:
        self.witness.open_stream(self.name)
        try:
            with self._cancel:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._pump, self.client, self.dms, "send")
                    nursery.start_soon(self._pump, self.dms, self.client, "recv")
                    nursery.start_soon(self._close_deadline)
        finally:
            with trio.CancelScope(shield=True):
                await trio.aclose_forcefully(self.client.stream)
                await trio.aclose_forcefully(self.dms.stream)
            self.witness.end_stream(self.name)

    async def _close_deadline(self) -> None:
        await self._closing.wait()
        await trio.sleep(self.limits.close_timeout)
        self.ending = f"{self.ending}; close handshake unfinished after " \
                      f"{self.limits.close_timeout:g} s"
        self._cancel.cancel()

    # --- pumping --------------------------------------------------------------------

    async def _pump(self, src: _Side, dst: _Side, direction: Direction) -> None:
        assembly = _Assembly()
        receive = src.stream.receive_some
        size = self.limits.receive_size
        while True:
            forward: list[Event] = []
            answer: list[Event] = []
            done: list[str | bytes] = []
            self._read_events(src, dst, direction, assembly, forward, answer, done)
            for side, events in ((src, answer), (dst, forward)):
                if not events:
                    continue
                try:
                    await side.send(events)
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    self._lost(side)
                    return
            for message in done:
                self.witness.message(self.name, direction, message)
            if self.client.closed and self.dms.closed:
                self._cancel.cancel()
                return
            try:
                received = await receive(size)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                received = b""
            if not received:
                if not src.closed:
                    self._lost(src)
                else:
                    self._cancel.cancel()
                return
            try:
                src.ws.receive_data(bytes(received))
            except LocalProtocolError:  # data after the close handshake: nothing to do
                continue

    def _lost(self, side: _Side) -> None:
        who = "client" if side is self.client else "DMS"
        event = "client-lost" if side is self.client else "upstream-lost"
        self.witness.notice(self.name, event,
                            f"the {who} connection broke without a close handshake")
        self.ending = f"{who} connection lost"
        self._cancel.cancel()

    def _read_events(self, src: _Side, dst: _Side, direction: Direction, assembly: _Assembly,
                     forward: list[Event], answer: list[Event],
                     done: list[str | bytes]) -> None:
        """Turn what ``src`` sent into frames for ``dst`` (``forward``), frames back to
        ``src`` (``answer``) and finished messages to validate after forwarding (``done``)."""
        limit = self.limits.max_message
        hold = self.block_invalid and direction == "send"
        for event in src.ws.events():
            kind = type(event)
            if kind is TextMessage or kind is BytesMessage:
                assert isinstance(event, Message)
                data = event.data
                if not assembly.too_big:
                    assembly.size += len(data)
                    if assembly.size > limit:
                        assembly.too_big = True
                        assembly.parts = []
                        if assembly.held:
                            forward.extend(assembly.held)
                            assembly.held = []
                    else:
                        assembly.parts.append(data)
                frame: Event | None = None
                if event.frame_finished and not assembly.frame:
                    frame = _frame(event, data, event.message_finished)
                else:
                    assembly.frame.append(data)
                    assembly.frame_size += len(data)
                    if event.frame_finished or assembly.frame_size >= limit:
                        frame = _frame(event, _join(assembly.frame),
                                       event.message_finished and event.frame_finished)
                        assembly.frame, assembly.frame_size = [], 0
                if frame is not None:
                    (assembly.held if hold and not assembly.too_big else forward).append(frame)
                if event.message_finished:
                    self._message_done(src, direction, assembly, forward, answer, done)
            elif kind is Ping:
                assert isinstance(event, Ping)
                forward.append(Ping(payload=event.payload))
            elif kind is Pong:
                assert isinstance(event, Pong)
                forward.append(Pong(payload=event.payload))
            elif kind is CloseConnection:
                assert isinstance(event, CloseConnection)
                if not self._closing.is_set():
                    self._closing.set()
                    who = "client" if src is self.client else "DMS"
                    self.ending = f"{who} closed with {int(event.code)}" + (
                        f" {event.reason!r}" if event.reason else "")
                if src.ws.state is ConnectionState.OPEN:  # wsproto could not read a frame
                    self._framing_error(src, event, forward, answer)
                else:
                    forward.append(CloseConnection(code=event.code, reason=event.reason))

    def _message_done(self, src: _Side, direction: Direction, assembly: _Assembly,
                      forward: list[Event], answer: list[Event],
                      done: list[str | bytes]) -> None:
        message = assembly.take_message()
        held, assembly.held = assembly.held, []
        if message is None:
            self.witness.notice(self.name, "unvalidated",
                                f"a {direction} message over {self.limits.max_message:,} "
                                "bytes passed unchecked")
            forward.extend(held)
            return
        if direction == "recv":
            done.append(message)
            return
        findings = self.witness.message(self.name, direction, message)
        if not self.block_invalid or not any(f.severity == "error" for f in findings):
            forward.extend(held)
            return
        reply = refusal(message, findings)
        self.witness.notice(self.name, "blocked",
                            f"request {findings[0].message_number} refused, not forwarded "
                            f"({sum(f.severity == 'error' for f in findings)} errors)")
        answer.append(TextMessage(data=reply))
        self.witness.message(self.name, "recv", reply)

    def _framing_error(self, src: _Side, event: CloseConnection, forward: list[Event],
                       answer: list[Event]) -> None:
        who = "client" if src is self.client else "DMS"
        self.witness.framing(self.name, "send" if src is self.client else "recv",
                             f"the {who} broke the WebSocket protocol: {event.reason} "
                             f"(closed with {int(event.code)})")
        answer.append(CloseConnection(code=event.code, reason=event.reason))
        forward.append(CloseConnection(code=GOING_AWAY, reason="Going away."))


__all__ = ["Accepted", "Refused", "WebSocketSession", "accept_client", "handshake_problem",
           "upstream_upgrade"]
