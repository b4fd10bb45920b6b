"""The HTTP/1.1 side of the simulator, on h11: request heads, POST /json_data, errors.

Every connection (plain or TLS) starts as HTTP. The server reads one request head
here; a WebSocket upgrade is accepted with :meth:`HttpConnection.accept_websocket`
(the bytes that followed the head are handed on), anything else is answered like the
DMS does (manufacturer's document 2.5-2.7): ``POST /json_data`` with one JSON request
as body gets the JSON response; ``GET`` (or any other method) on ``/json_data`` gets
405 "Use POST requests."; other paths 404; fatal errors are plain-text bodies.
Keep-alive is supported. A body must arrive within
:data:`~dmsproto.sim.limits.BODY_TIMEOUT` (else 408) and hold at most
:data:`~dmsproto.sim.limits.MAX_MESSAGE_BYTES` (else 413); a body that is not JSON
(or not UTF-8) is answered 200 with the document's fatal-error item (3.2.1), like
any request the engine cannot read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

import h11
import trio
from wsproto.utilities import generate_accept_token

from .fault_actions import Action, Answer, Drop, Encoder, HttpStatus, NoAnswer, Wait
from .limits import BODY_TIMEOUT, MAX_MESSAGE_BYTES, MAX_REQUEST_HEAD_BYTES, RECEIVE_BYTES

__all__ = [
    "BASE_PATH",
    "HttpConnection",
    "PostResult",
    "carry_out_post",
    "handle_request",
    "header",
    "is_websocket_upgrade",
    "target_path",
]

BASE_PATH: Final = "/json_data"
SERVER_NAME: Final = b"dmsproto-sim (ProMoS DMS/1.0)"
JSON_TYPE: Final = b"application/json;charset=UTF-8"
TEXT_TYPE: Final = b"text/plain;charset=UTF-8"


@dataclass(frozen=True)
class PostResult:
    """What to answer a POST with: ``body`` None means drop the connection unanswered."""

    body: str | None
    close: bool = False
    """Close the connection after the answer (a drop-after-response fault)."""
    status: int = 200
    """Anything but 200 sends ``body`` as a plain-text error."""


async def carry_out_post(actions: tuple[Action, ...], response: Any, encode: Encoder
                         ) -> PostResult:
    """Walk one POST's fault plan: the HTTP POST executor.

    The order, and which actions reach HTTP POST at all, are the interpreter's
    (:class:`~dmsproto.sim.fault_actions.Phase`); here each action only becomes part
    of the one answer.

    Args:
        actions: the plan from :meth:`~dmsproto.sim.faults.Faults.plan`.
        response: the engine's response to the request (None for none).
        encode: how the response becomes JSON text.

    Returns:
        The answer to send (``body`` None: close the connection unanswered).

    Raises:
        ValueError: an action HTTP POST cannot carry out (the interpreter keeps them out).
    """
    answer = PostResult(None)
    for action in actions:
        match action:
            case Wait():
                await action.wait()
            case HttpStatus(status=status, text=text):
                answer = PostResult(text, status=status)
            case NoAnswer():
                answer = PostResult(None)
            case Answer():
                answer = PostResult(action.render(response, encode) or "")
            case Drop():
                return PostResult(answer.body, close=True, status=answer.status)
            case _:
                raise ValueError(f"HTTP POST cannot carry out {action!r}")
    return answer


PostHandler = Callable[[bytes, str | None], Awaitable[PostResult]]
"""``await post(request_body, user)`` -> the answer (the server's engine call)."""


def header(request: h11.Request, name: bytes) -> bytes | None:
    """The first value of header ``name`` (lower-case), or None."""
    for key, value in request.headers:
        if key == name:
            return bytes(value)
    return None


def target_path(request: h11.Request) -> str:
    """The request target without query string, e.g. ``/json_data``."""
    return bytes(request.target).split(b"?", 1)[0].decode("latin-1")


def is_websocket_upgrade(request: h11.Request) -> bool:
    """Whether ``request`` asks to switch to WebSocket (``Upgrade: websocket``)."""
    upgrade = (header(request, b"upgrade") or b"").lower()
    connection = (header(request, b"connection") or b"").lower()
    tokens = {t.strip() for t in connection.split(b",")}
    return request.method == b"GET" and upgrade == b"websocket" and b"upgrade" in tokens


class HttpConnection:
    """One HTTP/1.1 server connection: an h11 state machine over a trio stream."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES)
        self._head = False
        """The request being answered is a HEAD: its answer has headers only."""

    async def _next_event(self) -> h11.Event | type[h11.PAUSED]:
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                data = await self.stream.receive_some(RECEIVE_BYTES)
                self.conn.receive_data(bytes(data))
                continue
            return event  # type: ignore[return-value]

    async def next_request(self) -> h11.Request | None:
        """The next request head; None when the peer closed or sent garbage (answered 400)."""
        try:
            event = await self._next_event()
        except h11.RemoteProtocolError as exc:
            await self.try_error(exc.error_status_hint, "Bad request.")
            return None
        if isinstance(event, h11.Request):
            self._head = event.method == b"HEAD"
            return event
        return None

    async def read_body(self, limit: int = MAX_MESSAGE_BYTES) -> bytes | None:
        """The request body; None when it exceeds ``limit`` (answered 413) or is broken."""
        parts: list[bytes] = []
        size = 0
        try:
            while True:
                event = await self._next_event()
                if isinstance(event, h11.Data):
                    size += len(event.data)
                    if size > limit:
                        await self.send_text(413, "Request too large.", close=True)
                        return None
                    parts.append(bytes(event.data))
                elif isinstance(event, h11.EndOfMessage):
                    return b"".join(parts)
                else:
                    return None
        except h11.RemoteProtocolError as exc:
            await self.try_error(exc.error_status_hint, "Bad request.")
            return None

    async def respond(
        self,
        status: int,
        body: bytes,
        *,
        content_type: bytes,
        headers: Iterable[tuple[bytes, bytes]] = (),
        close: bool = False,
    ) -> None:
        """Send a whole response: status, headers (ours first) and ``body``."""
        all_headers = [
            (b"Server", SERVER_NAME),
            (b"Content-Type", content_type),
            (b"Content-Length", str(len(body)).encode("ascii")),
            *headers,
        ]
        if close:
            all_headers.append((b"Connection", b"close"))
        data = self.conn.send(h11.Response(status_code=status, headers=all_headers)) or b""
        if not self._head:  # a HEAD answer says the length of the body it leaves out
            data += self.conn.send(h11.Data(data=body)) or b""
        data += self.conn.send(h11.EndOfMessage()) or b""
        await self.stream.send_all(data)

    async def send_text(
        self, status: int, text: str, *, headers: Iterable[tuple[bytes, bytes]] = (),
        close: bool = False,
    ) -> None:
        """Send a plain-text response (the DMS's error answers)."""
        await self.respond(status, text.encode("utf-8"), content_type=TEXT_TYPE,
                           headers=headers, close=close)

    async def try_error(self, status: int, text: str) -> None:
        """Answer ``status`` with ``text`` and close, if the connection still can."""
        with contextlib.suppress(
            h11.LocalProtocolError, trio.BrokenResourceError, trio.ClosedResourceError
        ):
            await self.send_text(status, text, close=True)

    async def accept_websocket(self, request: h11.Request) -> bytes | None:
        """Answer an upgrade request with 101; returns the bytes received after the head.

        Returns None after answering 400/426 when the handshake headers are wrong.
        """
        key = header(request, b"sec-websocket-key")
        version = header(request, b"sec-websocket-version")
        if version != b"13":
            await self.send_text(426, "Unsupported WebSocket version.",
                                 headers=[(b"Sec-WebSocket-Version", b"13")], close=True)
            return None
        if not key:
            await self.send_text(400, "Missing Sec-WebSocket-Key.", close=True)
            return None
        event = await self._next_event()  # EndOfMessage of the GET
        if not isinstance(event, h11.EndOfMessage):
            await self.try_error(400, "Bad request.")
            return None
        data = self.conn.send(h11.InformationalResponse(
            status_code=101,
            headers=[
                (b"Upgrade", b"websocket"),
                (b"Connection", b"Upgrade"),
                (b"Sec-WebSocket-Accept", generate_accept_token(key)),
                (b"Server", SERVER_NAME),
            ],
        ))
        await self.stream.send_all(data or b"")
        trailing, _closed = self.conn.trailing_data
        return bytes(trailing)

    @property
    def reusable(self) -> bool:
        """Whether both sides finished the exchange, so the connection can carry another."""
        return self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE

    def next_cycle(self) -> None:
        """Get ready for the next request on the kept-alive connection."""
        self.conn.start_next_cycle()


async def handle_request(
    http: HttpConnection,
    request: h11.Request,
    *,
    authorized: bool,
    post: PostHandler,
    user: str | None,
    body_timeout: float = BODY_TIMEOUT,
) -> bool:
    """Answer one plain HTTP request; True when the connection can take another."""
    declared = header(request, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_MESSAGE_BYTES:
        await http.send_text(413, "Request too large.", close=True)
        return False
    body = None
    with trio.move_on_after(body_timeout) as waiting:
        body = await http.read_body()
    if waiting.cancelled_caught:
        await http.try_error(408, "Request timeout.")
        return False
    if body is None:
        return False
    path = target_path(request)
    if not authorized:
        await http.send_text(401, "Unauthorized.",
                             headers=[(b"WWW-Authenticate", b'Basic realm="DMS JSON"')])
    elif path != BASE_PATH:
        await http.send_text(404, "Not found.")
    elif request.method != b"POST":
        await http.send_text(405, "Use POST requests.", headers=[(b"Allow", b"POST")])
    else:
        result = await post(body, user)
        if result.body is None:
            return False
        content_type = JSON_TYPE if result.status == 200 else TEXT_TYPE
        await http.respond(result.status, result.body.encode("utf-8"),
                           content_type=content_type, close=result.close)
        return not result.close and http.reusable
    return http.reusable
