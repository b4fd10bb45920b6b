"""The wsproto side of the raw loops on trio and on asyncio: the least a client needs.

No protocol layer and no error handling beyond a ``ConnectionError``: the
handshake (``RawHandshake``), then whole text messages out of wsproto's events
with pings answered (``RawMessages``).  Each loop only moves the bytes.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Message,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)

READ = 65536


class RawHandshake:
    """The upgrade request for ``url``; ``accepted`` takes each read until it was accepted."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        assert parts.hostname is not None and parts.port is not None
        self.host, self.port = parts.hostname, parts.port
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.request = self.ws.send(Request(host=f"{self.host}:{self.port}",
                                            target=parts.path or "/"))

    def accepted(self, data: bytes) -> bool:
        if not data:
            raise ConnectionError("closed during the handshake")
        self.ws.receive_data(data)
        for event in self.ws.events():
            if isinstance(event, AcceptConnection):
                return True
            if isinstance(event, RejectConnection):
                raise ConnectionError(f"rejected: {event.status_code}")
        return False


class RawMessages:
    """Whole text messages from one open connection; ``replies`` holds the ping answers."""

    def __init__(self, ws: WSConnection) -> None:
        self.ws = ws
        self._events = ws.events()
        self._parts: list[str] = []
        self.replies = b""

    def frame(self, text: str) -> bytes:
        return self.ws.send(Message(data=text))

    def next(self) -> str | None:
        """The next whole message, or ``None`` when more must be read (``feed``)."""
        parts = self._parts
        for event in self._events:
            if isinstance(event, TextMessage):
                parts.append(event.data)
                if event.message_finished:
                    text = "".join(parts) if len(parts) > 1 else parts[0]
                    parts.clear()
                    return text
            elif isinstance(event, Ping):
                self.replies += self.ws.send(event.response())
            elif isinstance(event, CloseConnection):
                raise ConnectionError(f"closed: {event.code}")
        return None

    def feed(self, data: bytes) -> None:
        if not data:
            raise ConnectionError("connection lost")
        self.ws.receive_data(data)
        self._events = self.ws.events()

    def take_replies(self) -> bytes:
        replies, self.replies = self.replies, b""
        return replies
