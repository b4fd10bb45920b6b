"""Sans-I/O core of the DMS client: operations, frames, correlation, subscriptions."""

from __future__ import annotations

from .core import (
    DEFAULT_CHUNK_SIZE,
    BadFrame,
    Call,
    CallDone,
    ClientCore,
    CoreEvent,
    SubscriptionData,
    SubscriptionState,
)
from .ops import (
    ChangelogGroups,
    ChangelogRead,
    Delete,
    Get,
    GetMany,
    Op,
    Query,
    ReadChangelog,
    ReadHistory,
    Rename,
    Set,
    Stamp,
    Subscribe,
    Unsubscribe,
    encode_stamp,
    event_spec,
    query_object,
)
from .stats import ReceiveStats

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "Call",
    "CallDone",
    "ChangelogGroups",
    "ChangelogRead",
    "ClientCore",
    "Delete",
    "Get",
    "GetMany",
    "Op",
    "CoreEvent",
    "BadFrame",
    "Query",
    "ReadChangelog",
    "ReceiveStats",
    "ReadHistory",
    "Rename",
    "Set",
    "Stamp",
    "Subscribe",
    "SubscriptionData",
    "SubscriptionState",
    "Unsubscribe",
    "encode_stamp",
    "event_spec",
    "query_object",
]
