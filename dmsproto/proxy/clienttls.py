"""TLS with the proxy's clients (``--tls-cert``, ``--tls-self-signed``): handshake, failures.

Before the handshake the proxy peeks at the client's first bytes: a client that
speaks plain HTTP to the TLS listener (a browser at ``http://``, a script at
``ws://``) gets a plain ``400`` that says to use TLS, rather than a TLS alert it
cannot read.  A client that connects and leaves without a byte (a port check) ends
quietly.  A failed handshake is told in words a user can act on: a client that does
not trust the proxy's certificate (the common case with a self-signed one) is told
as such, not as OpenSSL's reason code alone.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from typing import Final

import trio

from .http1 import speaks_tls

PLAIN_TO_TLS: Final = ("the client spoke plain HTTP to a TLS listener "
                       "(it must use wss:// or https://)")
PLAIN_TO_TLS_ANSWER: Final = "This port speaks TLS: use https:// or wss://."
"""The body of the plain 400 such a client gets."""

_REFUSED_CERTIFICATE: Final = frozenset({
    "TLSV1_ALERT_UNKNOWN_CA", "SSLV3_ALERT_BAD_CERTIFICATE", "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
    "TLSV1_ALERT_DECRYPT_ERROR", "SSLV3_ALERT_CERTIFICATE_EXPIRED",
})
"""OpenSSL's reasons when the client sent an alert about the proxy's certificate."""
_LEFT: Final = frozenset({"UNEXPECTED_EOF_WHILE_READING", "EOF"})
"""OpenSSL's reasons when the client closed the connection during the handshake."""
LEFT: Final = ("the client closed the connection during the TLS handshake (did it refuse "
               "the proxy's certificate? Node.js clients leave without saying so)")


@dataclass(frozen=True, slots=True)
class TlsStart:
    """How a client's TLS start went: the stream to serve, or how the connection ended."""

    stream: trio.SSLStream[trio.SocketStream] | None
    """The TLS stream once the handshake is done; None when the connection ends."""
    ending: str = "closed"
    """How the connection ended (its closing notice), when it did."""
    failure: str | None = None
    """What went wrong with the handshake, for a ``tls-failed`` notice."""
    plain: bool = False
    """The client spoke plain HTTP: it gets the plain 400."""


async def _first_bytes(tcp: trio.SocketStream) -> bytes | None:
    """The client's first bytes, peeked (left in place for the handshake); None on error."""
    try:
        return bytes(await tcp.socket.recv(8, socket.MSG_PEEK))
    except OSError:
        return None


def client_tls_failure(exc: BaseException) -> str:
    """Why a client's TLS handshake failed, in words a user can act on.

    Args:
        exc: what the handshake raised (an ``ssl.SSLError`` or trio's error around one).

    Returns:
        One line.
    """
    seen: BaseException | None = exc
    while seen is not None and not isinstance(seen, ssl.SSLError):
        seen = seen.__cause__ or seen.__context__
    if seen is None:
        return LEFT
    reason = str(getattr(seen, "reason", None) or seen)
    if reason.upper() in _REFUSED_CERTIFICATE:
        return (f"the client refused the proxy's certificate ({reason}): give the client "
                "the certificate to trust (with --tls-self-signed, the file it prints)")
    if reason.upper() in _LEFT:
        return LEFT
    return f"the client's TLS handshake failed ({reason})"


async def start_tls(tcp: trio.SocketStream, context: ssl.SSLContext,
                    timeout: float) -> TlsStart:
    """The TLS handshake with a client, within ``timeout`` seconds.

    Args:
        tcp: the client's connection.
        context: the proxy's server context.
        timeout: seconds for the client's first bytes and the handshake.

    Returns:
        The TLS stream, or how the connection ended and why.
    """
    stream = trio.SSLStream(tcp, context, server_side=True, https_compatible=True)
    with trio.move_on_after(timeout):
        first = await _first_bytes(tcp)
        if first == b"":
            return TlsStart(None)  # connected and left without a byte: a port check
        if first is not None and not speaks_tls(first):
            return TlsStart(None, PLAIN_TO_TLS, plain=True)
        try:
            await stream.do_handshake()
        except (trio.BrokenResourceError, trio.ClosedResourceError, ssl.SSLError) as exc:
            why = client_tls_failure(exc)
            return TlsStart(None, "TLS handshake failed", failure=why)
        return TlsStart(stream)
    return TlsStart(None, "no TLS handshake in time")


__all__ = ["LEFT", "PLAIN_TO_TLS", "PLAIN_TO_TLS_ANSWER", "TlsStart", "client_tls_failure",
           "start_tls"]
