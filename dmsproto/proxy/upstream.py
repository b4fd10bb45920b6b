"""Opening the connection to the DMS: TCP, then TLS with the proxy's own settings.

Each client connection gets its own upstream connection.  The TLS handshake runs
here, at once, so an untrusted DMS certificate or a refused client certificate is
a clear :class:`~dmsproto.errors.TLSError` for the notice (and the 502 the client
gets), not a timeout later.
"""

from __future__ import annotations

import ssl

import trio

from ..client._opening import os_reason, tls_error_from
from ..errors import ConnectError, ConnectionLost
from .config import Upstream

UpstreamStream = trio.SocketStream | trio.SSLStream[trio.SocketStream]


async def open_upstream(upstream: Upstream) -> UpstreamStream:
    """TCP (and TLS) to the DMS; call under a deadline.

    Raises:
        ConnectError: the DMS cannot be reached.
        TLSError: the TLS handshake failed.
    """
    where = upstream.where
    try:
        tcp = await trio.open_tcp_stream(upstream.host, upstream.port)
    except OSError as exc:
        raise ConnectError(f"cannot connect to {where}: {os_reason(exc)}") from exc
    if upstream.ssl_context is None:
        return tcp
    stream = trio.SSLStream(tcp, upstream.ssl_context, server_hostname=upstream.host,
                            https_compatible=True)
    try:
        await stream.do_handshake()
    except (trio.BrokenResourceError, ssl.SSLError, OSError) as exc:
        await trio.aclose_forcefully(tcp)
        tls = tls_error_from(exc, where)
        if tls is not None:
            raise tls from exc
        raise ConnectError(f"{where} closed the connection during the TLS handshake") from exc
    except BaseException:
        await trio.aclose_forcefully(tcp)
        raise
    return stream


def describe_failure(exc: BaseException, where: str) -> str:
    """One line for a failure of a connection, naming a TLS cause when there is one.

    Args:
        exc: the failure.
        where: the other side, in messages ("the client", "the DMS at host:port").

    Returns:
        The line.
    """
    tls = tls_error_from(exc, where)
    if tls is not None:
        return str(tls)
    if isinstance(exc, ConnectionLost) and exc.__cause__ is not None:
        return describe_failure(exc.__cause__, where)  # what broke it, not that it broke
    if isinstance(exc, (trio.BrokenResourceError, trio.ClosedResourceError)):
        # trio's wording wraps the system's ("socket connection broken: [Errno 104] ...")
        reason = os_reason(exc.__cause__) if isinstance(exc.__cause__, OSError) else ""
        return reason or "the connection broke"
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


__all__ = ["UpstreamStream", "describe_failure", "open_upstream"]
