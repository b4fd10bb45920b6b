"""Opening TCP and TLS streams on trio, with prompt, typed errors.

The TLS handshake runs as a step of its own, under ``connect_timeout``, so an
untrusted certificate or a rejected client certificate surfaces at once as
``TLSError``, and a peer that never answers the handshake (not a TLS port) as a
``TLSError`` saying so once ``connect_timeout`` ran out (``Opening`` tells how
far it got; what each failure is called is decided in ``_opening``).  A stream
that breaks later, during the WebSocket handshake (TLS 1.3 rejects a missing
client certificate only after the client's handshake has finished), is named
by ``_wslink.Handshake.broken``.
"""

from __future__ import annotations

import ssl

import trio

from ..errors import ConnectError
from ..protocol.connection import tls_closed
from ._opening import Opening, os_reason, tls_error_from
from ._options import Options


async def open_stream(
    opts: Options, opening: Opening | None = None
) -> trio.SocketStream | trio.SSLStream[trio.SocketStream]:
    """TCP (+ TLS handshake) to the DMS; call under a deadline (``opening`` tracks the stage)."""
    where = f"{opts.host}:{opts.port}"
    try:
        tcp = await trio.open_tcp_stream(opts.host, opts.port)
    except OSError as exc:
        raise ConnectError(f"cannot connect to {where}: {os_reason(exc)}") from exc
    if not opts.tls:
        return tcp
    assert opts.ssl_context is not None
    if opening is not None:
        opening.stage = "tls"
    stream = trio.SSLStream(tcp, opts.ssl_context, server_hostname=opts.host, https_compatible=True)
    try:
        await stream.do_handshake()
    except (trio.BrokenResourceError, ssl.SSLError, OSError) as exc:
        await trio.aclose_forcefully(tcp)
        raise (tls_error_from(exc, where) or tls_closed(where)) from exc
    except BaseException:
        await trio.aclose_forcefully(tcp)
        raise
    return stream


__all__ = ["open_stream"]
