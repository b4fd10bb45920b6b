"""Opening TCP and TLS streams with prompt, typed errors.

trio-websocket reports a failed TLS handshake as a timeout after 60 s; here
the TLS handshake runs first, under ``connect_timeout``, so an untrusted
certificate or a rejected client certificate surfaces at once as ``TLSError``,
and a peer that never answers the handshake (not a TLS port) as a ``TLSError``
saying so once ``connect_timeout`` ran out (``Opening`` tells how far it got).
``WatchedStream`` also notices the stream breaking later during the WebSocket
handshake (TLS 1.3 rejects a missing client certificate only after the
client's handshake has finished).
"""

from __future__ import annotations

import logging
import ssl

import trio

from ..errors import ConnectError, TLSError
from ..options import ReconnectPolicy
from ..protocol.connection import (
    Attempts,
    Stage,
    connect_timeout,
    not_tls,
    tls_closed,
    worth_waiting,
)
from ._options import Options

log = logging.getLogger("dmsproto")

#: OpenSSL's reasons when the peer answered a TLS hello with something else than TLS
_NOT_TLS = frozenset({
    "WRONG_VERSION_NUMBER", "HTTP_REQUEST", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG",
    "UNKNOWN_PROTOCOL",
})


def tls_error_from(exc: BaseException, where: str) -> TLSError | None:
    """A ``TLSError`` when ``exc`` (or its cause) is an SSL failure, else ``None``.

    A peer that answers the TLS hello in plain text (a ws:// or http:// server
    on the port) is named as such.
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            reason = getattr(seen, "reason", None) or str(seen)
            if str(reason).upper() in _NOT_TLS:
                return not_tls(where)
            verify = getattr(seen, "verify_message", None)
            detail = f"{reason} ({verify})" if verify else reason
            return TLSError(f"TLS failure with {where}: {detail}")
        seen = seen.__cause__ or seen.__context__
    return None


def first_attempts(opts: Options) -> Attempts | None:
    """The attempts at the first connection when ``wait_for_server`` (else ``None``).

    They follow the reconnect policy, or the default one when there is none.
    """
    return Attempts(opts.reconnect or ReconnectPolicy()) if opts.wait_for_server else None


async def pause_before_retry(opts: Options, attempts: Attempts | None, error: ConnectError) -> None:
    """Wait before trying the first connection again, or raise ``error`` when that is pointless.

    Raises ``error`` without ``wait_for_server``, when waiting cannot help (see
    ``protocol.connection.worth_waiting``) or when the policy gives up.
    """
    delay = attempts.failed(error) if attempts is not None and worth_waiting(error) else None
    if delay is None:
        raise error
    log.warning("connecting to %s failed (%s); trying again in %.2f s", opts.url, error, delay)
    await trio.sleep(delay)


class Opening:
    """How far opening one connection got, for the error when ``connect_timeout`` runs out."""

    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.stage: Stage = "tcp"

    def timed_out(self) -> ConnectError:
        """The error for running out of ``connect_timeout`` at the current stage."""
        opts = self.opts
        return connect_timeout(opts.url, f"{opts.host}:{opts.port}", self.stage,
                               opts.connect_timeout)


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


__all__ = [
    "Opening",
    "WatchedStream",
    "first_attempts",
    "open_stream",
    "pause_before_retry",
    "tls_error_from",
]
