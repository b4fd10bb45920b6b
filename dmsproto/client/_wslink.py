"""A WebSocket link's protocol side, whatever the loop: wsproto and what its events mean.

Both clients' WebSocket transports speak through wsproto and only move bytes:
the trio one over a ``trio`` stream, the asyncio one over asyncio's streams.
What the bytes mean is decided here, once:

- the opening handshake (``Handshake``): the upgrade request, and the answer
  turned into our errors (a refused upgrade with its HTTP status, credentials
  refused, a stream that broke or ended, a bad answer);
- the frames we send (``LinkProtocol``): messages, pings, closes, and what
  sending on a closing link raises;
- what each event the peer sends does (``LinkProtocol.take``): a whole message
  (fragments joined, held to ``max_message_size``) for the core, a ping
  answered, a pong for the pinger, a close that ends the link with the error
  ``protocol.connection`` words.

A link's reader hands each read to ``take`` and writes ``outbox`` (the
answers ``take`` made) after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import suppress
from itertools import chain, count
from typing import Any

from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
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

from ..errors import ConnectError, ConnectionLost, DMSProtoError
from ..protocol.connection import handshake_closed, message_too_big, upgrade_refused
from ..recorder import Recorder
from ._opening import tls_error_from
from ._options import Options
from ._wsbase import UNTRUSTED

#: bytes asked for per read (a frame of 100 events is about 12 KB)
READ_SIZE = 65536

#: what ``LinkProtocol.take`` found: go on reading
READING = 0
#: a message crowded a subscription's buffer and another message is held: let the
#: tasks it woke run, then ``take`` again without reading
MORE = 1
#: the link ends in the closing handshake: write ``outbox``, then close the stream
CLOSING = 2
#: the stream ended, or a frame cannot be trusted: close the stream at once
ENDED = 3

#: why a link ended, from the peer's close code and reason (``WsState._close_error``)
CloseError = Callable[[int | None, str | None], DMSProtoError]


class Handshake:
    """The opening handshake of one WebSocket connection, without I/O.

    Write ``request``, then ``feed`` each read until it returns the accepted
    connection; ``broken`` names a stream that failed meanwhile.
    """

    def __init__(self, opts: Options, where: str) -> None:
        self.ws = WSConnection(ConnectionType.CLIENT)
        self._opts = opts
        self._where = where
        headers = [(b"Authorization", opts.authorization)] if opts.authorization else []
        #: the upgrade request, to write first
        self.request: bytes = self.ws.send(
            Request(host=opts.host_header, target=opts.path, extra_headers=headers)
        )
        self._status = 0
        self._body = bytearray()

    def feed(self, data: bytes | bytearray) -> WSConnection | None:
        """Take what the peer sent (``b""``: the stream ended); the connection once accepted.

        What followed the accept stays in the connection for the link's reader.

        Args:
            data: the bytes read, or ``b""`` at the end of the stream.

        Returns:
            The open wsproto connection, or ``None`` while the answer is incomplete.

        Raises:
            AuthenticationError: the DMS refused the credentials (HTTP 401, 403).
            ConnectError: the DMS refused the upgrade, answered it badly or closed
                the stream (a ``TLSError`` over TLS: a refused client certificate).
        """
        opts = self._opts
        if not data:
            if self._status:
                raise upgrade_refused(opts.url, self._status, bytes(self._body))
            raise handshake_closed(self._where, tls=opts.tls)
        ws = self.ws
        try:
            ws.receive_data(data if isinstance(data, bytes) else bytes(data))
            for event in ws.events():
                if isinstance(event, AcceptConnection):
                    return ws
                if isinstance(event, RejectConnection):
                    self._status = event.status_code
                    if not event.has_body:
                        raise upgrade_refused(opts.url, self._status, b"")
                elif isinstance(event, RejectData):
                    self._body += event.data
                    if event.body_finished:
                        raise upgrade_refused(opts.url, self._status, bytes(self._body))
        except RemoteProtocolError as exc:
            raise ConnectError(
                f"{self._where} answered the WebSocket upgrade badly: {exc}"
            ) from None
        return None

    def broken(self, exc: BaseException) -> ConnectError:
        """The error of a stream that failed during the handshake.

        A TLS alert is a ``TLSError`` (TLS 1.3 refuses a client certificate
        after the TLS handshake); a reset, a lost connection.
        """
        return tls_error_from(exc, self._where) or handshake_closed(self._where, tls=False)


class LinkProtocol:
    """One open WebSocket connection's protocol state and what its events mean, without I/O.

    The base of both loops' ``Link``: they add the stream, the writes and the
    pinger's waiting (``pong``).
    """

    def __init__(self, ws: WSConnection, opts: Options) -> None:
        self.ws = ws
        self._url = opts.url
        self._limit = opts.max_message_size
        #: writes every frame sent and received (``connect(record=...)``)
        self.recorder: Recorder | None = None
        #: why the link died, when we killed it ourselves or the peer said why
        self.error: BaseException | None = None
        #: whether the DMS has sent anything on this link (a close before that refuses it)
        self.answered = False
        #: the answers ``take`` made (to pings, to a close), for the link to write
        self.outbox = bytearray()
        self._parts: list[Any] = []
        self._size = 0
        #: the next message's event, held back by ``take`` (see ``MORE``)
        self._held: Message[Any] | None = None
        self._ping_ids = count(1)

    # ------------------------------------------------------------ our frames

    def frame(self, text: str) -> bytes:
        """The bytes of one text message.

        Raises:
            ConnectionLost: a close frame went out or came in.
        """
        try:
            return self.ws.send(Message(data=text))
        except LocalProtocolError:
            raise ConnectionLost("connection to the DMS closing while sending") from None

    def ping_frame(self) -> tuple[bytes, bytes]:
        """A new ping: its payload (which the pong echoes) and its bytes.

        Raises:
            ConnectionLost: a close frame went out or came in.
        """
        payload = next(self._ping_ids).to_bytes(4, "big")
        try:
            return payload, self.ws.send(Ping(payload=payload))
        except LocalProtocolError:
            raise ConnectionLost("connection to the DMS closing while sending") from None

    def close_frame(self, code: int = 1000) -> bytes:
        """The bytes that start the closing handshake (``b""`` when it has started)."""
        if self.ws.state is not ConnectionState.OPEN:
            return b""
        return self.ws.send(CloseConnection(code=code))

    def _answer(self, event: Ping | CloseConnection) -> None:
        """Answer the peer's ping or close frame, when the connection still takes it."""
        if self.ws.state is ConnectionState.CLOSED:
            return
        with suppress(LocalProtocolError):
            self.outbox += self.ws.send(event.response())

    def pong(self, payload: bytes) -> None:
        """The pong of one of our pings came (the loop's link wakes its pinger)."""

    # ---------------------------------------------------------- their frames

    def take(
        self,
        handle: Callable[[str | bytes], int],
        closed: CloseError,
        data: bytes | bytearray | None = None,
    ) -> int:
        """Deal with what was read and every event wsproto has; say whether the link goes on.

        Args:
            handle: what each whole message goes to (``WsState._receiver``):
                ``CROWDED`` says a consumer should run before the next message,
                ``UNTRUSTED`` that it cannot be trusted (``error`` says why).
            closed: why the link ended, from the peer's close code and reason.
            data: the bytes just read; ``b""``: the stream ended or broke;
                ``None``: only what wsproto holds (what came with the
                handshake's answer).

        Returns:
            ``READING``; ``MORE`` when a message crowded a subscription's buffer
            and another one follows in what was read: the link lets the tasks
            the first one woke run (so a burst read at once does not overflow a
            consumer that keeps up with the frames one by one), then takes again
            without data; ``CLOSING`` when the link ends in the closing handshake
            (a close came, or a message over ``max_message_size`` made ours):
            the link writes ``outbox``, then closes the stream; ``ENDED`` when
            the stream ended or ``handle`` refused a frame: the link closes the
            stream at once.  Whatever it returns, ``outbox`` is to be written.
        """
        if data is not None:
            if not data:
                if self.error is None:
                    self.error = closed(None, None)
                return ENDED
            self.ws.receive_data(data if isinstance(data, bytes) else bytes(data))
        events: Iterable[Any] = self.ws.events()
        held = self._held
        if held is not None:
            self._held = None
            events = chain((held,), events)
        crowded = False
        for event in events:
            if isinstance(event, Message):
                if crowded:
                    self._held = event
                    return MORE
                message = event.data
                self._size += len(message)
                if self._size > self._limit:
                    self.error = message_too_big(self._url, self._limit)
                    self.outbox += self.close_frame(1009)
                    return CLOSING
                if not event.message_finished:
                    self._parts.append(message)
                    continue
                parts = self._parts
                if parts:
                    parts.append(message)
                    message = (
                        "".join(parts) if isinstance(event, TextMessage) else b"".join(parts)
                    )
                    parts.clear()
                self._size = 0
                verdict = handle(message)
                if verdict:
                    if verdict == UNTRUSTED:
                        return ENDED
                    crowded = True
            elif isinstance(event, Ping):
                self._answer(event)
            elif isinstance(event, Pong):
                self.pong(bytes(event.payload))
            elif isinstance(event, CloseConnection):
                if self.error is None:
                    self.error = closed(event.code, event.reason)
                self._answer(event)
                return CLOSING
        return READING


__all__ = [
    "CLOSING",
    "ENDED",
    "MORE",
    "READING",
    "READ_SIZE",
    "CloseError",
    "Handshake",
    "LinkProtocol",
]
