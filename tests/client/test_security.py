"""wss/https with Basic auth and client certificates (trustme), fast TLS errors, no secrets
in logs."""

from __future__ import annotations

import base64
import logging
import ssl
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import trustme
from cryptography import x509

from dmsproto.errors import AuthenticationError, ConnectError, TLSError
from dmsproto.sim.auth import Users
from dmsproto.sim.server import server_ssl_context
from dmsproto.sim.shacrypt import hash_password
from tests.support.backends import Backend, LoopSim

PASSWORD = "s3cret-Pa55word"


class Pki:
    """A CA, a server certificate for 127.0.0.1 and a client certificate with CN client1."""

    def __init__(self, tmp_path: Path) -> None:
        self.ca = trustme.CA()
        server = self.ca.issue_cert("127.0.0.1", "localhost")
        client = self.ca.issue_cert("client1.example", common_name="client1")
        self.server_file = tmp_path / "server.pem"
        server.private_key_and_cert_chain_pem.write_to_path(str(self.server_file))
        self.ca_file = tmp_path / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.client_cert = tmp_path / "client.pem"
        client.cert_chain_pems[0].write_to_path(str(self.client_cert))
        self.client_key = tmp_path / "client.key"
        client.private_key_pem.write_to_path(str(self.client_key))
        cert = x509.load_pem_x509_certificate(client.cert_chain_pems[0].bytes())
        self.users = Users.parse(
            f"alice:{hash_password(PASSWORD, scheme='sha256')}\nclient1:{cert.serial_number}\n"
        )

    def server_context(self, *, require_cert: bool = False) -> ssl.SSLContext:
        context = server_ssl_context(self.server_file, client_ca=self.ca_file)
        if require_cert:
            context.verify_mode = ssl.CERT_REQUIRED
        return context


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return Pki(tmp_path)


@pytest.fixture
def tls_sim(loop_sim: Callable[..., LoopSim], pki: Pki) -> Callable[..., LoopSim]:
    """``tls_sim(**options)``: a started simulator serving wss/https with the PKI's users."""

    def factory(**options: Any) -> LoopSim:
        options.setdefault("ssl_context", pki.server_context())
        options.setdefault("users", pki.users)
        return loop_sim(**options)

    return factory


@pytest.mark.parametrize("transport", ["ws", "http"])
def test_basic_auth(
    backend: Backend, tls_sim: Callable[..., LoopSim], pki: Pki, transport: str
) -> None:
    sim = tls_sim()

    async def body() -> None:
        url = sim.url if transport == "ws" else sim.http_url
        assert url.startswith(("wss://", "https://"))
        auth: dict[str, Any] = {"user": "alice", "cafile": pki.ca_file}
        async with backend.connect(url, password=PASSWORD, **auth) as dms:
            assert (await dms.get("Test:Int")).value == 1
            await dms.set("Test:Int", 2)
        with pytest.raises(AuthenticationError):
            async with backend.connect(url, password="wrong", **auth) as dms:
                await dms.get("Test:Int")  # HTTP finds out here, WebSocket at connect

    backend.run(body)


def test_whois_is_the_trigger_also_when_authenticated(
    backend: Backend, tls_sim: Callable[..., LoopSim], pki: Pki
) -> None:
    """3.6.4: the trigger is the request's whois (the user name stands in only when
    an authenticated request sends none, 3.1.1; our client always sends one)."""
    sim = tls_sim()

    async def body() -> None:
        auth: dict[str, Any] = {"user": "alice", "password": PASSWORD, "cafile": pki.ca_file}
        async with (
            backend.connect(sim.url, whois="service-a", **auth) as writer,
            backend.connect(sim.url, certfile=pki.client_cert, keyfile=pki.client_key,
                            cafile=pki.ca_file) as watcher,
            watcher.subscribe("Test:Int") as sub,
        ):
            await writer.set("Test:Int", 5)
            event = await sub.__anext__()
        assert (event.value, event.trigger) == (5, "service-a")

    backend.run(body)


@pytest.mark.parametrize("transport", ["ws", "http"])
def test_client_certificate(
    backend: Backend, tls_sim: Callable[..., LoopSim], pki: Pki, transport: str
) -> None:
    sim = tls_sim()

    async def body() -> None:
        url = sim.url if transport == "ws" else sim.http_url
        context = ssl.create_default_context()
        pki.ca.configure_trust(context)
        context.load_cert_chain(pki.client_cert, pki.client_key)
        async with backend.connect(url, ssl_context=context) as dms:
            assert (await dms.get("Test:Double")).value == 21.5
        # without certificate and password the server refuses
        with pytest.raises(AuthenticationError):
            async with backend.connect(url, cafile=pki.ca_file) as dms:
                await dms.get("Test:Int")

    backend.run(body)


def test_untrusted_server_is_a_quick_tls_error(
    backend: Backend, tls_sim: Callable[..., LoopSim]
) -> None:
    sim = tls_sim()

    async def body() -> None:
        for url in (sim.url, sim.http_url):
            started = time.monotonic()
            with pytest.raises(TLSError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify"):
                async with backend.connect(url, user="alice", password=PASSWORD,
                                           connect_timeout=30):
                    pass  # pragma: no cover
            assert time.monotonic() - started < 5.0

    backend.run(body)


def test_missing_required_client_cert_is_a_quick_tls_error(
    backend: Backend, tls_sim: Callable[..., LoopSim], pki: Pki
) -> None:
    sim = tls_sim(ssl_context=pki.server_context(require_cert=True))

    async def body() -> None:
        started = time.monotonic()
        with pytest.raises(TLSError):
            async with backend.connect(sim.url, cafile=pki.ca_file, connect_timeout=30):
                pass  # pragma: no cover
        assert time.monotonic() - started < 5.0

    backend.run(body)


def test_basic_auth_over_plain_ws_is_refused(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        with pytest.raises(ConnectError, match="plain ws"):
            async with backend.connect(sim.url, user="alice", password=PASSWORD):
                pass  # pragma: no cover
        async with backend.connect(
            sim.url, user="alice", password=PASSWORD, allow_insecure_auth=True
        ) as dms:
            assert (await dms.get("Test:Int")).value == 1

    backend.run(body)


def test_logs_never_contain_the_password(
    backend: Backend, tls_sim: Callable[..., LoopSim], pki: Pki,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim = tls_sim()

    async def body() -> None:
        caplog.set_level(logging.DEBUG)
        token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
        for url in (sim.url, sim.http_url):
            async with backend.connect(
                url, user="alice", password=PASSWORD, cafile=pki.ca_file, whois="logtest"
            ) as dms:
                await dms.set("Test:Text", "logged value")
                assert (await dms.get("Test:Text")).value == "logged value"
                assert PASSWORD not in repr(dms._opts)
            with pytest.raises(AuthenticationError) as info:
                async with backend.connect(url, user="alice", password=PASSWORD + "x",
                                      cafile=pki.ca_file) as dms:
                    await dms.get("Test:Int")
            assert PASSWORD not in str(info.value)
        messages = [r.getMessage() for r in caplog.records]
        assert any("logged value" in m for m in messages if m.startswith(("send", "post")))
        assert any(m.startswith("recv") for m in messages)
        text = "\n".join(messages) + caplog.text
        for secret in (PASSWORD, token, "Authorization", "authorization"):
            assert secret not in text

    backend.run(body)


def test_bad_urls_and_options(backend: Backend) -> None:
    async def body() -> None:
        for url, message in [
            ("ftp://127.0.0.1/json_data", "scheme"),
            ("ws:///json_data", "no host"),
            ("ws://127.0.0.1:99999/", "bad URL"),
        ]:
            with pytest.raises(ConnectError, match=message):
                async with backend.connect(url):
                    pass  # pragma: no cover
        with pytest.raises(ConnectError, match="TLS files"):
            async with backend.connect("wss://127.0.0.1/json_data", cafile="/nonexistent/ca.pem"):
                pass  # pragma: no cover

    backend.run(body)
