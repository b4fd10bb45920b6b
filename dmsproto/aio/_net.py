"""Opening TCP and TLS on asyncio's own streams, with prompt, typed errors.

The TCP connect (``asyncio.open_connection``) and the TLS handshake
(``StreamWriter.start_tls``) are two steps, so that a failure names its stage:
no TCP connection is a ``ConnectError``; an untrusted certificate, a refused
client certificate or a peer that drops the handshake is a ``TLSError``.
"""

from __future__ import annotations

import asyncio

from ..client._net import tls_error_from
from ..client._options import Options
from ..errors import ConnectError, TLSError

READ_SIZE = 65536


def where(opts: Options) -> str:
    """``host:port``, as errors name the peer."""
    return f"{opts.host}:{opts.port}"


async def open_stream(opts: Options) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """TCP (+ TLS handshake) to the DMS; call under a deadline."""
    peer = where(opts)
    try:
        reader, writer = await asyncio.open_connection(opts.host, opts.port, limit=READ_SIZE)
    except OSError as exc:
        raise ConnectError(f"cannot connect to {peer}: {exc}") from exc
    if not opts.tls:
        return reader, writer
    assert opts.ssl_context is not None
    try:
        await writer.start_tls(
            opts.ssl_context, server_hostname=opts.host, ssl_handshake_timeout=opts.connect_timeout
        )
    except OSError as exc:  # ssl.SSLError is one too
        abort(writer)
        tls = tls_error_from(exc, peer)
        if tls is not None:
            raise tls from exc
        # a peer that resets or closes mid-handshake refused us (e.g. our certificate)
        raise TLSError(f"TLS handshake with {peer} failed: {exc or type(exc).__name__}") from exc
    except BaseException:
        abort(writer)
        raise
    return reader, writer


def abort(writer: asyncio.StreamWriter) -> None:
    """Close the connection at once, without waiting for buffered data or the peer."""
    writer.transport.abort()


__all__ = ["READ_SIZE", "abort", "open_stream", "where"]
