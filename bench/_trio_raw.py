"""A raw WebSocket loop on trio without trio-websocket: wsproto on a trio TCP stream.

The least a trio client needs to speak WebSocket: no reader task and no message
channel between the socket and the task that waits (trio-websocket has both), so a
frame read is a frame handed over.  Measured beside the raw trio-websocket loop, it
shows what a transport of our own on wsproto could save (see the design notes).
Reads 64 KiB at a time and answers pings, like the clients measured beside it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import trio
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


class WsprotoTrio:
    """wsproto over ``trio.open_tcp_stream``: one text message in, one out."""

    def __init__(self, stream: trio.SocketStream, ws: WSConnection) -> None:
        self.stream = stream
        self.ws = ws
        self._events = ws.events()
        self._parts: list[str] = []

    @classmethod
    async def open(cls, url: str) -> WsprotoTrio:
        parts = urlsplit(url)
        assert parts.hostname is not None and parts.port is not None
        stream = await trio.open_tcp_stream(parts.hostname, parts.port)
        ws = WSConnection(ConnectionType.CLIENT)
        await stream.send_all(ws.send(Request(host=f"{parts.hostname}:{parts.port}",
                                              target=parts.path or "/")))
        while True:
            data = await stream.receive_some(READ)
            if not data:
                raise ConnectionError("closed during the handshake")
            ws.receive_data(data)
            for event in ws.events():
                if isinstance(event, AcceptConnection):
                    return cls(stream, ws)
                if isinstance(event, RejectConnection):
                    raise ConnectionError(f"rejected: {event.status_code}")

    async def send(self, text: str) -> None:
        await self.stream.send_all(self.ws.send(Message(data=text)))

    async def recv(self) -> str:
        ws = self.ws
        parts = self._parts
        while True:
            for event in self._events:
                if isinstance(event, TextMessage):
                    parts.append(event.data)
                    if event.message_finished:
                        text = "".join(parts)
                        parts.clear()
                        return text
                elif isinstance(event, Ping):
                    await self.stream.send_all(ws.send(event.response()))
                elif isinstance(event, CloseConnection):
                    raise ConnectionError(f"closed: {event.code}")
            data = await self.stream.receive_some(READ)
            if not data:
                raise ConnectionError("connection lost")
            ws.receive_data(data)
            self._events = ws.events()

    async def close(self) -> None:
        await self.stream.aclose()
