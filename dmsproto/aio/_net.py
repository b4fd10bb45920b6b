"""Opening TCP and TLS on asyncio's own streams, with prompt, typed errors.

``asyncio.open_connection`` does the TCP connect and the TLS handshake in one
step (bounded by ``ssl_handshake_timeout``); an untrusted certificate or a
refused client certificate comes back as an ``ssl.SSLError`` and is turned
into ``TLSError`` here, anything else into ``ConnectError``.
"""

from __future__ import annotations

import asyncio

from ..client._net import tls_error_from
from ..client._options import Options
from ..errors import ConnectError

READ_SIZE = 65536


def where(opts: Options) -> str:
    """``host:port``, as errors name the peer."""
    return f"{opts.host}:{opts.port}"


async def open_stream(opts: Options) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """TCP (+ TLS handshake) to the DMS; call under a deadline."""
    try:
        if not opts.tls:
            return await asyncio.open_connection(opts.host, opts.port, limit=READ_SIZE)
        return await asyncio.open_connection(
            opts.host, opts.port, limit=READ_SIZE, ssl=opts.ssl_context,
            server_hostname=opts.host, ssl_handshake_timeout=opts.connect_timeout,
        )
    except OSError as exc:  # ssl.SSLError is one too
        tls = tls_error_from(exc, where(opts))
        if tls is not None:
            raise tls from exc
        raise ConnectError(f"cannot connect to {where(opts)}: {exc}") from exc


def abort(writer: asyncio.StreamWriter) -> None:
    """Close the connection at once, without waiting for buffered data or the peer."""
    writer.transport.abort()


__all__ = ["READ_SIZE", "abort", "open_stream", "where"]
