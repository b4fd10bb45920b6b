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
import trio
import trustme
from cryptography import x509

import dmsproto.client as dc
from dmsproto.errors import AuthenticationError, ConnectError, TLSError
from dmsproto.sim.auth import Users
from dmsproto.sim.server import Simulator, server_ssl_context
from dmsproto.sim.shacrypt import hash_password

pytestmark = pytest.mark.trio

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
def tls_sim(sim_factory: Callable[..., Simulator], pki: Pki) -> Callable[..., Simulator]:
    def factory(**options: Any) -> Simulator:
        options.setdefault("ssl_context", pki.server_context())
        options.setdefault("users", pki.users)
        return sim_factory(**options)

    return factory


@pytest.mark.parametrize("transport", ["ws", "http"])
async def test_basic_auth(tls_sim: Callable[..., Simulator], pki: Pki, transport: str) -> None:
    async with tls_sim() as sim:
        url = sim.url if transport == "ws" else sim.http_url
        assert url.startswith(("wss://", "https://"))
        async with dc.connect(url, user="alice", password=PASSWORD, cafile=pki.ca_file) as dms:
            assert (await dms.get("Test:Int")).value == 1
            await dms.set("Test:Int", 2)
        with pytest.raises(AuthenticationError):
            async with dc.connect(url, user="alice", password="wrong", cafile=pki.ca_file) as dms:
                await dms.get("Test:Int")  # HTTP finds out here, WebSocket at connect


async def test_whois_is_the_trigger_also_when_authenticated(
    tls_sim: Callable[..., Simulator], pki: Pki
) -> None:
    """3.6.4: the trigger is the request's whois (the user name stands in only when
    an authenticated request sends none, 3.1.1; our client always sends one)."""
    async with tls_sim() as sim:
        auth: dict[str, Any] = {"user": "alice", "password": PASSWORD, "cafile": pki.ca_file}
        async with (
            dc.connect(sim.url, whois="service-a", **auth) as writer,
            dc.connect(sim.url, certfile=pki.client_cert, keyfile=pki.client_key,
                       cafile=pki.ca_file) as watcher,
            watcher.subscribe("Test:Int") as sub,
        ):
            await writer.set("Test:Int", 5)
            event = await sub.__anext__()
        assert (event.value, event.trigger) == (5, "service-a")


@pytest.mark.parametrize("transport", ["ws", "http"])
async def test_client_certificate(
    tls_sim: Callable[..., Simulator], pki: Pki, transport: str
) -> None:
    async with tls_sim() as sim:
        url = sim.url if transport == "ws" else sim.http_url
        context = ssl.create_default_context()
        pki.ca.configure_trust(context)
        context.load_cert_chain(pki.client_cert, pki.client_key)
        async with dc.connect(url, ssl_context=context) as dms:
            assert (await dms.get("Test:Double")).value == 21.5
        # without certificate and password the server refuses
        with pytest.raises(AuthenticationError):
            async with dc.connect(url, cafile=pki.ca_file) as dms:
                await dms.get("Test:Int")


async def test_untrusted_server_is_a_quick_tls_error(tls_sim: Callable[..., Simulator]) -> None:
    async with tls_sim() as sim:
        for url in (sim.url, sim.http_url):
            started = time.monotonic()
            with pytest.raises(TLSError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify"):
                async with dc.connect(url, user="alice", password=PASSWORD, connect_timeout=30):
                    pass  # pragma: no cover
            assert time.monotonic() - started < 5.0


async def test_missing_required_client_cert_is_a_quick_tls_error(
    tls_sim: Callable[..., Simulator], pki: Pki
) -> None:
    async with tls_sim(ssl_context=pki.server_context(require_cert=True)) as sim:
        started = time.monotonic()
        with pytest.raises(TLSError):
            async with dc.connect(sim.url, cafile=pki.ca_file, connect_timeout=30):
                pass  # pragma: no cover
        assert time.monotonic() - started < 5.0


async def test_basic_auth_over_plain_ws_is_refused(sim_factory: Callable[..., Simulator]) -> None:
    async with sim_factory() as sim:
        with pytest.raises(ConnectError, match="plain ws"):
            async with dc.connect(sim.url, user="alice", password=PASSWORD):
                pass  # pragma: no cover
        async with dc.connect(
            sim.url, user="alice", password=PASSWORD, allow_insecure_auth=True
        ) as dms:
            assert (await dms.get("Test:Int")).value == 1


async def test_logs_never_contain_the_password(
    tls_sim: Callable[..., Simulator], pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    async with tls_sim() as sim:
        for url in (sim.url, sim.http_url):
            async with dc.connect(
                url, user="alice", password=PASSWORD, cafile=pki.ca_file, whois="logtest"
            ) as dms:
                await dms.set("Test:Text", "logged value")
                assert (await dms.get("Test:Text")).value == "logged value"
                assert PASSWORD not in repr(dms._opts)
            with pytest.raises(AuthenticationError) as info:
                async with dc.connect(url, user="alice", password=PASSWORD + "x",
                                      cafile=pki.ca_file) as dms:
                    await dms.get("Test:Int")
            assert PASSWORD not in str(info.value)
    messages = [r.getMessage() for r in caplog.records]
    assert any("logged value" in m for m in messages if m.startswith(("send", "post")))
    assert any(m.startswith("recv") for m in messages)
    text = "\n".join(messages) + caplog.text
    for secret in (PASSWORD, token, "Authorization", "authorization"):
        assert secret not in text


async def test_bad_urls_and_options() -> None:
    for url, message in [
        ("ftp://127.0.0.1/json_data", "scheme"),
        ("ws:///json_data", "no host"),
        ("ws://127.0.0.1:99999/", "bad URL"),
    ]:
        with pytest.raises(ConnectError, match=message):
            async with dc.connect(url):
                pass  # pragma: no cover
    with pytest.raises(ConnectError, match="TLS files"):
        async with dc.connect("wss://127.0.0.1/json_data", cafile="/nonexistent/ca.pem"):
            pass  # pragma: no cover
    await trio.lowlevel.checkpoint()
