"""dmsproto: client, simulator and validator for the DMS JSON Data Exchange protocol.

The protocol is JSON over WebSocket (and HTTP POST) to the data server (DMS)
of ProMoS NT / Saia Visi.Plus.

Importing the package stays light: ``validate`` and ``Violation`` (the schema
validators) and ``__version__`` (the installed distribution's metadata) load
when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
from .versions import VERSIONS

if TYPE_CHECKING:
    from .validation import Violation, validate

    __version__: str


def __getattr__(name: str) -> Any:
    if name in ("validate", "Violation"):
        from . import validation

        value = getattr(validation, name)
    elif name == "__version__":
        from importlib.metadata import version

        value = version(__name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, "__version__"})

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
