"""The trio client for the DMS JSON Data Exchange (WebSocket and HTTP POST)."""

from __future__ import annotations

from ..options import ReconnectPolicy
from ._client import Client, Subscription, connect

__all__ = ["Client", "ReconnectPolicy", "Subscription", "connect"]
