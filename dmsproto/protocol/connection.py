"""What a transport concludes about its connection, decided once and without I/O.

Every transport (the trio WebSocket and HTTP POST ones, and any other event
loop's) meets the same moments: the peer closed the WebSocket with a code, a
TLS handshake failed or got no answer, a connection attempt failed and the
reconnect policy says whether and when to try again.  The typed errors and
the decisions for those moments are made here, so the transports only
observe and act.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from ..errors import (
    AuthenticationError,
    ConnectError,
    ConnectionLost,
    DMSProtoError,
    ProtocolError,
    TLSError,
    WebSocketRefused,
)

if TYPE_CHECKING:
    from ..options import ReconnectPolicy

Stage = Literal["tcp", "tls", "websocket"]
"""How far opening a connection got: TCP connect, TLS handshake, WebSocket handshake."""

#: close codes that say the frames broke the WebSocket protocol (RFC 6455, 7.4.1)
BROKEN_STREAM = {1002: "broke the WebSocket protocol", 1007: "sent a text frame that is not UTF-8"}
#: close codes that say the DMS ended or failed (normal closure, going away, internal
#: error, restart, overload), not that it refuses this connection
ENDED = frozenset({1000, 1001, 1011, 1012, 1013, 1014})
#: what a close frame without a code reads as (RFC 6455, 7.1.5): no code the peer sent
NO_CODE = 1005
#: what a connection that ended without a close frame reads as (RFC 6455, 7.1.5)
ABNORMAL = 1006


def closed_by_peer(
    url: str, code: int | None, reason: str | None, *, answered: bool
) -> DMSProtoError:
    """The error of a WebSocket the peer closed (or that closed under it).

    Args:
        url: the DMS's URL (for the message).
        code: the close code; ``None`` or 1006 when the connection ended without one.
        reason: the close reason the peer gave, if any.
        answered: whether anything was received on this connection before.

    Returns:
        ``ProtocolError`` for a stream that broke the WebSocket protocol (1002,
        1007); ``WebSocketRefused`` (a ``ConnectError``) when the DMS closed
        before answering anything with a code that is not one of ``ENDED`` --
        that is how it refuses a connection, e.g. 1003 "Invalid path.";
        ``ConnectionLost`` otherwise.
    """
    if code is None or code == ABNORMAL:
        return ConnectionLost(f"connection to {url} lost")
    said = f": {code} {reason}" if reason else f": {code}"
    if code == NO_CODE:
        said = f" without a status code ({NO_CODE})"
    broken = BROKEN_STREAM.get(code)
    if broken is not None:
        return ProtocolError(f"{url} {broken} (close code {code}); connection closed")
    if not answered and code not in ENDED:
        refused = WebSocketRefused(f"{url} refused the WebSocket: close{said.lstrip(':')}")
        refused.code = code
        refused.reason = reason or ""
        return refused
    return ConnectionLost(f"{url} closed the connection{said}")


def message_too_big(url: str, limit: int) -> ProtocolError:
    """The error of a connection closed because the DMS sent a message over ``limit`` bytes."""
    return ProtocolError(
        f"{url} sent a message larger than max_message_size ({limit} bytes); connection closed"
    )


def not_tls(where: str) -> TLSError:
    """The error of a peer that answered the TLS hello with something else (not a TLS port)."""
    return TLSError(
        f"{where} did not answer the TLS handshake: it answered something else "
        "(a plain ws:// or http:// server?)"
    )


def tls_closed(where: str) -> TLSError:
    """The error of a peer that closed the connection in the middle of the TLS handshake."""
    return TLSError(
        f"{where} closed the connection during the TLS handshake (not a TLS port, or it "
        "refused us)"
    )


def upgrade_refused(url: str, status: int, body: bytes) -> ConnectError:
    """The error of a WebSocket upgrade the server answered with an HTTP status (no 101).

    401 and 403 refuse the credentials (``AuthenticationError``); any other
    status refuses the upgrade (``ConnectError``).  The start of the body is quoted.
    """
    text = body[:200].decode("utf-8", "replace").strip()
    detail = f"HTTP {status}" + (f": {text}" if text else "")
    if status in (401, 403):
        return AuthenticationError(f"{url} refused the credentials ({detail})")
    return ConnectError(f"{url} rejected the WebSocket upgrade ({detail})")


def handshake_closed(where: str, *, tls: bool) -> ConnectError:
    """The error of a connection that ended during the WebSocket handshake, without a word.

    Over TLS that is how a server refuses a client certificate after the TLS
    handshake (TLS 1.3), so it is a ``TLSError`` there.
    """
    if tls:
        return TLSError(
            f"{where} closed the TLS connection during the WebSocket handshake "
            "(client certificate refused?)"
        )
    return ConnectError(f"{where} closed the connection during the WebSocket handshake")


def connect_timeout(url: str, where: str, stage: Stage, seconds: float) -> ConnectError:
    """The error of a connection attempt that ran out of ``connect_timeout`` at ``stage``."""
    if stage == "tls":
        return TLSError(
            f"{where} did not answer the TLS handshake within {seconds} s (is it a TLS port? "
            "a plain ws:// or http:// server stays silent)"
        )
    if stage == "websocket":
        return ConnectError(f"no answer to the WebSocket handshake from {url} within {seconds} s")
    return ConnectError(f"no connection to {where} within {seconds} s")


def worth_waiting(error: BaseException) -> bool:
    """Whether a failed first connection may succeed later by itself (``wait_for_server``).

    A DMS that is not up yet refuses or drops the connection, or closes it as
    it goes away; refused credentials, a failed TLS handshake or a refused
    WebSocket (e.g. a wrong path) are configuration errors, and waiting would
    only hide them.
    """
    if isinstance(error, WebSocketRefused | TLSError | AuthenticationError):
        return False
    return isinstance(error, ConnectError)


class Attempts:
    """Failed connection attempts counted against a ``ReconnectPolicy``.

    The transport calls ``failed()`` after each failed attempt and sleeps for
    the delay it returns (``None``: give up), and ``connected()`` once a
    connection worked (answered something), which starts the count afresh.
    """

    def __init__(self, policy: ReconnectPolicy | None) -> None:
        self.policy = policy
        self.failures = 0
        #: why the last attempt failed
        self.last: BaseException | None = None

    def failed(self, error: BaseException) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` when the policy gives up."""
        self.last = error
        policy = self.policy
        if policy is None:
            return None
        self.failures += 1
        if policy.max_attempts is not None and self.failures > policy.max_attempts:
            return None
        return policy.delay(self.failures)

    def connected(self) -> None:
        """A connection worked: the next failure starts the count afresh."""
        self.failures = 0
        self.last = None


__all__ = [
    "ABNORMAL",
    "BROKEN_STREAM",
    "ENDED",
    "NO_CODE",
    "Attempts",
    "Stage",
    "closed_by_peer",
    "connect_timeout",
    "handshake_closed",
    "message_too_big",
    "not_tls",
    "tls_closed",
    "upgrade_refused",
    "worth_waiting",
]
