"""A raw WebSocket client for wire tests: frames as sent, text or binary, masked or not."""

from __future__ import annotations

from typing import Any

import trio
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Message,
    Request,
    TextMessage,
)


def frame(payload: bytes, *, opcode: int = 0x1, fin: bool = True,
          mask: bytes | None = None) -> bytes:
    """One WebSocket frame as bytes; unmasked unless ``mask`` (4 bytes) is given."""
    head = bytearray([(0x80 if fin else 0) | opcode])
    flag = 0x80 if mask is not None else 0
    size = len(payload)
    if size < 126:
        head.append(flag | size)
    elif size < 65536:
        head.append(flag | 126)
        head += size.to_bytes(2, "big")
    else:
        head.append(flag | 127)
        head += size.to_bytes(8, "big")
    if mask is None:
        return bytes(head) + payload
    key = (mask * (size // 4 + 1))[:size]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(size, "big")
    return bytes(head) + mask + masked


class RawWebSocket:
    """A wsproto client that records the frames it receives (sizes in payload bytes)."""

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.frames: list[int] = []
        self._frame = 0
        self._parts: list[str] = []

    @classmethod
    async def connect(cls, port: int, path: str = "/json_data") -> RawWebSocket:
        raw = cls(await trio.open_tcp_stream("127.0.0.1", port))
        await raw.stream.send_all(raw.ws.send(Request(host="127.0.0.1", target=path)))
        while True:
            for event in await raw._events():
                if isinstance(event, AcceptConnection):
                    return raw
                raise AssertionError(f"handshake failed: {event}")

    async def _events(self) -> list[Any]:
        events = list(self.ws.events())
        while not events:
            data = await self.stream.receive_some(65536)
            self.ws.receive_data(data or None)
            events = list(self.ws.events())
        return events

    async def send(self, text: str) -> None:
        await self.stream.send_all(self.ws.send(TextMessage(data=text)))

    async def send_binary(self, data: bytes) -> None:
        """A binary message, masked (as the ws library of Node.js sends it)."""
        await self.stream.send_all(self.ws.send(BytesMessage(data=data)))

    async def send_raw(self, data: bytes) -> None:
        """Bytes as they are: frames built with :func:`frame`."""
        await self.stream.send_all(data)

    async def receive(self) -> str | CloseConnection:
        while True:
            for event in await self._events():
                if isinstance(event, CloseConnection):
                    return event
                assert isinstance(event, Message) and isinstance(event.data, str)
                self._frame += len(event.data.encode("utf-8"))
                self._parts.append(event.data)
                if event.frame_finished:
                    self.frames.append(self._frame)
                    self._frame = 0
                if event.message_finished:
                    text = "".join(self._parts)
                    self._parts = []
                    return text
