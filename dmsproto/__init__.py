"""dmsproto: client, simulator and validator for the DMS JSON Data Exchange protocol.

The protocol is JSON over WebSocket (and HTTP POST) to the data server (DMS)
of ProMoS NT / Saia Visi.Plus.
"""

from __future__ import annotations

from ._generated.decoding import decode
from .client import Client, ReconnectPolicy, Subscription, connect
from .codec import encode
from .errors import (
    AuthenticationError,
    ConnectError,
    ConnectionLost,
    DecodeError,
    DMSError,
    DMSProtoError,
    EncodeError,
    EventGap,
    HTTPStatusError,
    NoPermission,
    NotFound,
    NotInVersionError,
    ProtocolError,
    RequestTimeout,
    SubscriptionOverflow,
    TLSError,
    TransportError,
)
from .results import (
    ChangelogEntry,
    ChangelogReadResult,
    DeleteResult,
    Event,
    ExtInfos,
    Gap,
    History,
    HistoryDetail,
    HistoryDetailEntry,
    HistoryEntry,
    ItemError,
    ItemResult,
    Point,
    RenameResult,
    SetResult,
    SubscribeResult,
)
from .timestamps import format_stamp, parse_stamp
from .validation import Violation, validate
from .versions import VERSIONS

__version__ = "0.1.0"

__all__ = [
    "VERSIONS",
    "ChangelogEntry",
    "ChangelogReadResult",
    "Client",
    "DeleteResult",
    "Event",
    "ExtInfos",
    "Gap",
    "HTTPStatusError",
    "History",
    "HistoryDetail",
    "HistoryDetailEntry",
    "HistoryEntry",
    "ItemError",
    "ItemResult",
    "Point",
    "ReconnectPolicy",
    "RenameResult",
    "SetResult",
    "SubscribeResult",
    "Subscription",
    "connect",
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
    "NotInVersionError",
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
