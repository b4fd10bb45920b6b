"""HTTP/1.1 on both sides of the proxy, with h11: reading heads and bodies, which headers pass.

The proxy is an HTTP server to its clients and an HTTP client to the DMS.  Both
are a :class:`Peer` (an h11 connection over a trio stream).  Headers travel end to
end with their original spelling; only the hop-by-hop ones (RFC 9110 7.6.1, plus
whatever a ``Connection`` header lists) stay on their own hop, so a client's
``Authorization`` reaches the DMS unchanged and the DMS's ``WWW-Authenticate``
reaches the client.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any, Final

import h11
import trio

from ..errors import ConnectionLost, ProtocolError
from .config import origin_form

Headers = list[tuple[bytes, bytes]]

HOP_BY_HOP: Final = frozenset({
    b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization",
    b"proxy-connection", b"te", b"trailer", b"transfer-encoding", b"upgrade",
})
TEXT_TYPE: Final = b"text/plain;charset=UTF-8"
JSON_TYPE: Final = b"application/json;charset=UTF-8"
BASE_PATH: Final = b"/json_data"
_SHOWN: Final = 24
"""Bytes of what a peer sent first that a notice shows when it is no HTTP."""


def speaks_tls(opening: bytes) -> bool:
    """Whether the first bytes of a connection are a TLS handshake record (a client hello)."""
    return opening[:1] == b"\x16" and opening[1:2] == b"\x03"


def not_http(opening: bytes, *, head_too_large: int | None = None) -> str:
    """Why bytes are no HTTP/1.1, in our words (h11's are for developers).

    Args:
        opening: the first bytes the peer sent.
        head_too_large: the head limit, when the head grew past it.

    Returns:
        A phrase that completes "the client sent ..." or "the DMS sent ...".
    """
    if speaks_tls(opening):
        return "a TLS handshake where plain HTTP was expected (it uses https:// or wss://)"
    if head_too_large is not None:
        return f"a request or response head over {head_too_large:,} bytes"
    if not opening:
        return "nothing"
    shown = opening[:_SHOWN].decode("latin-1")
    return f"no HTTP/1.1 (it began with {shown!a}{'...' if len(opening) > _SHOWN else ''})"


def header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """The first value of header ``name`` (lower-case), or None."""
    for key, value in headers:
        if key.lower() == name:
            return bytes(value)
    return None


def end_to_end(headers: Iterable[tuple[bytes, bytes]], *,
               drop: frozenset[bytes] = frozenset()) -> Headers:
    """The headers to pass on: the hop-by-hop ones removed.

    Args:
        headers: the received headers.
        drop: further lower-case names to remove.

    Returns:
        ``headers`` without the hop-by-hop ones, those a ``Connection`` header names,
        and those in ``drop``.
    """
    pairs = [(bytes(k), bytes(v)) for k, v in headers]
    listed = {token.strip().lower() for k, v in pairs if k.lower() == b"connection"
              for token in v.split(b",")}
    return [(k, v) for k, v in pairs
            if (low := k.lower()) not in HOP_BY_HOP and low not in listed and low not in drop]


def raw_headers(event: h11.Request | h11.Response | h11.InformationalResponse) -> Headers:
    """The headers of an h11 event with their original spelling."""
    return [(bytes(k), bytes(v)) for k, v in event.headers.raw_items()]


def is_websocket_upgrade(request: h11.Request) -> bool:
    """Whether ``request`` asks to switch to WebSocket (a GET with ``Upgrade: websocket``)."""
    headers = request.headers
    upgrade = (header(headers, b"upgrade") or b"").lower()
    tokens = {t.strip().lower() for t in (header(headers, b"connection") or b"").split(b",")}
    return request.method == b"GET" and upgrade == b"websocket" and b"upgrade" in tokens


def target_path(target: bytes) -> bytes:
    """The path of a request target (also of one in absolute form), without its query."""
    return origin_form(bytes(target)).split(b"?", 1)[0]


class Peer:
    """One HTTP/1.1 connection, either role, over a trio stream.

    Raises :class:`~dmsproto.errors.ConnectionLost` when the peer goes away in the
    middle of a message and :class:`~dmsproto.errors.ProtocolError` when it sends
    something that is not HTTP/1.1 (its text says what it sent instead, see
    :func:`not_http`; :attr:`error_status` is the status to answer it with).
    """

    def __init__(self, role: Any, stream: trio.abc.Stream, *, max_head: int,
                 receive_size: int = 65536) -> None:
        self.stream = stream
        self.conn = h11.Connection(role, max_incomplete_event_size=max_head)
        self.max_head = max_head
        self.opening = b""
        """The first bytes the peer sent (to tell what it speaks when it is no HTTP)."""
        self.error_status = 400
        """The status that answers what the peer sent, once it was no HTTP/1.1."""
        self._receive_size = receive_size

    async def next_event(self) -> Any:
        """The next h11 event; ``h11.ConnectionClosed`` when the peer closed cleanly."""
        eof = False
        while True:
            waiting = self.conn.their_state is h11.SEND_RESPONSE  # before an error changes it
            try:
                event = self.conn.next_event()
            except h11.RemoteProtocolError as exc:
                if eof:
                    raise ConnectionLost(
                        "it closed the connection without an answer" if waiting
                        else "the connection closed in the middle of a message") from None
                too_large = exc.error_status_hint == 431
                self.error_status = exc.error_status_hint
                raise ProtocolError(not_http(
                    self.opening, head_too_large=self.max_head if too_large else None)
                ) from None
            if event is not h11.NEED_DATA:
                return event
            try:
                data = await self.stream.receive_some(self._receive_size)
            except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
                raise ConnectionLost("the connection broke") from exc
            eof = not data
            if len(self.opening) < _SHOWN:
                self.opening += data[:_SHOWN - len(self.opening)]
            self.conn.receive_data(bytes(data))

    async def send(self, *events: Any) -> None:
        """Send h11 events as one write (``ConnectionLost`` when the peer is gone)."""
        await self.send_bytes(self.encode(*events))

    def encode(self, *events: Any) -> bytes:
        """The bytes of h11 events, the connection's state moved on as if they were sent."""
        return b"".join(self.conn.send(event) or b"" for event in events)

    async def send_bytes(self, data: bytes) -> None:
        """Write what :meth:`encode` gave (``ConnectionLost`` when the peer is gone)."""
        try:
            await self.stream.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            raise ConnectionLost("the connection broke") from exc

    @property
    def reusable(self) -> bool:
        """Whether both sides finished the exchange, so the connection can carry another."""
        return self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE

    @property
    def trailing(self) -> bytes:
        """Bytes received after the head of a switched protocol (the first WebSocket frames)."""
        return bytes(self.conn.trailing_data[0])


class Body:
    """A message body kept whole for validation, up to ``limit`` bytes."""

    __slots__ = ("_parts", "limit", "size", "too_big")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.too_big = False
        self._parts: list[bytes] = []

    def add(self, data: bytes) -> None:
        """Keep ``data`` while the body fits ``limit``; past it, only count (``too_big``)."""
        self.size += len(data)
        if self.too_big:
            return
        if self.size > self.limit:
            self.too_big = True
            self._parts = []
        else:
            self._parts.append(data)

    @property
    def data(self) -> bytes | None:
        """The whole body; None when it was larger than the limit."""
        return None if self.too_big else b"".join(self._parts)


_DECODERS: Final = {b"gzip": (16 + zlib.MAX_WBITS,), b"x-gzip": (16 + zlib.MAX_WBITS,),
                    b"deflate": (zlib.MAX_WBITS, -zlib.MAX_WBITS)}
"""The content codings the proxy undoes to check a body: zlib's window bits to try
(``deflate`` comes with its zlib header, or raw from some servers)."""


def decode_content(body: bytes, coding: bytes | None, limit: int) -> bytes | str:
    """A body as it was before its ``Content-Encoding``, to check what the client will read.

    A gateway in front of the DMS may compress answers for clients that accept it
    (browsers, requests, httpx); the client reads them decompressed.

    Args:
        body: the body as it passed.
        coding: the ``Content-Encoding`` header, if any.
        limit: the most bytes to decompress.

    Returns:
        The decoded body, or why it cannot be decoded (a phrase for a notice).
    """
    name = (coding or b"identity").strip().lower().decode("latin-1")
    if name == "identity":
        return body
    tries = _DECODERS.get(name.encode("latin-1"))
    if tries is None:
        return f"in Content-Encoding {name!r}, which the proxy does not decode"
    for bits in tries:
        try:
            data = zlib.decompressobj(bits).decompress(body, limit + 1)
        except zlib.error:
            continue
        return data if len(data) <= limit else f"over {limit:,} bytes once decompressed"
    return f"in Content-Encoding {name!r} that does not decompress"


def text_response(status: int, text: str, *, close: bool = True,
                  headers: Headers | None = None) -> list[Any]:
    """The h11 events of a plain-text answer from the proxy itself."""
    body = text.encode("utf-8")
    head = [(b"Content-Type", TEXT_TYPE), (b"Content-Length", str(len(body)).encode()),
            *(headers or [])]
    if close:
        head.append((b"Connection", b"close"))
    return [h11.Response(status_code=status, headers=head), h11.Data(data=body),
            h11.EndOfMessage()]


__all__ = ["BASE_PATH", "HOP_BY_HOP", "JSON_TYPE", "TEXT_TYPE", "Body", "Headers", "Peer",
           "decode_content", "end_to_end", "header", "is_websocket_upgrade", "not_http",
           "raw_headers", "speaks_tls", "target_path", "text_response"]
