"""A raw WebSocket loop on trio without trio-websocket: wsproto on a trio TCP stream.

The least a trio client needs to speak WebSocket: no reader task and no message
channel between the socket and the task that waits (trio-websocket has both), so a
frame read is a frame handed over.  Measured beside the raw trio-websocket loop, it
shows what the trio client gained with its own transport on wsproto (see the design notes).
Reads 64 KiB at a time and answers pings, like the clients measured beside it.
"""

from __future__ import annotations

import trio

from ._wsproto_raw import READ, RawHandshake, RawMessages


class WsprotoTrio:
    """wsproto over ``trio.open_tcp_stream``: one text message in, one out."""

    def __init__(self, stream: trio.SocketStream, messages: RawMessages) -> None:
        self.stream = stream
        self.messages = messages

    @classmethod
    async def open(cls, url: str) -> WsprotoTrio:
        handshake = RawHandshake(url)
        stream = await trio.open_tcp_stream(handshake.host, handshake.port)
        await stream.send_all(handshake.request)
        while not handshake.accepted(await stream.receive_some(READ)):
            pass
        return cls(stream, RawMessages(handshake.ws))

    async def send(self, text: str) -> None:
        await self.stream.send_all(self.messages.frame(text))

    async def recv(self) -> str:
        messages = self.messages
        while (text := messages.next()) is None:
            if messages.replies:
                await self.stream.send_all(messages.take_replies())
            messages.feed(await self.stream.receive_some(READ))
        return text

    async def close(self) -> None:
        await self.stream.aclose()
