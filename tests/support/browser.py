"""Headless Chromium for tests whose client is a web browser, driven over the Chrome
DevTools Protocol (CDP) with trio-websocket.

A web HMI runs in a browser: its WebSocket and ``fetch()`` are the most important
real clients of a DMS, and only a real browser shows what they do (the Origin it
sends, the extensions it offers, the masks, CORS). Tests start Chromium here with a
profile of their own, open a page on a loopback URL and run a small JavaScript
scenario in it with :meth:`Page.run`, which gives back the value the script
returns (JSON), or raises :class:`ScriptError` with what the script threw.

Chromium comes from Debian (``apt-get install chromium``; ``.ci/run`` installs it).
The ``chromium`` fixture (``tests/support/third_party.py``) finds it, or skips the
test with the reason (fails it when ``CI`` is set).

The DevTools endpoint is a WebSocket on 127.0.0.1 at a port Chromium picks
(``--remote-debugging-port=0``) and prints on stderr; stderr is then read to its end
by a task of the browser's nursery, its last lines kept for error messages.
"""

from __future__ import annotations

import itertools
import json
import os
import ssl
import subprocess
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import h11
import trio
from trio_websocket import ConnectionClosed, WebSocketConnection, open_websocket_url

START: Final = 60.0
"""Seconds Chromium may take to start (the first start on a cold, busy machine)."""
STEP: Final = 15.0
"""Seconds any one DevTools command or page load may take."""
FLAGS: Final = (
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)
_LISTENING: Final = "DevTools listening on "


class BrowserError(Exception):
    """Chromium did not start, went away, or refused a DevTools command."""


class ScriptError(BrowserError):
    """The page's script threw (the message is what it threw, and the console)."""


def trust_ca(certutil: Path | str, home: Path, ca_file: Path) -> None:
    """Make Chromium started with ``HOME=home`` trust the CA in ``ca_file``.

    What a user does in Chromium's certificate settings (Authorities, Import): the CA
    goes into the NSS database Chromium on Linux reads, ``~/.pki/nssdb``, trusted to
    identify websites. Chromium then verifies the DMS's certificate as it verifies
    any: the chain, the validity, the host name.

    Args:
        certutil: NSS's ``certutil`` (Debian: libnss3-tools).
        home: the browser's home folder (the one given to :func:`open_browser`).
        ca_file: the CA certificate (PEM).
    """
    database = f"sql:{home / '.pki' / 'nssdb'}"
    (home / ".pki" / "nssdb").mkdir(parents=True, exist_ok=True)
    for args in (["-N", "--empty-password"],
                 ["-A", "-t", "C,,", "-n", "dmsproto test CA", "-i", str(ca_file)]):
        subprocess.run([str(certutil), "-d", database, *args], check=True, timeout=STEP,
                       capture_output=True, stdin=subprocess.DEVNULL)


class _Stderr:
    """Chromium's stderr: where it says its DevTools endpoint; the last lines kept."""

    def __init__(self, stream: trio.abc.ReceiveStream) -> None:
        self.stream = stream
        self.tail: deque[str] = deque(maxlen=30)
        self._buffer = b""

    async def _line(self) -> str | None:
        while b"\n" not in self._buffer:
            data = await self.stream.receive_some(65536)
            if not data:
                return None
            self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        text = line.decode("utf-8", "replace")
        self.tail.append(text)
        return text

    async def endpoint(self) -> str:
        """The browser's DevTools WebSocket URL, once Chromium printed it."""
        while (line := await self._line()) is not None:
            if line.startswith(_LISTENING):
                return line[len(_LISTENING):].strip()
        raise BrowserError("Chromium ended before it listened: " + " | ".join(self.tail))

    async def drain(self) -> None:
        """Read the rest, so Chromium never blocks on a full pipe."""
        while await self._line() is not None:
            pass

    def __str__(self) -> str:
        return "\n".join(self.tail)


@dataclass
class _Reply:
    done: trio.Event = field(default_factory=trio.Event)
    message: dict[str, Any] | None = None


class Browser:
    """A running Chromium, through its DevTools WebSocket (see :func:`open_browser`)."""

    def __init__(self, ws: WebSocketConnection, stderr: _Stderr) -> None:
        self._ws = ws
        self._stderr = stderr
        self._ids = itertools.count(1)
        self._replies: dict[int, _Reply] = {}
        self.events: list[dict[str, Any]] = []
        """Every DevTools event so far, in order (``method``, ``params``, ``sessionId``)."""
        self._changed = trio.Event()
        self._closed = False

    async def read(self) -> None:
        """Hand each reply to its command and keep each event: the reader task."""
        try:
            while True:
                message = json.loads(await self._ws.get_message())
                if "id" in message:
                    reply = self._replies.pop(message["id"], None)
                    if reply is not None:
                        reply.message = message
                        reply.done.set()
                else:
                    self.events.append(message)
                    self._wake()
        except ConnectionClosed:
            pass
        finally:
            self._closed = True
            for reply in self._replies.values():
                reply.done.set()
            self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    async def call(self, method: str, params: dict[str, Any] | None = None, *,
                   session: str | None = None) -> dict[str, Any]:
        """Send one DevTools command and return its result.

        Raises:
            BrowserError: the browser refused the command or went away.
        """
        ident = next(self._ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        reply = self._replies[ident] = _Reply()
        if self._closed:
            raise BrowserError(f"{method}: the browser is gone\n{self._stderr}")
        await self._ws.send_message(json.dumps(message))
        with trio.fail_after(STEP):
            await reply.done.wait()
        if reply.message is None:
            raise BrowserError(f"{method}: the browser went away\n{self._stderr}")
        if "error" in reply.message:
            raise BrowserError(f"{method}: {reply.message['error'].get('message')}")
        result: dict[str, Any] = reply.message.get("result", {})
        return result

    async def event(self, test: Callable[[dict[str, Any]], bool], *, since: int = 0
                    ) -> dict[str, Any]:
        """The first event from number ``since`` on that passes ``test`` (waits for it)."""
        with trio.fail_after(STEP):
            while True:
                for item in self.events[since:]:
                    if test(item):
                        return item
                if self._closed:
                    raise BrowserError(f"the browser went away\n{self._stderr}")
                since = len(self.events)
                await self._changed.wait()

    async def new_page(self) -> Page:
        """A new tab on ``about:blank``, attached, its page and console events on."""
        target = await self.call("Target.createTarget", {"url": "about:blank"})
        attached = await self.call("Target.attachToTarget",
                                   {"targetId": target["targetId"], "flatten": True})
        page = Page(self, attached["sessionId"])
        await page.call("Page.enable")
        await page.call("Runtime.enable")
        await page.call("Log.enable")
        await page.call("Network.enable")
        return page


@dataclass
class Exchange:
    """One HTTP request of a tab, as the browser's network log tells it."""

    method: str
    request_headers: dict[str, str]
    kind: str | None = None
    """``Preflight``, ``Fetch``, ``Document``, ... (once answered)."""
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    """The answer's headers."""
    error: str | None = None
    """Why the request failed (``net::ERR_FAILED``), if it did."""
    cors_error: str | None = None
    """The CORS check that failed it, e.g. ``PreflightMissingAllowOriginHeader``."""


class Page:
    """One tab: open a URL, run a script in it, what it logged and requested."""

    def __init__(self, browser: Browser, session: str) -> None:
        self.browser = browser
        self.session = session

    async def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """A DevTools command to this tab."""
        return await self.browser.call(method, params, session=self.session)

    def _mine(self, method: str) -> Callable[[dict[str, Any]], bool]:
        return lambda e: e.get("sessionId") == self.session and e.get("method") == method

    async def goto(self, url: str) -> None:
        """Open ``url`` and wait until its load event.

        Raises:
            BrowserError: the page could not be loaded (the network error, e.g. a
                certificate Chromium does not trust).
        """
        since = len(self.browser.events)
        result = await self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"{url}: {result['errorText']}")
        await self.browser.event(self._mine("Page.loadEventFired"), since=since)

    async def run(self, script: str) -> Any:
        """Run ``script`` as the body of an async function in the page; what it returns.

        Args:
            script: JavaScript statements; ``await`` is allowed, ``return`` gives the
                result (anything JSON can carry).

        Raises:
            ScriptError: the script threw, or its promise was rejected.
        """
        result = await self.call("Runtime.evaluate", {
            "expression": f"(async () => {{\n{script}\n}})()",
            "awaitPromise": True, "returnByValue": True})
        details = result.get("exceptionDetails")
        if details is not None:
            thrown = details.get("exception", {})
            text = thrown.get("description") or thrown.get("value") or details.get("text")
            raise ScriptError(f"{text}\nconsole:\n" + "\n".join(self.console()))
        return result["result"].get("value")

    async def preload(self, *scripts: Path) -> None:
        """Run ``scripts`` in every document this tab opens from now on, before its own.

        For pages that are not ours, such as the DMS's own answer to ``GET /json_data``:
        a document of the DMS's origin, as a page served beside ``/json_data`` has.
        """
        for script in scripts:
            await self.call("Page.addScriptToEvaluateOnNewDocument",
                            {"source": script.read_text("utf-8")})

    async def apply(self, function: str, *args: Any) -> Any:
        """``await function(*args)`` in the page (arguments as JSON); what it returns."""
        return await self.run(f"return await {function}(...{json.dumps(args)});")

    def exchanges(self, url: str) -> list[Exchange]:
        """The HTTP requests this tab made to ``url`` (CORS preflights included), in order."""
        found: dict[str, Exchange] = {}
        for event in self.browser.events:
            if event.get("sessionId") != self.session:
                continue
            params = event.get("params", {})
            method = event.get("method")
            if method == "Network.requestWillBeSent" and params["request"]["url"] == url:
                found[params["requestId"]] = Exchange(params["request"]["method"],
                                                      dict(params["request"]["headers"]))
            elif (exchange := found.get(params.get("requestId", ""))) is None:
                continue
            elif method == "Network.responseReceived":
                exchange.kind = params["type"]
                exchange.status = params["response"]["status"]
                exchange.headers = dict(params["response"]["headers"])
            elif method == "Network.responseReceivedExtraInfo" and exchange.status is None:
                exchange.status = params["statusCode"]  # also of an answer CORS withheld
                exchange.headers = dict(params["headers"])
            elif method == "Network.loadingFailed":
                exchange.error = params["errorText"]
                exchange.cors_error = params.get("corsErrorStatus", {}).get("corsError")
        return list(found.values())

    def console(self) -> list[str]:
        """What the page wrote to its console so far, and what the browser logged for it
        (a request blocked by CORS, a failed WebSocket handshake), in order."""
        lines = []
        for event in self.browser.events:
            if self._mine("Runtime.consoleAPICalled")(event):
                lines.append(" ".join(str(a.get("value", a.get("description", "")))
                                      for a in event["params"].get("args", [])))
            elif self._mine("Log.entryAdded")(event):
                lines.append(event["params"]["entry"]["text"])
        return lines


@asynccontextmanager
async def open_browser(executable: Path | str, folder: Path) -> AsyncIterator[Browser]:
    """Start headless Chromium with a profile in ``folder``; stop it on exit.

    Args:
        executable: the ``chromium`` command.
        folder: a folder for the profile; it is the browser's ``HOME`` too (where
            :func:`trust_ca` puts the CAs it trusts).

    Raises:
        BrowserError: it did not start.
    """
    profile = folder / "profile"
    profile.mkdir(parents=True, exist_ok=True)
    env = {"HOME": str(folder), "PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}
    process = await trio.lowlevel.open_process(
        [str(executable), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert process.stderr is not None
    stderr = _Stderr(process.stderr)
    try:
        with trio.fail_after(START):
            url = await stderr.endpoint()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(stderr.drain)
            async with open_websocket_url(url, max_message_size=64 * 2**20,
                                          connect_timeout=STEP) as ws:
                browser = Browser(ws, stderr)
                nursery.start_soon(browser.read)
                yield browser
                with trio.move_on_after(STEP), suppress(BrowserError):
                    await browser.call("Browser.close")  # it may go before it answers
                with trio.move_on_after(STEP):
                    await process.wait()
            nursery.cancel_scope.cancel()
    finally:
        with trio.CancelScope(shield=True):
            if process.returncode is None:
                process.kill()
            with trio.move_on_after(STEP):
                await process.wait()


# ------------------------------------------------------------------ the page server

CONTENT_TYPES: Final = {".html": b"text/html;charset=utf-8",
                        ".js": b"text/javascript;charset=utf-8"}


@dataclass
class PageServer:
    """A plain HTTP server on loopback for the pages of a folder (GET only).

    It gives the pages an origin of their own (``http://127.0.0.1:PORT``), another
    than the DMS's or the proxy's, as a web HMI's development server would.
    """

    folder: Path
    ssl_context: ssl.SSLContext | None = None
    """With it, the pages are served over https."""
    port: int = 0
    _files: dict[str, bytes] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT`` (``https`` with TLS): where the pages come from."""
        return f"{'https' if self.ssl_context else 'http'}://127.0.0.1:{self.port}"

    def url(self, page: str = "hmi.html") -> str:
        return f"{self.origin}/{page}"

    async def serve(self, task_status: trio.TaskStatus[PageServer] = trio.TASK_STATUS_IGNORED
                    ) -> None:
        self._files = {file.name: file.read_bytes() for file in self.folder.iterdir()
                       if file.is_file()}
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        task_status.started(self)
        await trio.serve_listeners(self._handle, listeners)

    async def _handle(self, tcp: trio.SocketStream) -> None:
        conn = h11.Connection(h11.SERVER)
        stream: trio.abc.Stream = tcp
        if self.ssl_context is not None:
            stream = trio.SSLStream(tcp, self.ssl_context, server_side=True)
        try:
            with trio.move_on_after(STEP):
                while True:
                    event = conn.next_event()
                    if event is h11.NEED_DATA:
                        data = await stream.receive_some(65536)
                        if not data:
                            return
                        conn.receive_data(bytes(data))
                        continue
                    if isinstance(event, h11.Request):
                        request = event
                    elif isinstance(event, h11.EndOfMessage):
                        break
                    else:
                        return
                name = bytes(request.target).split(b"?", 1)[0].decode("latin-1")[1:]
                found = request.method == b"GET" and name in self._files
                body = self._files[name] if found else b"Not found."
                kind = CONTENT_TYPES.get(Path(name).suffix, b"text/plain") if found \
                    else b"text/plain"
                await stream.send_all(b"".join(conn.send(e) or b"" for e in (
                    h11.Response(status_code=200 if found else 404, headers=[
                        (b"Content-Type", kind), (b"Content-Length", str(len(body)).encode()),
                        (b"Cache-Control", b"no-store"), (b"Connection", b"close")]),
                    h11.Data(data=body), h11.EndOfMessage())))
        except (h11.RemoteProtocolError, trio.BrokenResourceError):
            return
        finally:
            await trio.aclose_forcefully(stream)
