"""The proxy's listener: each client connection served on its own, by its own task.

A connection is read as HTTP first (as the DMS does): a WebSocket upgrade becomes a
:class:`~.websocket.WebSocketSession` with its own DMS connection, anything else is
forwarded request by request by an :class:`~.exchange.HttpForwarder`.  Every
failure of one connection (the client's, the DMS's or the proxy's own) ends that
connection with a notice and never reaches the listener, so other clients go on.
"""

from __future__ import annotations

import itertools
import logging
import ssl
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from functools import partial
from types import TracebackType
from typing import Final

import h11
import trio

from ..errors import ConnectError, ConnectionLost, ProtocolError
from .clienttls import PLAIN_TO_TLS_ANSWER, start_tls
from .config import Limits, Upstream
from .exchange import HttpForwarder
from .handshake import Accepted, accept_client, handshake_problem, upstream_upgrade
from .http1 import Peer, end_to_end, is_websocket_upgrade, text_response
from .upstream import describe_failure, open_upstream
from .websocket import WebSocketSession
from .witness import Witness

log = logging.getLogger("dmsproto.proxy")
_REASONS: Final = {400: b"Bad Request", 431: b"Request Header Fields Too Large"}
"""The statuses the proxy answers bytes with that are no HTTP request."""
_TEXTS: Final = {400: "Bad request.", 431: "Request head too large."}
"""Their bodies, as the DMS words them."""


def _refusal(status: int, text: str | None = None) -> bytes:
    """The answer to bytes that are no HTTP request: ``status`` (400 or 431) and a text."""
    if status not in _REASONS:
        status = 400
    body = (text or _TEXTS[status]).encode()
    return (b"HTTP/1.1 %d %s\r\nContent-Type: text/plain;charset=UTF-8\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
            % (status, _REASONS[status], len(body), body))


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _peer_name(stream: trio.SocketStream) -> str:
    try:
        name = stream.socket.getpeername()
    except OSError:
        return "?"
    if isinstance(name, tuple):
        host = f"[{name[0]}]" if ":" in str(name[0]) else str(name[0])
        return f"{host}:{name[1]}"
    return str(name)


class Proxy:
    """A validating proxy in front of one DMS: ``async with Proxy(...) as proxy:``.

    Args:
        upstream: the DMS (see :func:`~.config.upstream_from_url`).
        witness: checks, records and reports what passes.
        host: address to listen on.
        port: port to listen on (0 = any free one; see :attr:`port` once started).
        ssl_context: listen with TLS (clients connect with ``wss``/``https``).
        block_invalid: answer requests with errors ourselves instead of forwarding them.
        limits: sizes and timeouts.
    """

    def __init__(self, upstream: Upstream, witness: Witness, *, host: str = "127.0.0.1",
                 port: int = 0, ssl_context: ssl.SSLContext | None = None,
                 block_invalid: bool = False, limits: Limits | None = None) -> None:
        self.upstream = upstream
        self.witness = witness
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.block_invalid = block_invalid
        self.limits = limits if limits is not None else Limits()
        self.active = 0
        """Client connections open now."""
        self._ids = itertools.count(1)
        self._changed = trio.Event()
        self._cm: AbstractAsyncContextManager[Proxy] | None = None
        self._stopping = False

    @property
    def tls(self) -> bool:
        """Whether clients connect with TLS (``wss``/``https``)."""
        return self.ssl_context is not None

    @property
    def url(self) -> str:
        """Where WebSocket clients connect (``ws``/``wss``)."""
        return f"{'wss' if self.tls else 'ws'}://{_url_host(self.host)}:{self.port}/json_data"

    @property
    def http_url(self) -> str:
        """Where HTTP POST clients connect (``http``/``https``)."""
        return f"{'https' if self.tls else 'http'}://{_url_host(self.host)}:{self.port}/json_data"

    async def wait_idle(self) -> None:
        """Return once no client connection is open."""
        while self.active:
            await self._changed.wait()

    async def probe(self) -> str | None:
        """Try a connection to the DMS (TCP and TLS), to say at start-up whether it answers.

        Returns:
            ``None`` when it works, else why not, in one line.
        """
        try:
            with trio.fail_after(self.limits.connect_timeout):
                stream = await open_upstream(self.upstream)
        except ConnectError as exc:
            return describe_failure(exc, self.upstream.where)
        except trio.TooSlowError:
            return (f"no connection to the DMS at {self.upstream.authority} within "
                    f"{self.limits.connect_timeout:g} s")
        await trio.aclose_forcefully(stream)
        return None

    async def __aenter__(self) -> Proxy:
        self._cm = self._running()
        return await self._cm.__aenter__()

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> bool | None:
        assert self._cm is not None
        return await self._cm.__aexit__(exc_type, exc, tb)

    @asynccontextmanager
    async def _running(self) -> AsyncIterator[Proxy]:
        listeners = await trio.open_tcp_listeners(self.port, host=self.host)
        async with trio.open_nursery() as nursery:
            await nursery.start(partial(trio.serve_listeners, self._handle, listeners,
                                        handler_nursery=nursery))
            self.port = int(listeners[0].socket.getsockname()[1])
            try:
                yield self
            finally:
                self._stopping = True
                nursery.cancel_scope.cancel()

    # --- one client -----------------------------------------------------------------

    def _count(self, delta: int) -> None:
        self.active += delta
        self._changed.set()
        self._changed = trio.Event()

    async def _handle(self, tcp: trio.SocketStream) -> None:
        name = f"c{next(self._ids)}"
        stream: trio.abc.Stream = tcp
        self._count(+1)
        self.witness.notice(name, "open", f"from {_peer_name(tcp)}"
                                          f"{' over TLS' if self.tls else ''}")
        why = "closed"
        try:
            if self.ssl_context is not None:
                started = await start_tls(tcp, self.ssl_context, self.limits.handshake_timeout)
                if started.stream is None:
                    why = started.ending
                    if started.failure is not None:
                        self.witness.notice(name, "tls-failed", started.failure)
                    if started.plain:
                        await self._answer(tcp, 400, PLAIN_TO_TLS_ANSWER)
                    return
                stream = started.stream
            why = await self._serve(name, stream)
        except (trio.BrokenResourceError, trio.ClosedResourceError, ssl.SSLError,
                ConnectionLost) as exc:
            self.witness.notice(name, "client-lost", f"the client connection broke: "
                                f"{describe_failure(exc, 'the client')}")
            why = "lost"
        except Exception as exc:  # one connection's failure must not stop the proxy
            log.exception("proxy connection %s failed", name)
            self.witness.notice(name, "error", f"internal error: {type(exc).__name__}: {exc}")
            why = "internal error"
        except BaseException:  # Cancelled, also inside a group from a session's nursery
            if self._stopping:
                why = "the proxy stopped"
            raise
        finally:
            with trio.CancelScope(shield=True):
                await trio.aclose_forcefully(stream)
            self._count(-1)
            self.witness.notice(name, "close", why)

    async def _answer(self, stream: trio.abc.Stream, status: int,
                      text: str | None = None) -> None:
        """Answer bytes that are no HTTP request, as the DMS does, then the connection ends.

        What the client sent meanwhile is read and dropped (for ``close_timeout`` at
        most) before the connection closes: closing with unread bytes would reset
        the connection, and the client could lose the answer.
        """
        with trio.move_on_after(self.limits.close_timeout), \
                suppress(trio.BrokenResourceError, trio.ClosedResourceError):
            await stream.send_all(_refusal(status, text))
            if isinstance(stream, trio.SocketStream):
                await stream.send_eof()
            while await stream.receive_some(self.limits.receive_size):
                pass

    async def _serve(self, name: str, stream: trio.abc.Stream) -> str:
        """Serve one connection; returns how it ended."""
        limits = self.limits
        client = Peer(h11.SERVER, stream, max_head=limits.max_head,
                      receive_size=limits.receive_size)
        forwarder = HttpForwarder(name, client, self.upstream, self.witness, limits=limits,
                                  block_invalid=self.block_invalid)
        try:
            timeout = limits.handshake_timeout
            while True:
                event = None
                with trio.move_on_after(timeout):
                    event = await client.next_event()
                if not isinstance(event, h11.Request):
                    return "closed" if event is not None else "idle"
                if is_websocket_upgrade(event):
                    await forwarder.aclose()
                    return await self._websocket(name, client, event)
                if not await forwarder.exchange(event):
                    return "closed"
                client.conn.start_next_cycle()
                timeout = limits.idle_timeout
        except ProtocolError as exc:
            await self._answer(stream, client.error_status)
            return f"the client sent {exc}"
        finally:
            await forwarder.aclose()

    async def _websocket(self, name: str, client: Peer, request: h11.Request) -> str:
        problem = handshake_problem(request)
        if problem is not None:
            status, text, headers = problem
            await client.send(*text_response(status, text, headers=headers))
            return f"bad WebSocket handshake ({status})"
        end = await client.next_event()
        if not isinstance(end, h11.EndOfMessage):
            return "closed during the WebSocket handshake"
        dms: trio.abc.Stream | None = None
        try:
            try:
                with trio.fail_after(self.limits.connect_timeout):
                    dms = await open_upstream(self.upstream)
                    answer = await upstream_upgrade(dms, self.upstream, request, self.limits)
            except (ConnectError, ConnectionLost, ProtocolError, trio.TooSlowError) as exc:
                text = (f"no WebSocket handshake with the DMS at {self.upstream.authority} "
                        f"within {self.limits.connect_timeout:g} s"
                        if isinstance(exc, trio.TooSlowError)
                        else describe_failure(exc, self.upstream.where))
                self.witness.notice(name, "upstream-failed", text)
                await client.send(*text_response(502, f"Bad gateway: {text}."))
                return "no DMS"
            if not isinstance(answer, Accepted):
                self.witness.notice(name, "upstream-refused",
                                    f"the DMS answered the WebSocket handshake with HTTP "
                                    f"{answer.status}")
                headers = [*end_to_end(answer.headers, drop=frozenset({b"content-length"})),
                           (b"Content-Length", str(len(answer.body)).encode()),
                           (b"Connection", b"close")]
                await client.send(h11.Response(status_code=answer.status, reason=answer.reason,
                                               headers=headers),
                                  h11.Data(data=answer.body), h11.EndOfMessage())
                return f"refused by the DMS ({answer.status})"
            trailing = await accept_client(client, request, answer)
            session = WebSocketSession(name, self.witness, client=client.stream,
                                       client_trailing=trailing, dms=dms,
                                       dms_trailing=answer.trailing, limits=self.limits,
                                       block_invalid=self.block_invalid)
            dms = None  # the session owns it now
            await session.run()
            return session.ending
        finally:
            if dms is not None:
                with trio.CancelScope(shield=True):
                    await trio.aclose_forcefully(dms)


__all__ = ["Proxy"]
