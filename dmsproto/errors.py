"""Every exception dmsproto raises, in one place, so callers can catch by kind.

The hierarchy: ``DMSProtoError`` is the root. Decoding problems, item-level
errors reported by the server, and transport problems are separate branches.
"""

from __future__ import annotations


class DMSProtoError(Exception):
    """Root of all dmsproto exceptions."""


class DecodeError(DMSProtoError, ValueError):
    """A message did not decode: ``pointer`` names where, ``reason`` why."""

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(f"{pointer or '/'}: {reason}")
        self.pointer = pointer
        self.reason = reason


class EncodeError(DMSProtoError, ValueError):
    """A value cannot be written as protocol JSON (e.g. a naive datetime)."""


class DMSError(DMSProtoError):
    """The server answered an item with a code other than ``ok``."""

    def __init__(self, path: str | None, code: str, message: str | None) -> None:
        where = f" {path!r}" if path is not None else ""
        super().__init__(f"{code}{where}: {message or ''}".rstrip(": "))
        self.path = path
        self.code = code
        self.message = message


class NotFound(DMSError):
    """Item code ``not found``."""


class NoPermission(DMSError):
    """Item code ``no perm``."""


class TransportError(DMSProtoError):
    """The connection to the DMS could not be used."""


class ConnectError(TransportError):
    """Opening the connection failed (refused, unreachable, bad URL)."""


class TLSError(ConnectError):
    """The TLS handshake failed (untrusted certificate, missing client cert)."""


class AuthenticationError(ConnectError):
    """The server refused our credentials."""


class ConnectionLost(TransportError):
    """The connection went away while a call or subscription depended on it."""


class ProtocolError(DMSProtoError):
    """The peer broke the protocol (malformed frame, unmatched response)."""


class RequestTimeout(DMSProtoError, TimeoutError):
    """A call did not get its response in time."""


class SubscriptionOverflow(DMSProtoError):
    """A subscriber fell behind and its bounded buffer overflowed."""


class EventGap(DMSProtoError):
    """Events may have been missed (reconnect); raised or yielded per policy."""


class CaptureError(DMSProtoError):
    """A capture file cannot be read (missing, unreadable, not the claimed format)."""


class TsharkMissing(CaptureError):
    """A pcap/pcapng capture needs ``tshark``, and it is not installed."""


class Closed(ConnectionLost):
    """The blocking client or subscription was closed by this program (its block was left).

    A ``ConnectionLost``: code that handles a lost connection handles this too.
    """


class TrioContextError(DMSProtoError, RuntimeError):
    """A blocking ``dmsproto.sync`` call was made from inside a trio run.

    It would block the very event loop it waits for; use ``dmsproto.connect()``
    (the trio client) there instead.
    """


__all__ = [
    "AuthenticationError",
    "CaptureError",
    "Closed",
    "TrioContextError",
    "TsharkMissing",
    "ConnectError",
    "ConnectionLost",
    "DMSError",
    "DMSProtoError",
    "DecodeError",
    "EncodeError",
    "EventGap",
    "NoPermission",
    "NotFound",
    "ProtocolError",
    "RequestTimeout",
    "SubscriptionOverflow",
    "TLSError",
    "TransportError",
]


# --- added by the client helper (issue 4) ---------------------------------------------


class HTTPStatusError(TransportError):
    """The HTTP POST transport got a status other than 200 (a fatal DMS error)."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body}" if body else f"HTTP {status}")
        self.status = status
        self.body = body


__all__ += ["HTTPStatusError"]


class ProtocolVersionError(EncodeError):
    """The call or option is not part of the selected protocol version (nothing was sent).

    E.g. change-log commands under protocol 1.3, ``show_past`` before 1.5.
    """


__all__ += ["ProtocolVersionError"]
