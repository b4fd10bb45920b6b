"""HTTP POST transport on asyncio: the trio transport's h11 client on asyncio streams.

The request/response logic (h11, the frames through the core, the recording) is
the trio transport's own: it awaits only its stream's ``send_all`` and
``receive_some``, which :class:`Stream` provides on asyncio's streams.  What is
asyncio's here: opening connections, telling an idle one is still alive, timing
a call out, and closing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, cast

import h11

from ..client import _http
from ..client._net import tls_error_from
from ..errors import (
    AuthenticationError,
    ConnectError,
    ConnectionLost,
    HTTPStatusError,
    ProtocolError,
    RequestTimeout,
)
from ..protocol.ops import Op
from ._net import abort, open_stream, where


class Stream:
    """An asyncio stream pair with the two awaitables the h11 connection uses."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def send_all(self, data: bytes | bytearray) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def receive_some(self, max_bytes: int) -> bytes:
        return await self.reader.read(max_bytes)

    @property
    def alive(self) -> bool:
        """Whether an idle connection is still open: no EOF, no error, nothing unasked for."""
        reader = self.reader
        return not (self.writer.is_closing() or reader.at_eof() or reader.exception()
                    or len(getattr(reader, "_buffer", b"")))

    def abort(self) -> None:
        abort(self.writer)


def _stream(conn: _http._HttpConnection) -> Stream:
    return cast(Stream, conn.stream)


class HttpBackend(_http.HttpBackend):
    """Request/response calls over HTTP POST, on asyncio."""

    async def _open(self) -> _http._HttpConnection:
        try:
            async with asyncio.timeout(self.opts.connect_timeout):
                reader, writer = await open_stream(self.opts)
        except TimeoutError:
            raise ConnectError(
                f"no connection to {self.opts.url} within {self.opts.connect_timeout} s"
            ) from None
        return _http._HttpConnection(Stream(reader, writer))  # type: ignore[arg-type]

    async def start(self) -> None:
        """Open one connection up front so connect() fails fast on bad address/TLS."""
        await self.check()

    def _take_idle(self) -> _http._HttpConnection | None:
        while self._idle:
            conn = self._idle.pop()
            if _stream(conn).alive:
                return conn
            _stream(conn).abort()
        return None

    async def post(self, body: bytes) -> bytes:
        """POST one frame; never re-sent (a POST may have been processed already)."""
        if self.closed:
            raise ConnectionLost("client closed")
        conn = self._take_idle() or await self._open()
        headers = [*self._headers, (b"Content-Length", str(len(body)).encode())]
        ok = False
        try:
            status, data = await conn.post(self.opts.path, headers, body)
            ok = True
        except (OSError, ConnectionLost) as exc:
            tls = tls_error_from(exc, where(self.opts))
            if tls is not None:
                raise tls from exc
            raise ConnectionLost(f"HTTP request to {self.opts.url} failed: {exc}") from exc
        except h11.ProtocolError as exc:
            raise ProtocolError(f"bad HTTP response from {self.opts.url}: {exc}") from exc
        finally:
            if ok and conn.reusable and not self.closed:
                self._idle.append(conn)
            else:
                _stream(conn).abort()
        if status == 200:
            return data
        text = data[:300].decode("utf-8", "replace").strip()
        if status in (401, 403):
            raise AuthenticationError(f"{self.opts.url} refused the credentials (HTTP {status})")
        raise HTTPStatusError(status, text)

    async def execute(
        self, ops: Sequence[Op], root_tag: Any, seconds: float | None
    ) -> list[Any]:
        """One call, bounded by ``seconds`` (``RequestTimeout``); a cut request's
        connection is closed, never reused."""
        if seconds is None:
            return await super().execute(ops, root_tag, 0.0)
        limit = asyncio.timeout(seconds)
        try:
            async with limit:
                return await super().execute(ops, root_tag, 0.0)
        except TimeoutError:
            if not limit.expired():
                raise
            raise RequestTimeout(f"no response from {self.opts.url} within {seconds} s") from None

    async def aclose(self) -> None:
        self.closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            _stream(conn).abort()


__all__ = ["HttpBackend", "Stream"]
