"""HTTP POST transport: the same calls over ``POST /json_data`` (no subscriptions).

A small HTTP/1.1 client on trio streams and h11 with a pool of keep-alive
connections (one per concurrent request).  A connection whose request was
cancelled or failed half-way is closed, never reused.
"""

from __future__ import annotations

import logging
import select
from collections.abc import Sequence
from typing import Any

import h11
import trio

from ..errors import (
    AuthenticationError,
    ConnectError,
    ConnectionLost,
    HTTPStatusError,
    ProtocolError,
)
from ..protocol.core import BadFrame, CallDone, ClientCore, SubscriptionData
from ..protocol.ops import Op
from ..recorder import Recorder
from ._net import open_stream, tls_error_from
from ._options import Options
from ._ws import trunc

log = logging.getLogger("dmsproto")

_RECEIVE = 65536


def _alive(stream: trio.abc.Stream) -> bool:
    """Whether an idle connection is still open: nothing readable (no EOF, no TLS alert)."""
    inner = stream.transport_stream if isinstance(stream, trio.SSLStream) else stream
    if not isinstance(inner, trio.SocketStream):
        return True
    fd = inner.socket.fileno()
    if fd < 0:
        return False
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            return not poller.poll(0)
        readable, _, _ = select.select([fd], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


class _HttpConnection:
    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.h11 = h11.Connection(our_role=h11.CLIENT)

    async def post(
        self, target: str, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> tuple[int, bytes]:
        """Send one request; return (status, body)."""
        h = self.h11
        out = h.send(h11.Request(method="POST", target=target, headers=headers))
        assert out is not None
        data = bytearray(out)
        data += h.send(h11.Data(data=body)) or b""
        data += h.send(h11.EndOfMessage()) or b""
        await self.stream.send_all(data)
        status = 0
        chunks: list[bytes] = []
        eof = False
        while True:
            try:
                event = h.next_event()
            except h11.RemoteProtocolError:
                if eof:
                    raise ConnectionLost(
                        "server closed the HTTP connection before answering"
                    ) from None
                raise
            if event is h11.NEED_DATA:
                chunk = await self.stream.receive_some(_RECEIVE)
                eof = not chunk
                h.receive_data(bytes(chunk))
                continue
            if isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return status, b"".join(chunks)
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionLost("server closed the HTTP connection before answering")

    @property
    def reusable(self) -> bool:
        h = self.h11
        if h.our_state is h11.DONE and h.their_state is h11.DONE:
            h.start_next_cycle()
            return True
        return False


class HttpBackend:
    """Request/response calls over HTTP POST."""

    transport = "http"

    def __init__(
        self, opts: Options, proto: ClientCore, recorder: Recorder | None = None
    ) -> None:
        self.opts = opts
        self.proto = proto
        self.recorder = recorder
        self.closed = False
        self._idle: list[_HttpConnection] = []
        self._closing: list[_HttpConnection] = []
        headers: list[tuple[bytes, bytes]] = [
            (b"Host", opts.host_header.encode("idna")),
            (b"Content-Type", b"application/json"),
            (b"Accept", b"application/json"),
        ]
        if opts.authorization is not None:
            headers.append((b"Authorization", opts.authorization))
        self._headers = headers

    @property
    def link(self) -> object | None:
        return None if self.closed else self

    async def _open(self) -> _HttpConnection:
        with trio.move_on_after(self.opts.connect_timeout):
            return _HttpConnection(await open_stream(self.opts))
        raise ConnectError(f"no connection to {self.opts.url} within {self.opts.connect_timeout} s")

    async def check(self) -> None:
        """Open one connection up front so connect() fails fast on bad address/TLS."""
        self._idle.append(await self._open())

    def _alive(self, conn: _HttpConnection) -> bool:
        return _alive(conn.stream)

    def _take_idle(self) -> _HttpConnection | None:
        """An idle keep-alive connection the server has not closed meanwhile."""
        while self._idle:
            conn = self._idle.pop()
            if self._alive(conn):
                return conn
            self._closing.append(conn)
        return None

    #: what a broken connection raises while a request is under way
    _broken: tuple[type[BaseException], ...] = (
        trio.BrokenResourceError, trio.ClosedResourceError, ConnectionLost,
    )

    async def _discard(self, conn: _HttpConnection) -> None:
        """Close a connection at once (not reusable, or the client is closing)."""
        await trio.aclose_forcefully(conn.stream)

    async def post(self, body: bytes) -> bytes:
        """POST one frame; never re-sent (a POST may have been processed already)."""
        if self.closed:
            raise ConnectionLost("client closed")
        while self._closing:
            await self._discard(self._closing.pop())
        conn = self._take_idle() or await self._open()
        headers = [*self._headers, (b"Content-Length", str(len(body)).encode())]
        ok = False
        try:
            status, data = await conn.post(self.opts.path, headers, body)
            ok = True
        except self._broken as exc:
            tls = tls_error_from(exc, f"{self.opts.host}:{self.opts.port}")
            if tls is not None:
                raise tls from exc
            raise ConnectionLost(f"HTTP request to {self.opts.url} failed: {exc}") from exc
        except h11.ProtocolError as exc:
            raise ProtocolError(f"bad HTTP response from {self.opts.url}: {exc}") from exc
        finally:
            if ok and conn.reusable and not self.closed:
                self._idle.append(conn)
            else:
                await self._discard(conn)
        return self._reply(status, data)

    def _reply(self, status: int, data: bytes) -> bytes:
        """The answer's body; a status other than 200 raised as its error."""
        if status == 200:
            return data
        text = data[:300].decode("utf-8", "replace").strip()
        if status in (401, 403):
            raise AuthenticationError(f"{self.opts.url} refused the credentials (HTTP {status})")
        raise HTTPStatusError(status, text)

    async def execute(self, ops: Sequence[Op], root_tag: Any, deadline: float) -> list[Any]:
        del deadline  # the caller's cancel scope bounds the request
        call = self.proto.start_call(ops, root_tag=root_tag)
        debug = log.isEnabledFor(logging.DEBUG)
        try:
            recorder = self.recorder
            for frame in call.frames:
                if debug:
                    log.debug("post %s", trunc(frame))
                if recorder is not None:
                    recorder.record("send", frame)
                body = await self.post(frame)
                if recorder is not None:
                    recorder.record("recv", body)
                if debug:
                    log.debug("recv %s", trunc(body))
                for ev in self.proto.receive(body):
                    match ev:
                        case BadFrame():
                            raise ev.error
                        case CallDone() | SubscriptionData():
                            pass  # the answer is read from ``call`` below; no push over HTTP
        except BaseException:
            self.proto.abandon(call)
            raise
        if call.remaining:
            self.proto.abandon(call)
            raise ProtocolError("HTTP response did not answer the request (root tag missing)")
        return call.results()

    async def aclose(self) -> None:
        self.closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            await self._discard(conn)


__all__ = ["HttpBackend"]
