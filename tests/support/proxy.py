"""Helpers of the proxy tests (imported by name: tests are not a package).

- :class:`Seen`: the proxy's listener in tests; keeps every finding and notice and
  lets a test wait for one (woken by the listener, no polling).
- :func:`running_proxy`: a :class:`~dmsproto.proxy.Proxy` in front of an upstream URL.
- :class:`RawClient`: a WebSocket client on wsproto that sends exactly what a test
  says (frames, fragments, pings, raw bytes) and reads frame by frame.
- :class:`FrameServer`: an upstream that records every frame it gets and echoes it
  back as the same frame; text commands make it ping or close.
"""

from __future__ import annotations

import base64
import os
import socket
import ssl
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h11
import trio
from wsproto import ConnectionType, WSConnection
from wsproto.connection import Connection, ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Ping,
    Pong,
    Request,
    TextMessage,
)
from wsproto.frame_protocol import CloseReason
from wsproto.utilities import generate_accept_token

from dmsproto.capture import Recorder, validate_files
from dmsproto.proxy import (
    Finding,
    Limits,
    LiveChecker,
    Notice,
    Proxy,
    Witness,
    upstream_from_url,
)

STEP = 10.0
"""Seconds any single step of a test may take."""


def as_validate_sees(findings: list[Finding]) -> Counter[tuple[Any, ...]]:
    """Findings as ``dmsproto validate`` reports them (by direction, rule, pointer, text)."""
    return Counter((f.direction, f.rule, f.pointer, f.message) for f in findings)


def validated(path: Path) -> Counter[tuple[Any, ...]]:
    """What ``dmsproto validate`` finds in the capture ``path``, in the same terms."""
    report = validate_files([path], max_examples=1000)
    return Counter((e.direction, e.rule, e.pointer, e.message)
                   for group in report.rules.values() for e in group.examples)


class Seen:
    """Everything the proxy told, in order; ``await seen.wait_for(test)`` blocks until
    an item passes ``test`` (the listener wakes the waiters)."""

    def __init__(self) -> None:
        self.items: list[Finding | Notice] = []
        self._changed = trio.Event()

    def __call__(self, item: Finding | Notice) -> None:
        self.items.append(item)
        self._changed.set()
        self._changed = trio.Event()

    @property
    def findings(self) -> list[Finding]:
        return [i for i in self.items if isinstance(i, Finding)]

    @property
    def notices(self) -> list[Notice]:
        return [i for i in self.items if isinstance(i, Notice)]

    def events(self, event: str) -> list[Notice]:
        return [n for n in self.notices if n.event == event]

    def rules(self) -> list[tuple[str, str | None, int, str, str]]:
        """``(client, direction, message number, rule, pointer)`` of every finding."""
        return [(f.client, f.direction, f.message_number, f.rule, f.pointer)
                for f in self.findings]

    async def wait_for(self, test: Callable[[Finding | Notice], bool]) -> Finding | Notice:
        with trio.fail_after(STEP):
            while True:
                for item in self.items:
                    if test(item):
                        return item
                await self._changed.wait()

    async def wait_notice(self, event: str, client: str | None = None) -> Notice:
        item = await self.wait_for(lambda i: isinstance(i, Notice) and i.event == event
                                   and (client is None or i.client == client))
        assert isinstance(item, Notice)
        return item


@asynccontextmanager
async def running_proxy(upstream_url: str, *, cafile: str | None = None,
                        certfile: str | None = None, protocol: str = "1.4",
                        record: Recorder | None = None,
                        clock: Callable[[], float] = time.time, **options: Any
                        ) -> AsyncIterator[tuple[Proxy, Seen]]:
    """A proxy on a free loopback port in front of ``upstream_url``; waits on exit until
    every client connection has ended (so every notice and finding is in)."""
    seen = Seen()
    witness = Witness(LiveChecker(protocol), recorder=record, listener=seen, clock=clock)
    upstream = upstream_from_url(upstream_url, cafile=cafile, certfile=certfile)
    options.setdefault("limits", Limits(close_timeout=2.0))
    try:
        async with Proxy(upstream, witness, **options) as proxy:
            yield proxy, seen
            with trio.fail_after(STEP):
                await proxy.wait_idle()
    finally:
        if record is not None:
            record.close()


# ------------------------------------------------------------------------ frames


@dataclass
class Frame:
    """One whole frame as seen on the wire (data frames) or a control frame."""

    kind: str
    """``text``, ``binary``, ``ping``, ``pong`` or ``close``."""
    data: Any = None
    fin: bool = True
    code: int | None = None


class FrameReader:
    """Turns wsproto events into whole frames (an event can be part of a frame)."""

    def __init__(self) -> None:
        self._parts: list[Any] = []

    def feed(self, event: Event) -> Frame | None:
        if isinstance(event, (TextMessage, BytesMessage)):
            self._parts.append(event.data)
            if not event.frame_finished:
                return None
            parts, self._parts = self._parts, []
            if isinstance(event, TextMessage):
                return Frame("text", "".join(parts), event.message_finished)
            return Frame("binary", b"".join(bytes(p) for p in parts), event.message_finished)
        if isinstance(event, Ping):
            return Frame("ping", bytes(event.payload))
        if isinstance(event, Pong):
            return Frame("pong", bytes(event.payload))
        if isinstance(event, CloseConnection):
            return Frame("close", event.reason, code=int(event.code))
        return None


def frame_event(frame: Frame) -> Event:
    """The wsproto event that sends ``frame``."""
    if frame.kind == "text":
        return TextMessage(data=frame.data, message_finished=frame.fin)
    if frame.kind == "binary":
        return BytesMessage(data=frame.data, message_finished=frame.fin)
    if frame.kind == "ping":
        return Ping(payload=frame.data)
    if frame.kind == "pong":
        return Pong(payload=frame.data)
    if frame.code == CloseReason.NO_STATUS_RCVD:
        return CloseConnection(code=CloseReason.NO_STATUS_RCVD)  # an empty close frame
    return CloseConnection(code=frame.code or 1000, reason=frame.data)


class RawClient:
    """A WebSocket client that sends frames exactly as told (or any bytes at all)."""

    def __init__(self, stream: trio.abc.Stream, ws: Connection) -> None:
        self.stream = stream
        self.ws = ws
        self.reader = FrameReader()
        self.frames: list[Frame] = []

    @classmethod
    @asynccontextmanager
    async def connect(cls, port: int, *, target: str = "/json_data",
                      headers: list[tuple[bytes, bytes]] | None = None,
                      ssl_context: ssl.SSLContext | None = None
                      ) -> AsyncIterator[RawClient]:
        stream: trio.abc.Stream = await trio.open_tcp_stream("127.0.0.1", port)
        if ssl_context is not None:
            stream = trio.SSLStream(stream, ssl_context, server_hostname="127.0.0.1")
        try:
            key = base64.b64encode(os.urandom(16))
            http = h11.Connection(h11.CLIENT)
            head = [(b"Host", f"127.0.0.1:{port}".encode()), (b"Upgrade", b"websocket"),
                    (b"Connection", b"Upgrade"), (b"Sec-WebSocket-Key", key),
                    (b"Sec-WebSocket-Version", b"13"), *(headers or [])]
            await stream.send_all(http.send(h11.Request(method="GET", target=target,
                                                        headers=head)) or b"")
            with trio.fail_after(STEP):
                while True:
                    event = http.next_event()
                    if event is h11.NEED_DATA:
                        http.receive_data(await stream.receive_some(65536))
                        continue
                    break
            if not isinstance(event, h11.InformationalResponse) or event.status_code != 101:
                raise AssertionError(f"handshake refused: {event!r}")
            accept = dict(event.headers).get(b"sec-websocket-accept")
            assert accept == generate_accept_token(key)
            ws = Connection(ConnectionType.CLIENT, trailing_data=http.trailing_data[0])
            yield cls(stream, ws)
        finally:
            await trio.aclose_forcefully(stream)

    async def send(self, *frames: Frame) -> None:
        await self.stream.send_all(b"".join(self.ws.send(frame_event(f)) for f in frames))

    async def send_raw(self, data: bytes) -> None:
        await self.stream.send_all(data)

    async def text(self, text: str) -> None:
        await self.send(Frame("text", text))

    async def frame(self) -> Frame:
        """The next frame (``close`` with code 1006 when the connection dropped)."""
        with trio.fail_after(STEP):
            while True:
                for event in self.ws.events():
                    frame = self.reader.feed(event)
                    if frame is not None:
                        self.frames.append(frame)
                        return frame
                try:
                    data = await self.stream.receive_some(65536)
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    data = b""
                if not data:
                    return Frame("close", "", code=1006)
                self.ws.receive_data(data)

    async def message(self) -> str | bytes:
        """The next whole data message, skipping control frames."""
        parts: list[Any] = []
        while True:
            frame = await self.frame()
            if frame.kind == "close":
                raise AssertionError(f"closed with {frame.code} {frame.data!r}")
            if frame.kind in ("text", "binary"):
                parts.append(frame.data)
                if frame.fin:
                    return "".join(parts) if frame.kind == "text" or isinstance(
                        parts[0], str) else b"".join(parts)

    async def close(self, code: int = 1000, reason: str = "") -> Frame:
        """Send a close frame; the close frame that answers it."""
        await self.send(Frame("close", reason, code=code))
        while True:
            frame = await self.frame()
            if frame.kind == "close":
                return frame

    @property
    def state(self) -> ConnectionState:
        return self.ws.state


@dataclass
class FrameServer:
    """An upstream that echoes every data frame as the same frame and records all frames.

    A text message ``"ping:PAYLOAD"`` makes it send a ping with PAYLOAD (it records
    the pong); ``"close:CODE:REASON"`` makes it close with that code and reason.
    With ``paused``, it stops reading after the handshake until ``resume`` is set
    (with a small receive buffer, so the sender soon has to wait); with ``echo``
    false it only records.
    """

    port: int = 0
    frames: list[Frame] = field(default_factory=list)
    connections: int = 0
    paused: bool = False
    echo: bool = True

    def __post_init__(self) -> None:
        self.closed_with = trio.Event()
        self.close_frame: Frame | None = None
        self.request_headers: list[tuple[bytes, bytes]] = []
        self.offered_extensions: list[str] = []
        """The extensions the last upgrade request offered (wsproto keeps them apart)."""
        self.resume = trio.Event()
        self.received = 0
        self.ended = trio.Event()
        """Set when a connection has ended (the peer closed or went away)."""

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/json_data"

    async def serve(self, task_status: trio.TaskStatus[FrameServer] = trio.TASK_STATUS_IGNORED
                    ) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        async with trio.open_nursery() as nursery:
            await nursery.start(trio.serve_listeners, self._handle, listeners)
            task_status.started(self)

    async def _handle(self, stream: trio.SocketStream) -> None:
        self.connections += 1
        ws = WSConnection(ConnectionType.SERVER)
        reader = FrameReader()
        message: list[Any] = []
        if self.paused:
            stream.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        try:
            while True:
                if self.paused and ws.state is ConnectionState.OPEN:
                    await self.resume.wait()
                data = await stream.receive_some(65536)
                if not data:
                    return
                self.received += len(data)
                ws.receive_data(data)
                out = b""
                for event in ws.events():
                    if isinstance(event, Request):
                        self.request_headers = [(bytes(k), bytes(v))
                                                for k, v in event.extra_headers]
                        self.offered_extensions = [str(e) for e in event.extensions]
                        out += ws.send(AcceptConnection())
                        continue
                    frame = reader.feed(event)
                    if frame is None:
                        continue
                    self.frames.append(frame)
                    if frame.kind in ("text", "binary") and self.echo:
                        out += ws.send(frame_event(frame))
                        message.append(frame.data)
                        if frame.fin:
                            out += self._command(ws, message)
                            message = []
                    elif frame.kind == "close":
                        self.close_frame = frame
                        if ws.state is ConnectionState.REMOTE_CLOSING:
                            out += ws.send(frame_event(frame))
                        await stream.send_all(out)
                        self.closed_with.set()
                        return
                if out:
                    await stream.send_all(out)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return
        finally:
            await trio.aclose_forcefully(stream)
            self.ended.set()

    @staticmethod
    def _command(ws: WSConnection, message: list[Any]) -> bytes:
        if not message or not isinstance(message[0], str):
            return b""
        text = "".join(message)
        if text.startswith("ping:"):
            return ws.send(Ping(payload=text[5:].encode()))
        if text.startswith("close:"):
            _, code, reason = text.split(":", 2)
            return ws.send(CloseConnection(code=int(code), reason=reason))
        return b""
