"""HTTP POST transport on asyncio: the trio transport's h11 client on asyncio streams.

The request/response logic (h11, the keep-alive pool, the frames through the
core, the recording, the errors, the body limit, what a lost request raises,
``wait_for_server``) is the trio transport's own: it awaits only
its stream's ``send_all`` and ``receive_some``, which :class:`Stream` provides on
asyncio's streams.  What is asyncio's here: opening connections, telling an idle
one is still alive, what a broken one raises, timing a call out, and closing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, cast

from ..client import _http
from ..client._opening import Opening
from ..errors import ConnectionLost, RequestTimeout
from ..protocol.ops import Op
from ._net import abort, open_stream, within_connect_timeout


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
        opening = Opening(self.opts)
        reader, writer = await within_connect_timeout(opening, open_stream(self.opts, opening))
        return _http._HttpConnection(Stream(reader, writer))  # type: ignore[arg-type]

    async def _pause(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def start(self) -> None:
        """Open one connection up front so connect() fails fast on a bad address or TLS.

        With ``wait_for_server`` it returns once the DMS answers.
        """
        await self.check()

    def _alive(self, conn: _http._HttpConnection) -> bool:
        return _stream(conn).alive

    _broken = (OSError, ConnectionLost)  # ssl.SSLError is an OSError

    async def _discard(self, conn: _http._HttpConnection) -> None:
        _stream(conn).abort()

    async def execute(
        self, ops: Sequence[Op], root_tag: Any, seconds: float | None
    ) -> list[Any]:
        """One call, bounded by ``seconds`` (``RequestTimeout``).

        A cut request's connection is closed, never reused.
        """
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


__all__ = ["HttpBackend", "Stream"]
