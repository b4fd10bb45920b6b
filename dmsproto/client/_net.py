"""Opening TCP and TLS streams on trio, with prompt, typed errors.

trio-websocket reports a failed TLS handshake as a timeout after 60 s; here
the TLS handshake runs first, under ``connect_timeout``, so an untrusted
certificate or a rejected client certificate surfaces at once as ``TLSError``,
and a peer that never answers the handshake (not a TLS port) as a ``TLSError``
saying so once ``connect_timeout`` ran out (``Opening`` tells how far it got;
what each failure is called is decided in ``_opening``).
``WatchedStream`` also notices the stream breaking later during the WebSocket
handshake (TLS 1.3 rejects a missing client certificate only after the
client's handshake has finished).
"""

from __future__ import annotations

import ssl

import trio

from ..errors import ConnectError
from ..protocol.connection import tls_closed
from ._opening import Opening, tls_error_from
from ._options import Options


async def open_stream(
    opts: Options, opening: Opening | None = None
) -> trio.SocketStream | trio.SSLStream[trio.SocketStream]:
    """TCP (+ TLS handshake) to the DMS; call under a deadline (``opening`` tracks the stage)."""
    where = f"{opts.host}:{opts.port}"
    try:
        tcp = await trio.open_tcp_stream(opts.host, opts.port)
    except OSError as exc:
        raise ConnectError(f"cannot connect to {where}: {exc}") from exc
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


class WatchedStream(trio.abc.Stream):
    """A stream wrapper that records the first failure or EOF and sets ``broken``."""

    def __init__(self, inner: trio.abc.Stream) -> None:
        self.inner = inner
        self.broken = trio.Event()
        self.error: BaseException | None = None

    def _fail(self, exc: BaseException | None) -> None:
        if not self.broken.is_set():
            self.error = exc
            self.broken.set()

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        try:
            await self.inner.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            self._fail(exc)
            raise

    async def wait_send_all_might_not_block(self) -> None:
        await self.inner.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        try:
            data = await self.inner.receive_some(max_bytes)
        except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            self._fail(exc)
            raise
        if not data:
            self._fail(None)
        return data

    async def send_eof(self) -> None:  # pragma: no cover - not used by WebSocket
        raise NotImplementedError

    async def aclose(self) -> None:
        await self.inner.aclose()


__all__ = ["WatchedStream", "open_stream"]
