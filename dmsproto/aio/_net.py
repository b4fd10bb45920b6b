"""Opening TCP and TLS on asyncio's own streams, with prompt, typed errors.

The TCP connect (``asyncio.open_connection``) and the TLS handshake
(``StreamWriter.start_tls``) are two steps, so that a failure names its stage:
no TCP connection is a ``ConnectError``; an untrusted certificate, a refused
client certificate, a peer that answers the TLS hello in plain text or drops
the handshake is a ``TLSError``.  The caller's ``connect_timeout`` bounds both,
and ``Opening`` says which stage it cut short (a silent peer on a TLS URL is a
``TLSError`` saying it did not answer the handshake).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from ..client._opening import Opening, os_reason, tls_error_from
from ..client._options import Options
from ..client._wslink import READ_SIZE
from ..errors import ConnectError
from ..protocol.connection import tls_closed

T = TypeVar("T")


async def open_stream(
    opts: Options, opening: Opening
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """TCP (+ TLS handshake) to the DMS; call under a deadline (``opening`` tracks the stage)."""
    peer = opening.where
    try:
        reader, writer = await asyncio.open_connection(opts.host, opts.port, limit=READ_SIZE)
    except OSError as exc:
        raise ConnectError(f"cannot connect to {peer}: {os_reason(exc)}") from exc
    if not opts.tls:
        return reader, writer
    assert opts.ssl_context is not None
    opening.stage = "tls"
    try:
        # the caller's deadline bounds the handshake (asyncio's own bound is a backstop)
        await writer.start_tls(opts.ssl_context, server_hostname=opts.host)
    except OSError as exc:  # ssl.SSLError is one too
        abort(writer)
        raise (tls_error_from(exc, peer) or tls_closed(peer)) from exc
    except BaseException:
        abort(writer)
        raise
    return reader, writer


async def within_connect_timeout(opening: Opening, opened: Coroutine[Any, Any, T]) -> T:
    """Await ``opened`` under ``connect_timeout``; running out raises ``opening.timed_out()``."""
    limit = asyncio.timeout(opening.opts.connect_timeout)
    try:
        async with limit:
            return await opened
    except TimeoutError:
        if not limit.expired():
            raise
        raise opening.timed_out() from None


def abort(writer: asyncio.StreamWriter) -> None:
    """Close the connection at once, without waiting for buffered data or the peer."""
    writer.transport.abort()


__all__ = ["abort", "open_stream", "within_connect_timeout"]
