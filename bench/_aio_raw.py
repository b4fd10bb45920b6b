"""Raw asyncio WebSocket loops: the floors the asyncio client is measured against.

Two candidate WebSocket layers for asyncio, each in the least code a client needs
(no protocol layer: ``json.dumps`` the request, ``json.loads`` the answer):

* wsproto (sans-I/O, the library the simulator and the proxy use) on asyncio's
  own streams (``asyncio.open_connection``);
* websockets (its asyncio client, ``websockets.asyncio.client.connect``), with
  compression off and no size limit, as our client runs.

Both read with 64 KiB reads and answer pings, like the clients measured beside them.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol
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


class RawSocket(Protocol):
    """What the raw loops need from either library."""

    async def send(self, text: str) -> None: ...

    async def recv(self) -> str: ...

    async def close(self) -> None: ...


class WsprotoSocket:
    """wsproto over ``asyncio.open_connection``: one text message in, one out."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 ws: WSConnection) -> None:
        self.reader = reader
        self.writer = writer
        self.ws = ws
        self._events = ws.events()
        self._parts: list[str] = []

    @classmethod
    async def open(cls, url: str) -> WsprotoSocket:
        parts = urlsplit(url)
        assert parts.hostname is not None and parts.port is not None
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        ws = WSConnection(ConnectionType.CLIENT)
        writer.write(ws.send(Request(host=f"{parts.hostname}:{parts.port}",
                                     target=parts.path or "/")))
        while True:
            data = await reader.read(READ)
            if not data:
                raise ConnectionError("closed during the handshake")
            ws.receive_data(data)
            for event in ws.events():
                if isinstance(event, AcceptConnection):
                    return cls(reader, writer, ws)
                if isinstance(event, RejectConnection):
                    raise ConnectionError(f"rejected: {event.status_code}")

    async def send(self, text: str) -> None:
        self.writer.write(self.ws.send(Message(data=text)))

    async def recv(self) -> str:
        ws = self.ws
        parts = self._parts
        while True:
            for event in self._events:
                if isinstance(event, TextMessage):
                    parts.append(event.data)
                    if event.message_finished:
                        text = "".join(parts) if len(parts) > 1 else parts[0]
                        parts.clear()
                        return text
                elif isinstance(event, Ping):
                    self.writer.write(ws.send(event.response()))
                elif isinstance(event, CloseConnection):
                    raise ConnectionError(f"closed: {event.code}")
            data = await self.reader.read(READ)
            if not data:
                raise ConnectionError("connection lost")
            ws.receive_data(data)
            self._events = ws.events()

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


class WebsocketsSocket:
    """websockets' asyncio client (no compression, no message size limit)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, url: str) -> WebsocketsSocket:
        from websockets.asyncio.client import connect

        ws = await connect(url, compression=None, max_size=None, ping_interval=None)
        return cls(ws)

    async def send(self, text: str) -> None:
        await self.ws.send(text)

    async def recv(self) -> str:
        text: str = await self.ws.recv()
        return text

    async def close(self) -> None:
        await self.ws.close()


def websockets_version() -> str | None:
    """The installed websockets version, or ``None`` when it is not installed."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("websockets")
    except PackageNotFoundError:
        return None
