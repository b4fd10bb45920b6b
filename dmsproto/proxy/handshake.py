"""The WebSocket opening handshake through the proxy: the DMS's first, then the client's.

The proxy reads the client's upgrade request (h11), makes its own upgrade request
to the DMS with the client's end-to-end headers and its own key, and answers the
client only once the DMS has: with 101 when the DMS accepted (its subprotocol and
headers passed on), or with the DMS's own refusal, status, headers and body.
No extension is offered to the DMS: the proxy reads every frame.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Final

import h11
import trio
from wsproto.utilities import generate_accept_token

from ..errors import ConnectionLost, ProtocolError
from .config import Limits, Upstream
from .http1 import Headers, Peer, end_to_end, header, raw_headers

_OWN_HANDSHAKE: Final = frozenset({b"host", b"sec-websocket-key", b"sec-websocket-version",
                                   b"sec-websocket-extensions", b"sec-websocket-accept",
                                   b"content-length"})


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
    try:
        event = await peer.next_event()
    except ConnectionLost:
        event = None  # closed before its answer was complete: said below
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
    """Answer the client's upgrade with 101, the DMS's subprotocol and headers passed on.

    Args:
        peer: the client's connection.
        request: the client's upgrade request.
        accepted: the DMS's answer to the same upgrade.

    Returns:
        The bytes the client sent after its request (its first WebSocket frames).
    """
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


__all__ = ["Accepted", "Refused", "accept_client", "handshake_problem", "upstream_upgrade"]
