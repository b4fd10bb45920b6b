"""The trio client for the DMS JSON Data Exchange (WebSocket and HTTP POST)."""

from __future__ import annotations

from ._client import Client, Subscription, connect
from ._options import ReconnectPolicy

__all__ = ["Client", "ReconnectPolicy", "Subscription", "connect"]
