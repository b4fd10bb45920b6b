"""A scripted hostile DMS on loopback, and the broken frames the client must survive.

``Hostile`` serves WebSocket and HTTP POST on one port.  Each request it gets is
answered by the next scripted reply (``then``), or, when none is left, the way a
DMS would (every item ``ok``).  A reply is a list of outputs, written byte for
byte: raw WebSocket frames of any opcode and payload (invalid UTF-8, 100,000
levels of nesting, a binary frame), the good answer, a close with a code, a
dropped TCP stream, silence, or raw bytes as an HTTP response.  Over HTTP the
first output that makes a body is the body.

``CASES`` lists the broken frames, each with what the client does with it over
the WebSocket and over HTTP POST; the trio, HTTP and blocking-facade tests all
walk it.  ``HostileThread`` runs the server in a thread, for the blocking tests and
for the tests that run on both async clients (a loop of their own in the test's thread).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import h11
import trio
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Message,
    Request,
    TextMessage,
)

from dmsproto.errors import ConnectionLost, DMSProtoError, WebSocketRefused
from tests.support.wire_client import frame

STAMP = "2024-05-01T14:00:00,000+02:00"
TEXT, BINARY = 0x1, 0x2


# ----------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Raw:
    """One WebSocket frame as given (the HTTP body, when it answers a POST)."""

    payload: bytes
    opcode: int = TEXT


@dataclass(frozen=True)
class Stream:
    """Bytes written to the WebSocket's stream as they are (e.g. a whole masked frame)."""

    data: bytes


@dataclass(frozen=True)
class Answer:
    """The answer a DMS would give (every item ``ok``)."""


@dataclass(frozen=True)
class Close:
    """A WebSocket close frame with ``code`` and ``reason``; then the connection ends."""

    code: int
    reason: str = ""


@dataclass(frozen=True)
class Drop:
    """The TCP stream closed without a word."""


@dataclass(frozen=True)
class Silence:
    """No answer to this request (the connection stays open, later requests are answered)."""


@dataclass(frozen=True)
class RawHttp:
    """Bytes written as the whole HTTP response (then the connection closes)."""

    data: bytes


Out = Raw | Stream | Answer | Close | Drop | Silence | RawHttp
Reply = Callable[[dict[str, Any]], Sequence[Out]]
"""What to send for one request (given as parsed JSON, ``{}`` when it is not JSON)."""


def good_answer(request: dict[str, Any]) -> dict[str, Any]:
    """What a DMS answers when every item succeeds (values are 1)."""
    out: dict[str, Any] = {}
    for command, items in request.items():
        if command in ("whois", "user"):
            continue
        if command == "tag":
            out["tag"] = items
            continue
        answered = []
        for item in items if isinstance(items, list) else []:
            path = item if isinstance(item, str) else item.get("path", "")
            entry: dict[str, Any] = {"code": "ok", "path": path}
            if command in ("get", "subscribe"):
                entry.update(value=1, type="int", stamp=STAMP)
            elif command == "set":
                entry.update(value=item.get("value"), type="int", stamp=STAMP)
            elif command == "rename":
                entry["newPath"] = item.get("newPath")
            if isinstance(item, dict) and "tag" in item:
                entry["tag"] = item["tag"]
            answered.append(entry)
        out[command] = answered
    return out


def tagged(template: bytes) -> Reply:
    """A reply of one text frame: ``template`` with ``TAG`` replaced by the request's tag."""
    return lambda request: [Raw(template.replace(b"TAG", json.dumps(request["tag"]).encode()))]


# ------------------------------------------------------------------------------ server


@dataclass
class Hostile:
    """``async with Hostile() as server:`` a scripted DMS on 127.0.0.1 (see module doc)."""

    replies: deque[Reply] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0
    #: close every new connection at once (a DMS that is down)
    refusing: bool = False
    #: what every WebSocket gets right after its upgrade was accepted, before any request
    #: (a DMS refusing it: e.g. a close 1003 "Invalid path.")
    at_once: Sequence[Out] = ()
    #: set once a WebSocket got ``at_once`` and the client then closed the TCP stream
    refused: threading.Event = field(default_factory=threading.Event)
    _scope: trio.CancelScope | None = None
    _lock: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/json_data"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/json_data"

    def then(self, *replies: Reply) -> None:
        """Answer the next requests (one each, in order) with ``replies``."""
        with self._lock:
            self.replies.extend(replies)

    def _reply(self, request: dict[str, Any]) -> Sequence[Out]:
        with self._lock:
            self.requests.append(request)
            self._lock.notify_all()
            script = self.replies.popleft() if self.replies else None
        return [Answer()] if script is None else script(request)

    def wait_requests(self, count: int, timeout: float = 10.0) -> None:
        """Block this thread until ``count`` requests came in (for a server in another thread)."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.requests) >= count, timeout):
                raise TimeoutError(f"{len(self.requests)} of {count} requests came in")

    async def serve(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        with trio.CancelScope() as self._scope:
            await trio.serve_listeners(self._handle, listeners, task_status=task_status)

    async def __aenter__(self) -> Hostile:
        self._nursery_cm = trio.open_nursery()
        nursery = await self._nursery_cm.__aenter__()
        await nursery.start(self.serve)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._scope is not None
        self._scope.cancel()
        await self._nursery_cm.__aexit__(None, None, None)

    async def _handle(self, stream: trio.SocketStream) -> None:
        with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError):
            async with stream:
                if self.refusing:
                    return
                head = b""
                while b"\r\n\r\n" not in head:
                    data = await stream.receive_some(65536)
                    if not data:
                        return
                    head += data
                if b"upgrade: websocket" in head.lower():
                    await self._websocket(stream, head)
                else:
                    await self._http(stream, head)

    async def _websocket(self, stream: trio.SocketStream, head: bytes) -> None:
        ws = WSConnection(ConnectionType.SERVER)
        ws.receive_data(head)
        parts: list[str | bytes] = []
        while True:
            for event in ws.events():
                if isinstance(event, Request):
                    await stream.send_all(ws.send(AcceptConnection()))
                    if self.at_once:
                        await self._write_ws(stream, ws, self.at_once, {})
                        with trio.move_on_after(2):  # until the client closes its side
                            while await stream.receive_some(65536):
                                pass
                        self.refused.set()
                        return
                elif isinstance(event, Message):
                    parts.append(event.data)
                    if event.message_finished:
                        text = "".join(p if isinstance(p, str) else p.decode() for p in parts)
                        parts = []
                        if not await self._answer_ws(stream, ws, _parse(text)):
                            return
                elif isinstance(event, CloseConnection):
                    with contextlib.suppress(Exception):
                        await stream.send_all(ws.send(event.response()))
                    return
            data = await stream.receive_some(65536)
            if not data:
                return
            ws.receive_data(data)

    async def _answer_ws(
        self, stream: trio.SocketStream, ws: WSConnection, request: dict[str, Any]
    ) -> bool:
        """Send the reply to one request; ``False`` once the connection is to end."""
        return await self._write_ws(stream, ws, self._reply(request), request)

    async def _write_ws(
        self, stream: trio.SocketStream, ws: WSConnection, outs: Sequence[Out],
        request: dict[str, Any],
    ) -> bool:
        """Write ``outs`` (the good answer: to ``request``); ``False`` once the connection ends."""
        for out in outs:
            if isinstance(out, Raw):
                await stream.send_all(frame(out.payload, opcode=out.opcode))
            elif isinstance(out, Stream):
                await stream.send_all(out.data)
            elif isinstance(out, Answer):
                await stream.send_all(ws.send(TextMessage(json.dumps(good_answer(request)))))
            elif isinstance(out, Close):
                await stream.send_all(ws.send(CloseConnection(out.code, out.reason or None)))
                with trio.move_on_after(2):  # let the client answer the close
                    while await stream.receive_some(65536):
                        pass
                return False
            elif isinstance(out, Drop | RawHttp):
                return False
        return True

    async def _http(self, stream: trio.SocketStream, head: bytes) -> None:
        conn = h11.Connection(h11.SERVER)
        conn.receive_data(head)
        body = b""
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await stream.receive_some(65536)
                if not data:
                    return
                conn.receive_data(data)
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                if not await self._answer_http(stream, conn, _parse(body.decode())):
                    return
                body = b""
                conn.start_next_cycle()
            elif isinstance(event, h11.ConnectionClosed):
                return

    async def _answer_http(
        self, stream: trio.SocketStream, conn: h11.Connection, request: dict[str, Any]
    ) -> bool:
        payload: bytes | None = None
        for out in self._reply(request):
            if isinstance(out, RawHttp):
                await stream.send_all(out.data)
                return False
            if isinstance(out, Drop | Close):
                return False
            if isinstance(out, Silence):
                await trio.sleep_forever()
            if isinstance(out, Raw):
                payload = out.payload
            elif isinstance(out, Answer):
                payload = json.dumps(good_answer(request)).encode()
            if payload is not None:
                break
        assert payload is not None, "an HTTP reply needs a body"
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
        data = conn.send(h11.Response(status_code=200, headers=headers)) or b""
        data += conn.send(h11.Data(data=payload)) or b""
        data += conn.send(h11.EndOfMessage()) or b""
        await stream.send_all(data)
        return True


def _parse(text: str) -> dict[str, Any]:
    try:
        request = json.loads(text)
    except ValueError:
        return {}
    return request if isinstance(request, dict) else {}


class HostileThread:
    """``with HostileThread() as server:`` a ``Hostile`` server running in a thread."""

    def __init__(self) -> None:
        self.server = Hostile()
        self._ready = threading.Event()
        self._token: trio.lowlevel.TrioToken | None = None
        self._stop: trio.Event | None = None
        self._thread = threading.Thread(target=trio.run, args=(self._main,), name="test-hostile",
                                        daemon=True)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def http_url(self) -> str:
        return self.server.http_url

    def then(self, *replies: Reply) -> None:
        self.server.then(*replies)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The requests that came in so far."""
        return self.server.requests

    @property
    def refusing(self) -> bool:
        """Whether every new connection is closed at once (a DMS that is down)."""
        return self.server.refusing

    @refusing.setter
    def refusing(self, value: bool) -> None:
        self.server.refusing = value

    def __enter__(self) -> HostileThread:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the hostile server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._token is not None and self._stop is not None
        with contextlib.suppress(trio.RunFinishedError):
            trio.from_thread.run_sync(self._stop.set, trio_token=self._token)
        self._thread.join(10)

    async def _main(self) -> None:
        self._stop = trio.Event()
        async with self.server:
            self._token = trio.lowlevel.current_trio_token()
            self._ready.set()
            await self._stop.wait()


# ------------------------------------------------------------------------------- cases

WsOutcome = Literal["fails", "dropped", "closes", "answers"]
HttpOutcome = Literal["fails", "answers"]

DEEP = b"[" * 100_000 + b"]" * 100_000
NOT_UTF8 = b'{"tag": TAG, "get": [{"code": "ok", "path": "Test:\xff\xfe", "value": 1}]}'


@dataclass(frozen=True)
class Case:
    """One broken frame and what the client makes of it.

    Attributes:
        name: the test id.
        reply: what the server sends for the client's ``get("Test:Int")``.
        ws: over the WebSocket: the call ``fails`` (``ProtocolError``, the
            connection stays), the frame is ``dropped`` and counted (the good
            answer follows it: the call succeeds), the frame ``closes`` the
            connection (the call raises ``ProtocolError``, reconnect applies), or
            the call ``answers``.
        counter: the ``ReceiveStats`` field it adds one to over the WebSocket
            (``None``: the WebSocket layer caught it before any frame was read).
        error: what the error message says (a regular expression).
        http: the same frame as the body of the HTTP answer (``None``: no HTTP form).
        http_error: the message there.
    """

    name: str
    reply: Reply
    ws: WsOutcome
    counter: str | None
    error: str = ""
    http: HttpOutcome | None = "fails"
    http_error: str = ""


def then_answer(out: Raw) -> Reply:
    """``out``, then the good answer."""
    return lambda request: [out, Answer()]


CASES: list[Case] = [
    Case("random-bytes", lambda r: [Raw(b"\x00\x9c\xff\x13garbage\x80", BINARY)], "closes",
         "fatal_frames", "not JSON", http_error="not JSON"),
    Case("not-json", lambda r: [Raw(b"{this is not JSON")], "closes", "fatal_frames",
         "not JSON", http_error="not JSON"),
    Case("not-an-object", lambda r: [Raw(b"[1, 2, 3]")], "closes", "fatal_frames",
         "not a JSON object", http_error="not a JSON object"),
    Case("nested-too-deep", lambda r: [Raw(b'{"a": ' + DEEP + b"}")], "closes", "fatal_frames",
         "nested too deep", http_error="nested too deep"),
    Case("cut-short", tagged(b'{"tag": TAG, "get": [{"code": "ok", "pa'), "fails",
         "failed_calls", "not JSON", http_error="not JSON"),
    Case("huge-float", tagged(b'{"tag": TAG, "get": [{"code": "ok", "path": "Test:Int", '
                              b'"value": 1e999}]}'), "fails", "failed_calls",
         "/get/0/value", http_error="/get/0/value"),
    Case("huge-integer", tagged(b'{"tag": TAG, "get": [{"code": "ok", "path": "Test:Int", '
                                b'"value": ' + b"9" * 5000 + b"}]}"), "fails",
         "failed_calls", "/get/0/value", http_error="/get/0/value"),
    Case("deep-value", tagged(b'{"tag": TAG, "get": [{"code": "ok", "path": "Test:Int", '
                              b'"value": ' + DEEP + b"}]}"), "fails", "failed_calls",
         "/get/0/value", http_error="/get/0/value"),
    Case("not-utf8-binary", lambda r: [Raw(NOT_UTF8.replace(b"TAG", str(r["tag"]).encode()),
                                           BINARY)],
         "fails", "failed_calls", "UTF-8", http_error="UTF-8"),
    Case("not-utf8-text", lambda r: [Raw(NOT_UTF8.replace(b"TAG", str(r["tag"]).encode()))],
         "closes", None, "not UTF-8", http_error="UTF-8"),
    Case("mutated", tagged(b'{"tag": TAG, "get": [{"code": 7, "path": ["Test:Int"]}]}'),
         "fails", "failed_calls", "/get/0/code", http_error="/get/0/code"),
    Case("wrong-shape", tagged(b'{"tag": TAG, "get": {"code": "ok"}}'), "fails",
         "failed_calls", "/get", http_error="/get"),
    Case("unknown-tag", then_answer(Raw(b'{"tag": 987654, "get": [{"code": "ok", '
                                        b'"path": "X"}]}')),
         "dropped", "dropped_responses", http_error="does not answer"),
    Case("huge-tag", then_answer(Raw(b'{"tag": ' + b"7" * 5000 + b', "get": []}')),
         "closes", "fatal_frames", "too many digits", http_error="too many digits"),
    Case("no-known-member", then_answer(Raw(b'{"surprise": true}')), "dropped",
         "dropped_frames", http_error="does not answer"),
    Case("event-after-members", then_answer(Raw(
        b'{"x": 1, "event": [{"code": 5}, {"code": "onChange", "path": "A", "tag": "nobody"}]}')),
         "dropped", "invalid_events", http_error="does not answer"),
    Case("event-not-a-list", then_answer(Raw(b'{"event": 5}')), "dropped", "dropped_frames",
         http_error="does not answer"),
    Case("binary-answer", lambda r: [Raw(json.dumps(good_answer(r)).encode(), BINARY)],
         "answers", "answers", http="answers"),
    Case("oversize", lambda r: [Raw(json.dumps({**good_answer(r), "pad": "x" * 400_000})
                                    .encode())],
         "closes", None, "max_message_size", http_error="max_message_size"),
    Case("bad-opcode", lambda r: [Raw(b"??", 0x3)], "closes", None,
         "broke the WebSocket protocol", http=None),
    Case("masked-frame", lambda r: [Stream(frame(b"{}", mask=b"abcd"))], "closes", None,
         "broke the WebSocket protocol", http=None),
]
"""Every case runs with ``max_message_size=MAX_MESSAGE_SIZE`` (the oversized one is over it)."""

MAX_MESSAGE_SIZE = 300_000

__all__ = [
    "BINARY",
    "CASES",
    "MAX_MESSAGE_SIZE",
    "TEXT",
    "Answer",
    "Case",
    "Close",
    "Drop",
    "Hostile",
    "HostileThread",
    "Raw",
    "RawHttp",
    "Reply",
    "Silence",
    "Stream",
    "good_answer",
    "tagged",
]


@dataclass(frozen=True)
class ClosedAtOnce:
    """A DMS that accepts the WebSocket upgrade and closes it at once, and what a call says.

    The protocol has no frame the DMS sends first, so an open cannot tell this from a
    DMS waiting for a request without waiting an arbitrary while: ``connect()`` returns
    after the handshake, and the first call (or subscription) raises ``error``, whose
    message matches ``says``.

    Attributes:
        name: the test id.
        outs: what the DMS sends right after accepting the upgrade.
        error: the typed error of the first call.
        says: what its message says (a regular expression).
        code: the close code a ``WebSocketRefused`` carries (``None``: another error).
        reason: the close reason it carries.
    """

    name: str
    outs: Sequence[Out]
    error: type[DMSProtoError]
    says: str
    code: int | None = None
    reason: str = ""

    def check(self, raised: BaseException) -> None:
        """A refusal carries the close code and reason its message names."""
        assert isinstance(raised, self.error)
        if self.code is not None:
            assert isinstance(raised, WebSocketRefused)
            assert (raised.code, raised.reason) == (self.code, self.reason)


CLOSED_AT_ONCE = [
    ClosedAtOnce("invalid-path", [Close(1003, "Invalid path.")], WebSocketRefused,
                 r"refused the WebSocket: close 1003 Invalid path\.$", 1003, "Invalid path."),
    ClosedAtOnce("policy", [Close(1008, "Not for you")], WebSocketRefused,
                 r"refused the WebSocket: close 1008 Not for you$", 1008, "Not for you"),
    ClosedAtOnce("no-code", [Stream(b"\x88\x00")], WebSocketRefused,
                 r"refused the WebSocket: close without a status code \(1005\)$", 1005),
    ClosedAtOnce("restarting", [Close(1012, "Restart")], ConnectionLost,
                 r"closed the connection: 1012 Restart"),
    ClosedAtOnce("dropped", [Drop()], ConnectionLost, r"connection to ws://\S+ lost"),
]
