"""Shared test fixtures: simulators that check their own output, and a raw HTTP client."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

import h11
import pytest
import trio

from dmsproto import declare
from dmsproto.declare import Cli, Opt
from dmsproto.filters import QueryFilter
from dmsproto.options import ConnectOptions
from dmsproto.sim.server import Simulator

#: fixtures that install third-party clients (visitoolkit-connector, ws from npm) at test time
pytest_plugins = ["tests.support.third_party", "tests.support.trio_deadline"]


@pytest.fixture
def make_sim() -> Iterator[Callable[..., Simulator]]:
    """``make_sim(**options)``: a Simulator that validates what it sends and has no ticker.

    After the test, no simulator made here may have sent an invalid frame or failed
    internally.
    """
    made: list[Simulator] = []

    def factory(*args: Any, **options: Any) -> Simulator:
        options.setdefault("validate_outgoing", True)
        options.setdefault("tick_interval", None)
        sim = Simulator(*args, **options)
        made.append(sim)
        return sim

    yield factory
    for sim in made:
        assert sim.violations == [], sim.violations
        assert sim.errors == [], sim.errors


@dataclass
class HttpReply:
    status: int
    headers: dict[bytes, bytes]
    body: bytes


class HttpClient:
    """A minimal keep-alive HTTP/1.1 client on h11, plain or TLS, for loopback tests."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.conn = h11.Connection(h11.CLIENT)

    @classmethod
    async def connect(cls, port: int, ssl_context: ssl.SSLContext | None = None) -> HttpClient:
        stream: trio.abc.Stream = await trio.open_tcp_stream("127.0.0.1", port)
        if ssl_context is not None:
            stream = trio.SSLStream(stream, ssl_context, server_hostname="127.0.0.1")
        return cls(stream)

    async def request(
        self, method: str, target: str, body: bytes = b"",
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> HttpReply | None:
        """Send one request; the reply, or None when the server closed without one."""
        if self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE:
            self.conn.start_next_cycle()
        all_headers = [(b"Host", b"127.0.0.1"), (b"Content-Length", str(len(body)).encode())]
        all_headers += headers or [(b"Content-Type", b"application/json")]
        data = self.conn.send(h11.Request(method=method, target=target, headers=all_headers))
        data = (data or b"") + (self.conn.send(h11.Data(data=body)) or b"")
        data += self.conn.send(h11.EndOfMessage()) or b""
        await self.stream.send_all(data)
        status = 0
        reply_headers: dict[bytes, bytes] = {}
        parts: list[bytes] = []
        try:
            while True:
                event = self.conn.next_event()
                if event is h11.NEED_DATA:
                    self.conn.receive_data(await self.stream.receive_some(65536))
                elif isinstance(event, h11.Response):
                    status = event.status_code
                    reply_headers = {k.lower(): v for k, v in event.headers}
                elif isinstance(event, h11.Data):
                    parts.append(bytes(event.data))
                elif isinstance(event, h11.EndOfMessage):
                    return HttpReply(status, reply_headers, b"".join(parts))
                elif isinstance(event, h11.ConnectionClosed):
                    return None
        except (h11.RemoteProtocolError, trio.BrokenResourceError):
            return None

    async def aclose(self) -> None:
        await trio.aclose_forcefully(self.stream)


@pytest.fixture
def http_request() -> Callable[..., Any]:
    """``await http_request(port, method, target, body=b"", headers=None, ssl_context=None)``."""

    async def request(
        port: int, method: str, target: str, body: bytes = b"",
        headers: list[tuple[bytes, bytes]] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> HttpReply | None:
        client = await HttpClient.connect(port, ssl_context)
        try:
            return await client.request(method, target, body, headers)
        finally:
            await client.aclose()

    return request


@pytest.fixture
def http_client() -> type[HttpClient]:
    return HttpClient


@dataclass(frozen=True)
class Extension:
    """The names of the option and the filter ``extended_declarations`` adds."""

    option: str = "retries"
    option_flag: str = "--retries"
    option_env: str = "DMSPROTO_RETRIES"
    filter: str = "has_unit"
    filter_flag: str = "--has-unit"


@pytest.fixture
def extended_declarations(monkeypatch: pytest.MonkeyPatch) -> Extension:
    """One more connection option and one more query filter, added the way a maintainer
    adds one: a single annotated field in ``ConnectOptions`` / ``QueryFilter``.

    Tests with this fixture show that every front door (both clients, the CLI's flags,
    environment and config file) takes them with no other edit.
    """
    names = Extension()
    monkeypatch.setitem(ConnectOptions.__annotations__, names.option, Annotated[
        int, Opt(3, "how often to retry", cli=Cli(metavar="N"), at_least=0)])
    monkeypatch.setitem(QueryFilter.__annotations__, names.filter, Annotated[
        bool | None, Opt(None, "only datapoints with a unit", cli=Cli(switch=True))])
    monkeypatch.setattr(declare, "_DECLARED", {})  # read the declarations afresh
    return names
