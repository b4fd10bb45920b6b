"""A WebSocket through the proxy: one client, its own DMS connection, two pumps in a nursery.

Each pump reads one side and writes the other.  What it reads is cut into frames
(:class:`~.frames.FrameSplitter`): a plain frame (a final text or binary frame, the
form of nearly every DMS message) is forwarded as the exact bytes that came in;
every other frame is read by wsproto, which checks it against RFC 6455, and
passed on as a frame of the same kind with the same fragmentation; pings and
pongs pass with their payloads; a close frame passes with its code and reason, and
the reply comes back the same way.  A frame wsproto cannot read ends the session:
the offender gets the close code wsproto names, the other side 1001.

A pump forwards what it read as one write (at most :data:`FORWARD_BATCH`
messages, so a large read keeps the other side busy early), then checks the
messages it read (:class:`~.backlog.Backlog`), and only then reads again, so a
slow reader slows the sender down (TCP back-pressure) and checking never falls
behind.  Memory per connection stays bounded: one read, one frame and one message
kept for checking, each capped by :class:`~.config.Limits`, and the messages of
the last read waiting to be checked.  Checking happens off the forwarding path,
except that ``--block-invalid`` holds each request until it has been checked.

Where wsproto re-sends a fragmented text message and a fragment ends inside a
multi-byte character, the bytes of that character move to the next fragment;
nothing else about the framing changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from typing import Any, Final

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
from wsproto.frame_protocol import CloseReason
from wsproto.utilities import LocalProtocolError

from ..recorder import close_answer
from ..versions import Direction
from .backlog import Backlog
from .config import Limits
from .frames import FrameSplitter, Other, Plain
from .refusal import blocked_notice, refusal
from .witness import STOPPED, Witness

GOING_AWAY: Final = 1001
PROXY_STOPPED: Final = "The proxy stopped."
"""The close reason both peers of a WebSocket get when the proxy stops."""
FORWARD_BATCH: Final = 16
"""Whole messages a pump forwards at most in one write."""

Outgoing = Event | bytes
"""What a side is sent: a wsproto event, or the exact bytes of a plain frame."""


class _Side:
    """One end of the session: the stream, its wsproto connection, one writer at a time.

    Each pump writes to its own side; only answers (a refusal, a close) go to the
    side a pump reads, so writers rarely meet.  The writer slot is a flag rather
    than a ``trio.Lock``: taking a free slot costs no trip through the scheduler.
    An answer message that would land inside a fragmented message being sent to
    this side waits until that message is complete.
    """

    def __init__(self, stream: trio.abc.Stream, ws: WsConnection) -> None:
        self.stream = stream
        self.ws = ws
        self._writing = False
        self._waiting = 0
        self._free = trio.Event()
        self._in_message = False
        self._deferred: list[Event] = []
        self.torn = False
        """A write was cut off midway: the peer's frame boundary is lost, send nothing more."""

    @property
    def closed(self) -> bool:
        """Both close frames of this side have passed (the last may still be on its way)."""
        return self.ws.state is ConnectionState.CLOSED

    @property
    def finished(self) -> bool:
        """Closed, and the last close frame written: nothing is left to send this side.

        wsproto counts a close frame as sent once it is encoded; while its bytes are
        still being written (a TLS stream gives way before it writes), ending the
        session would cut the peer's close reply off.
        """
        return self.ws.state is ConnectionState.CLOSED and not self._writing

    async def send(self, items: list[Outgoing], *, answer: bool = False) -> None:
        """Send ``items`` as one write.

        What the connection's state no longer allows (data after a close frame) is
        dropped, as the peer would drop it.

        Args:
            items: the frames to send.
            answer: they answer the peer (a pong, a close reply, a refusal) rather
                than carry the other side's traffic: a message among them waits
                until a forwarded fragmented message is complete.
        """
        while self._writing:
            self._waiting += 1
            try:
                await self._free.wait()
            finally:
                self._waiting -= 1
        self._writing = True
        try:
            chunks: list[bytes] = []
            ws = self.ws
            is_open = ws.state is ConnectionState.OPEN
            for item in items:
                if type(item) is bytes:  # a plain frame, as it came in
                    if is_open:
                        chunks.append(item)
                elif answer and self._in_message and isinstance(item, Message):
                    self._deferred.append(item)
                else:
                    self._encode(item, chunks)
                    is_open = ws.state is ConnectionState.OPEN
            if chunks:
                self.torn = True
                await self.stream.send_all(b"".join(chunks))
                self.torn = False
        finally:
            self._writing = False
            if self._waiting:
                self._free.set()
                self._free = trio.Event()

    def _encode(self, item: Outgoing, chunks: list[bytes]) -> None:
        ws = self.ws
        state = ws.state
        if type(item) is bytes:
            if state is ConnectionState.OPEN:
                chunks.append(item)
            return
        assert not isinstance(item, bytes)
        if not (state is ConnectionState.OPEN or (
                type(item) is CloseConnection and state is ConnectionState.REMOTE_CLOSING)):
            return
        chunks.append(ws.send(item))
        if isinstance(item, Message):
            self._in_message = not item.message_finished
            if not self._in_message and self._deferred:
                deferred, self._deferred = self._deferred, []
                for event in deferred:
                    self._encode(event, chunks)


class _Assembly:
    """The frame and the message in progress from one side (frames read by wsproto)."""

    __slots__ = ("frame", "frame_size", "held", "parts", "size", "too_big")

    def __init__(self) -> None:
        self.frame: list[Any] = []
        self.frame_size = 0
        self.parts: list[Any] = []
        self.size = 0
        self.too_big = False
        self.held: list[Outgoing] = []

    def take_message(self) -> str | bytes | None:
        """The finished message (None when it was too big to keep); resets."""
        parts, too_big = self.parts, self.too_big
        self.parts, self.size, self.too_big = [], 0, False
        if too_big:
            return None
        return _join(parts) if parts else b""


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
        self.client = _Side(client, WsConnection(ConnectionType.SERVER))
        self.dms = _Side(dms, WsConnection(ConnectionType.CLIENT))
        self._trailing = {id(self.client): client_trailing, id(self.dms): dms_trailing}
        self._closing = trio.Event()
        self._cancel = trio.CancelScope()
        self._backlog = Backlog(name, witness)
        self.ending = "closed"
        """How the session ended, for the connection's closing notice."""
        self._dms_closed: str | None = None
        """The DMS closed first: its close answered the requests still open (2.6)."""

    async def run(self) -> None:
        """Relay both directions until the session ends, checking every message."""
        self.witness.open_stream(self.name)
        ended = False  # by the client, the DMS or the close deadline, not from outside
        try:
            with self._cancel:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._pump, self.client, self.dms, "send")
                    nursery.start_soon(self._pump, self.dms, self.client, "recv")
                    nursery.start_soon(self._close_deadline)
            ended = True
        finally:
            with trio.CancelScope(shield=True):
                if not ended:
                    await self._going_away()
                await trio.aclose_forcefully(self.client.stream)
                await trio.aclose_forcefully(self.dms.stream)
            self._backlog.drain()
            # cut off by the proxy (it stopped): requests on their way are nobody's orphans;
            # closed by the DMS: its close frame is its (fatal) answer to them
            self.witness.end_stream(self.name, unanswered=self._dms_closed if ended
                                    else STOPPED)

    async def _going_away(self) -> None:
        """The proxy stops: both peers get a close frame (1001) before the connections end.

        Bounded by ``close_timeout``; a side whose last write was cut off midway gets
        nothing (a frame would land inside the torn one).
        """
        with trio.move_on_after(self.limits.close_timeout):
            for side in (self.client, self.dms):
                if side.torn or side.ws.state is not ConnectionState.OPEN:
                    continue
                with suppress(trio.BrokenResourceError, trio.ClosedResourceError):
                    await side.send([CloseConnection(code=GOING_AWAY, reason=PROXY_STOPPED)],
                                    answer=True)

    async def _close_deadline(self) -> None:
        await self._closing.wait()
        await trio.sleep(self.limits.close_timeout)
        self.ending = f"{self.ending}; close handshake unfinished after " \
                      f"{self.limits.close_timeout:g} s"
        self._cancel.cancel()

    def _who(self, side: _Side) -> str:
        return "client" if side is self.client else "DMS"

    # --- pumping --------------------------------------------------------------------

    async def _pump(self, src: _Side, dst: _Side, direction: Direction) -> None:
        assembly = _Assembly()
        splitter = FrameSplitter(masked=src is self.client, limit=self.limits.max_message)
        receive = src.stream.receive_some
        size = self.limits.receive_size
        clock = self.witness.clock
        received: bytes | bytearray = self._trailing.pop(id(src))
        while True:
            pieces = splitter.feed(received)
            now = clock()
            more = True
            while more:
                forward: list[Outgoing] = []
                answer: list[Outgoing] = []
                more = self._take(src, direction, assembly, pieces, now, forward, answer)
                for side, items in ((src, answer), (dst, forward)):
                    if not items:
                        continue
                    try:
                        await side.send(items, answer=side is src)
                    except (trio.BrokenResourceError, trio.ClosedResourceError):
                        self._lost(side)
                        return
            await self._backlog.check()
            if self.client.finished and self.dms.finished:
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

    def _lost(self, side: _Side) -> None:
        who = self._who(side)
        event = "client-lost" if side is self.client else "upstream-lost"
        self.witness.notice(self.name, event,
                            f"the {who} connection broke without a close handshake")
        self.ending = f"{who} connection lost"
        self._cancel.cancel()

    def _take(self, src: _Side, direction: Direction, assembly: _Assembly,
              pieces: Iterator[Plain | Other], now: float, forward: list[Outgoing],
              answer: list[Outgoing]) -> bool:
        """Turn what ``src`` sent into items for the other side and items back to ``src``.

        Items for the other side go to ``forward``, those back to ``src`` to
        ``answer``; finished messages are queued for checking, as passed at ``now``.

        Returns True when it stopped after :data:`FORWARD_BATCH` messages with more
        to come: forwarding the first messages of a large read at once keeps the
        DMS (or the client) busy while the proxy works on the rest.
        """
        hold = self.block_invalid and direction == "send"
        budget = FORWARD_BATCH
        for piece in pieces:
            if isinstance(piece, Plain) and src.ws.state is ConnectionState.OPEN:
                if hold:
                    self._judge(direction, piece.message, now, [piece.raw], forward, answer)
                else:
                    forward.append(piece.raw)
                    self._backlog.put(direction, piece.message, now)
                budget -= 1
                if not budget:
                    return True
                continue
            try:
                src.ws.receive_data(piece.raw if isinstance(piece, Plain) else piece.data)
            except LocalProtocolError:  # after the close handshake: nothing to read
                continue
            self._read_events(src, direction, assembly, now, forward, answer)
        return False

    def _read_events(self, src: _Side, direction: Direction, assembly: _Assembly, now: float,
                     forward: list[Outgoing], answer: list[Outgoing]) -> None:
        """The frames wsproto read from ``src``: fragments, control frames, errors."""
        limit = self.limits.max_message
        hold = self.block_invalid and direction == "send"
        for event in src.ws.events():
            kind = type(event)
            if kind is TextMessage or kind is BytesMessage:
                assert isinstance(event, Message)
                self._data_event(event, direction, assembly, limit, hold, now, forward, answer)
            elif kind is Ping or kind is Pong:
                forward.append(event)
            elif kind is CloseConnection:
                assert isinstance(event, CloseConnection)
                if not self._closing.is_set():
                    self._closing.set()
                    code = int(event.code)
                    self.ending = f"{self._who(src)} closed " + (
                        "without a status code (1005)" if code == CloseReason.NO_STATUS_RCVD
                        else f"with {code}") + (f" {event.reason!r}" if event.reason else "")
                    if src is self.dms and src.ws.state is not ConnectionState.OPEN:
                        self._dms_closed = close_answer(
                            None if code == CloseReason.NO_STATUS_RCVD else code)
                if src.ws.state is ConnectionState.OPEN:  # wsproto could not read a frame
                    self._framing_error(src, event, forward, answer)
                else:
                    forward.append(CloseConnection(code=event.code, reason=event.reason))

    def _data_event(self, event: Message[Any], direction: Direction, assembly: _Assembly,
                    limit: int, hold: bool, now: float, forward: list[Outgoing],
                    answer: list[Outgoing]) -> None:
        """A piece of a data frame: pass it on frame by frame, keep the message."""
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
        assembly.frame.append(data)
        assembly.frame_size += len(data)
        if event.frame_finished or assembly.frame_size >= limit:
            frame = _frame(event, _join(assembly.frame),
                           event.message_finished and event.frame_finished)
            assembly.frame, assembly.frame_size = [], 0
            (assembly.held if hold and not assembly.too_big else forward).append(frame)
        if not event.message_finished:
            return
        message = assembly.take_message()
        held, assembly.held = assembly.held, []
        if message is None:
            self.witness.notice(self.name, "unvalidated",
                                f"a {direction} message over {limit:,} bytes passed unchecked")
            forward.extend(held)
            self._backlog.put(direction, None, now)  # in its place among the checked ones
        elif held:
            self._judge(direction, message, now, held, forward, answer)
        else:
            self._backlog.put(direction, message, now)

    def _judge(self, direction: Direction, message: str | bytes, now: float,
               held: list[Outgoing], forward: list[Outgoing], answer: list[Outgoing]) -> None:
        """``--block-invalid``: check a request now; forward it, or answer it ourselves."""
        self._backlog.drain()
        findings = self.witness.message(self.name, direction, message, time=now)
        if not any(f.severity == "error" for f in findings):
            forward.extend(held)
            return
        reply = refusal(message, findings)
        self.witness.notice(self.name, "blocked",
                            blocked_notice(f"request {findings[0].message_number}", findings))
        answer.append(TextMessage(data=reply))
        self.witness.message(self.name, "recv", reply)

    def _framing_error(self, src: _Side, event: CloseConnection, forward: list[Outgoing],
                       answer: list[Outgoing]) -> None:
        self.witness.framing(self.name, "send" if src is self.client else "recv",
                             f"the {self._who(src)} broke the WebSocket protocol: "
                             f"{event.reason} (closed with {int(event.code)})")
        answer.append(CloseConnection(code=event.code, reason=event.reason))
        forward.append(CloseConnection(code=GOING_AWAY, reason="Going away."))


__all__ = ["FORWARD_BATCH", "WebSocketSession"]
