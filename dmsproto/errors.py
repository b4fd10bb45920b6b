"""Every exception dmsproto raises, in one place, so callers can catch by kind.

The whole tree (``DMSProtoError`` is the root; catch it to catch everything)::

    DMSProtoError
    ├── DecodeError          a message does not decode (``pointer``, ``reason``)   [ValueError]
    │   └── NotJSON              the text is not JSON at all (``problem``)
    ├── EncodeError          a value cannot be written as protocol JSON            [ValueError]
    │   └── NotInVersionError    the call or option is not in the selected version
    ├── UnknownVersionError  a protocol version string dmsproto does not ship       [ValueError]
    ├── DMSError             the DMS answered an item with a code other than ok
    │   ├── NotFound             code ``not found``
    │   └── NoPermission         code ``no perm``
    ├── TransportError       the connection to the DMS could not be used
    │   ├── ConnectError         opening the connection failed
    │   │   ├── InvalidOptions       bad URL or options: nothing was tried        [ValueError]
    │   │   ├── TLSError             the TLS handshake failed
    │   │   ├── AuthenticationError  the server refused the credentials
    │   │   └── WebSocketRefused     the DMS closed a new WebSocket before answering (``code``)
    │   ├── ConnectionLost       the connection went away while a call depended on it
    │   │   ├── NotSent              ... before the request went out: nothing was done
    │   │   ├── OutcomeUnknown       ... after a write went out, before its answer
    │   │   └── Closed               this program closed the blocking client
    │   └── HTTPStatusError      HTTP POST answered with a status other than 200
    ├── ProtocolError        the peer broke the protocol (malformed frame, unmatched answer)
    ├── RequestTimeout       a call got no answer in time                        [TimeoutError]
    ├── SubscriptionOverflow a subscriber fell behind; events were dropped and counted
    ├── EventGap             events may have been missed (the connection was renewed)
    ├── CaptureError         a capture file cannot be read
    │   └── TsharkMissing        a pcap needs ``tshark``, which is not installed
    ├── MissingExtraError    an optional extra is not installed                   [ImportError]
    └── TrioContextError     a blocking call was made inside a trio run           [RuntimeError]

Per-item failures of bulk calls are not raised: they come back as
``dmsproto.ItemError`` values, whose ``exception()`` gives the matching
``DMSError`` subclass.
"""

from __future__ import annotations

from typing import Any


class DMSProtoError(Exception):
    """Root of all dmsproto exceptions."""


class DecodeError(DMSProtoError, ValueError):
    """A message did not decode: ``pointer`` names where, ``reason`` why.

    Args:
        pointer: the JSON Pointer of the offending part (empty: the whole message).
        reason: what is wrong there.

    Attributes:
        pointer: as given.
        reason: as given.
    """

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(f"{pointer or '/'}: {reason}")
        self.pointer = pointer
        self.reason = reason


class NotJSON(DecodeError):
    """The text is not JSON as dmsproto reads it (:mod:`dmsproto.jsontext` says what that is).

    ``problem`` says what is wrong in dmsproto's words, with the position where the
    reader stopped (``unexpected character at position 12``); ``reason`` is
    ``not JSON: <problem>`` and ``pointer`` is empty (the whole text); ``too_deep``
    is true when the text nests deeper than the reader goes.

    Args:
        problem: what is wrong, with the position where the reader stopped.
        too_deep: whether the text nests deeper than the reader goes.

    Attributes:
        problem: as given.
        too_deep: as given.
    """

    def __init__(self, problem: str, *, too_deep: bool = False) -> None:
        super().__init__("", f"not JSON: {problem}")
        self.problem = problem
        self.too_deep = too_deep


class EncodeError(DMSProtoError, ValueError):
    """A value cannot be written as protocol JSON (e.g. a naive datetime)."""


class NotInVersionError(EncodeError):
    """The call or option is not part of the selected protocol version (nothing was sent).

    E.g. change-log commands under protocol 1.3, ``show_past`` before 1.5.
    """


class UnknownVersionError(DMSProtoError, ValueError):
    """The protocol version string names no version dmsproto ships (see ``VERSIONS``)."""


class DMSError(DMSProtoError):
    """The server answered an item with a code other than ``ok``.

    Args:
        path: the item's path (``None`` for an error of the whole command).
        code: the item's code (``not found``, ``no perm``, ``error``, ...).
        message: the server's message, if it sent one.

    Attributes:
        path: as given.
        code: as given.
        message: as given.
    """

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


class InvalidOptions(ConnectError, ValueError):
    """The connection options are wrong, so nothing was tried.

    A malformed URL (``127.0.0.1:9020``, ``ftp://x``), a password over plain
    ``ws://``/``http://`` without ``allow_insecure_auth``, TLS settings for a plain
    URL, TLS files that do not load, an option outside its bounds.  A
    ``ConnectError`` (callers that catch that keep working) and a ``ValueError``:
    the caller's input is at fault, not the network.
    """


class TLSError(ConnectError):
    """The TLS handshake failed (untrusted certificate, missing client cert)."""


class AuthenticationError(ConnectError):
    """The server refused our credentials."""


class WebSocketRefused(ConnectError):
    """The DMS accepted the WebSocket, then closed it before answering anything.

    That is how a DMS refuses a connection it will not serve, e.g. close code
    1003 "Invalid path." for a URL path other than ``/json_data``.  The message
    carries the close code and reason; nothing sent on that connection was done.
    The DMS sends nothing before it is asked, so ``connect()`` returns once the
    upgrade is accepted and the first call raises this.

    Attributes:
        code: the WebSocket close code (e.g. 1003).
        reason: the close reason the DMS gave ("" when none).
    """

    code: int = 0
    reason: str = ""


class ConnectionLost(TransportError):
    """The connection went away while a call or subscription depended on it."""


class NotSent(ConnectionLost):
    """The connection was lost before the request went out: nothing was done.

    Sending the same request again is safe (dmsproto never does it by itself).

    Attributes:
        ops: the operations of the request (``dmsproto.protocol`` ops).
    """

    ops: tuple[Any, ...] = ()


class OutcomeUnknown(ConnectionLost):
    """A request that writes went out, and the connection was lost before its answer.

    The DMS may or may not have done it: read the values back before writing
    again.  dmsproto never sends it again by itself.  A request split into
    several frames ("chunks", see ``chunk_size``) tells which were answered.

    Attributes:
        ops: every operation of the request, in order.
        unknown: the operations sent and not answered: done or not, nobody knows.
        answered: the operations whose answers came (done; their results are lost
            with the rest of the request).
        not_sent: the operations that never went out (not done).
        chunks: how many frames the request was split into.
        answered_chunks: the indexes of the frames that were answered.
    """

    ops: tuple[Any, ...] = ()
    unknown: tuple[Any, ...] = ()
    answered: tuple[Any, ...] = ()
    not_sent: tuple[Any, ...] = ()
    chunks: int = 1
    answered_chunks: tuple[int, ...] = ()


class Closed(ConnectionLost):
    """The blocking client or subscription was closed by this program (its block was left).

    A ``ConnectionLost``: code that handles a lost connection handles this too.
    """


class HTTPStatusError(TransportError):
    """The HTTP POST transport got a status other than 200 (a fatal DMS error).

    Args:
        status: the HTTP status code.
        body: the response body as text (the DMS's explanation), possibly empty.

    Attributes:
        status: as given.
        body: as given.
    """

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body}" if body else f"HTTP {status}")
        self.status = status
        self.body = body


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


class MissingExtraError(DMSProtoError, ImportError):
    """An optional extra is not installed; the message names the ``pip install`` to run."""


class TrioContextError(DMSProtoError, RuntimeError):
    """A blocking ``dmsproto.sync`` call was made from inside a trio run.

    It would block the very event loop it waits for; use ``dmsproto.connect()``
    (the trio client) there instead.
    """


__all__ = [
    "AuthenticationError",
    "CaptureError",
    "Closed",
    "ConnectError",
    "ConnectionLost",
    "DMSError",
    "DMSProtoError",
    "DecodeError",
    "EncodeError",
    "EventGap",
    "HTTPStatusError",
    "InvalidOptions",
    "MissingExtraError",
    "NoPermission",
    "NotFound",
    "NotInVersionError",
    "NotJSON",
    "NotSent",
    "OutcomeUnknown",
    "ProtocolError",
    "RequestTimeout",
    "SubscriptionOverflow",
    "TLSError",
    "TransportError",
    "TrioContextError",
    "TsharkMissing",
    "UnknownVersionError",
    "WebSocketRefused",
]
