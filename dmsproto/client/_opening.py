"""What opening a connection concludes, whatever the event loop does the I/O.

Both loops' transports open TCP, then TLS, then (for the WebSocket) the
upgrade, under ``connect_timeout``.  How a failure is named is decided here:
an SSL failure is a ``TLSError`` (a peer that answered the TLS hello in plain
text is named as such), and ``Opening`` tells how far an attempt got when its
deadline cut it short.  With ``wait_for_server`` the first connection is tried
again by the reconnect policy: ``first_attempts`` and ``first_retry_delay``
say whether and when; the transport only sleeps.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl

from ..errors import ConnectError, TLSError
from ..options import ReconnectPolicy
from ..protocol.connection import Attempts, Stage, connect_timeout, not_tls, worth_waiting
from ._options import Options

log = logging.getLogger("dmsproto")

#: OpenSSL's reasons when the peer answered a TLS hello with something else than TLS
_NOT_TLS = frozenset({
    "WRONG_VERSION_NUMBER", "HTTP_REQUEST", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG",
    "UNKNOWN_PROTOCOL",
})


def os_reason(exc: BaseException) -> str:
    """Why a socket failed, in the system's words ("Connection refused", "Connection reset").

    trio and asyncio try every address of a host and then raise an error of their
    own wording ("all attempts to connect to ... failed") whose cause holds the
    errors of the attempts, and trio wraps a broken socket's error in one of its
    own; the system's reasons underneath are what a user can act on.
    """
    reasons: list[str] = []
    pending: list[BaseException] = [exc]
    while pending:
        seen = pending.pop(0)
        if isinstance(seen, BaseExceptionGroup):
            pending.extend(seen.exceptions)
        elif isinstance(seen, OSError) and (seen.errno or seen.strerror):
            # the system's text for the number: asyncio words its own ("Connect call failed")
            reason = (seen.strerror if isinstance(seen, socket.gaierror) or not seen.errno
                      else os.strerror(seen.errno))
            if reason and reason not in reasons:
                reasons.append(reason)
        elif seen.__cause__ is not None:
            pending.append(seen.__cause__)
    return "; ".join(reasons) if reasons else str(exc)


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


def first_retry_delay(opts: Options, attempts: Attempts | None, error: ConnectError) -> float:
    """Seconds to wait before trying the first connection again, or ``error`` raised.

    Raises ``error`` without ``wait_for_server``, when waiting cannot help (see
    ``protocol.connection.worth_waiting``) or when the policy gives up.
    """
    delay = attempts.failed(error) if attempts is not None and worth_waiting(error) else None
    if delay is None:
        raise error
    log.warning("connecting to %s failed (%s); trying again in %.2f s", opts.url, error, delay)
    return delay


class Opening:
    """How far opening one connection got, for the error when ``connect_timeout`` runs out."""

    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.stage: Stage = "tcp"

    @property
    def where(self) -> str:
        """``host:port``, as errors name the peer."""
        return f"{self.opts.host}:{self.opts.port}"

    def timed_out(self) -> ConnectError:
        """The error for running out of ``connect_timeout`` at the current stage."""
        opts = self.opts
        return connect_timeout(opts.url, self.where, self.stage, opts.connect_timeout)


__all__ = ["Opening", "os_reason", "first_attempts", "first_retry_delay", "tls_error_from"]
