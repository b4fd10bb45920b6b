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

from ._wsproto_raw import READ, RawHandshake, RawMessages


class RawSocket(Protocol):
    """What the raw loops need from either library."""

    async def send(self, text: str) -> None: ...

    async def recv(self) -> str: ...

    async def close(self) -> None: ...


class WsprotoSocket:
    """wsproto over ``asyncio.open_connection``: one text message in, one out."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 messages: RawMessages) -> None:
        self.reader = reader
        self.writer = writer
        self.messages = messages

    @classmethod
    async def open(cls, url: str) -> WsprotoSocket:
        handshake = RawHandshake(url)
        reader, writer = await asyncio.open_connection(handshake.host, handshake.port)
        writer.write(handshake.request)
        while not handshake.accepted(await reader.read(READ)):
            pass
        return cls(reader, writer, RawMessages(handshake.ws))

    async def send(self, text: str) -> None:
        self.writer.write(self.messages.frame(text))

    async def recv(self) -> str:
        messages = self.messages
        while (text := messages.next()) is None:
            if messages.replies:
                self.writer.write(messages.take_replies())
            messages.feed(await self.reader.read(READ))
        return text

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
