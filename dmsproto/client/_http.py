"""HTTP POST transport: the same calls over ``POST /json_data`` (no subscriptions).

A small HTTP/1.1 client on trio streams and h11 with a pool of keep-alive
connections (one per concurrent request).  A connection whose request was
cancelled or failed half-way is closed, never reused.

The guarantees of the WebSocket transport hold here too: the body of each
answer goes through the same core (a body that cannot be read fails its call
with ``ProtocolError``), bodies over ``max_message_size`` are refused, and a
request is never sent twice: one lost after it went out raises what the core's
``failure`` says (``OutcomeUnknown`` for a write).
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
from ..protocol._triage import shorten
from ..protocol.core import BadFrame, Call, ClientCore
from ..protocol.ops import Op
from ..recorder import Recorder, http_status_answer
from ._net import open_stream
from ._opening import Opening, first_attempts, first_retry_delay, tls_error_from
from ._options import Options

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
        #: whether the current request was written whole (it may have been done)
        self.request_sent = False

    async def post(
        self, target: str, headers: list[tuple[bytes, bytes]], body: bytes, limit: int
    ) -> tuple[int, bytes]:
        """Send one request; return (status, body); ``ProtocolError`` for a body over ``limit``."""
        h = self.h11
        out = h.send(h11.Request(method="POST", target=target, headers=headers))
        assert out is not None
        data = bytearray(out)
        data += h.send(h11.Data(data=body)) or b""
        data += h.send(h11.EndOfMessage()) or b""
        self.request_sent = False
        await self.stream.send_all(data)
        self.request_sent = True
        status = 0
        chunks: list[bytes] = []
        size = 0
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
                size += len(event.data)
                if size > limit:
                    raise ProtocolError(
                        f"an HTTP answer is larger than max_message_size ({limit} bytes)"
                    )
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
        opening = Opening(self.opts)
        with trio.move_on_after(self.opts.connect_timeout):
            return _HttpConnection(await open_stream(self.opts, opening))
        raise opening.timed_out()

    async def check(self) -> None:
        """Open one connection up front so connect() fails fast on bad address/TLS.

        With ``wait_for_server`` it is retried by the reconnect policy instead.
        """
        attempts = first_attempts(self.opts)
        while True:
            try:
                self._idle.append(await self._open())
                return
            except ConnectError as exc:
                await self._pause(first_retry_delay(self.opts, attempts, exc))

    async def _pause(self, seconds: float) -> None:
        """Sleep, on the loop's clock."""
        await trio.sleep(seconds)

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

    async def post(self, body: bytes, call: Call | None = None) -> bytes:
        """POST one frame; never re-sent (a POST may have been processed already).

        ``call.sent`` is counted up once the request was written whole.
        """
        if self.closed:
            raise ConnectionLost("client closed")
        while self._closing:
            await self._discard(self._closing.pop())
        conn = self._take_idle() or await self._open()
        headers = [*self._headers, (b"Content-Length", str(len(body)).encode())]
        ok = False
        try:
            try:
                status, data = await conn.post(
                    self.opts.path, headers, body, self.opts.max_message_size
                )
            finally:
                if call is not None and conn.request_sent:
                    call.sent += 1
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
        """The answer's body; a status other than 200 raised as its error.

        Such an answer is no protocol message: the recording marks the request as
        answered all the same, so a later check does not call it unanswered.
        """
        if status == 200:
            return data
        if self.recorder is not None:
            self.recorder.settled(http_status_answer(status))
        text = data[:300].decode("utf-8", "replace").strip()
        if status in (401, 403):
            raise AuthenticationError(f"{self.opts.url} refused the credentials (HTTP {status})")
        raise HTTPStatusError(status, text)

    async def execute(self, ops: Sequence[Op], root_tag: Any, deadline: float) -> list[Any]:
        """Post the call's frames one by one; each answer must be the answer to its frame."""
        del deadline  # the caller's cancel scope bounds the request
        proto = self.proto
        call = proto.start_call(ops, root_tag=root_tag)
        debug = log.isEnabledFor(logging.DEBUG)
        try:
            recorder = self.recorder
            for n, frame in enumerate(call.frames):
                if debug:
                    log.debug("post %s", shorten(frame))
                if recorder is not None:
                    recorder.record("send", frame, http=True)
                try:
                    body = await self.post(frame, call)
                except (ConnectionLost, ProtocolError) as exc:
                    raise proto.failure(call, exc) from exc
                if recorder is not None:
                    recorder.record("recv", body, http=True)
                if debug:
                    log.debug("recv %s", shorten(body))
                bad = [ev.error for ev in proto.receive(body) if type(ev) is BadFrame]
                if call.error is not None:
                    break  # the answer broke the protocol: the call failed with it
                if call.responses[n] is None:
                    why = f": {bad[0]}" if bad else " (root tag missing)"
                    raise ProtocolError(
                        f"the HTTP answer from {self.opts.url} does not answer the request{why}"
                    )
        except BaseException:
            proto.abandon(call)
            raise
        return call.results()

    async def aclose(self) -> None:
        self.closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            await self._discard(conn)


__all__ = ["HttpBackend"]
