"""dmsproto: client, simulator and validator for the DMS JSON Data Exchange protocol.

The protocol is JSON over WebSocket (and HTTP POST) to the data server (DMS)
of ProMoS NT / Saia Visi.Plus.
"""

from __future__ import annotations

from .codec import decode, encode
from .errors import (
    AuthenticationError,
    ConnectError,
    ConnectionLost,
    DecodeError,
    DMSError,
    DMSProtoError,
    EncodeError,
    EventGap,
    NoPermission,
    NotFound,
    ProtocolError,
    RequestTimeout,
    SubscriptionOverflow,
    TLSError,
    TransportError,
)
from .timestamps import format_stamp, parse_stamp
from .validation import Violation, validate
from .versions import VERSIONS

__version__ = "0.1.0"

__all__ = [
    "VERSIONS",
    "AuthenticationError",
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
    "Violation",
    "decode",
    "encode",
    "format_stamp",
    "parse_stamp",
    "validate",
]
