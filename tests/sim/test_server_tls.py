"""TLS (wss/https) with Basic auth and client certificates, certificates made by trustme."""

from __future__ import annotations

import base64
import json
import logging
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import trio
import trustme
from cryptography import x509
from trio_websocket import ConnectionRejected, open_websocket_url

from dmsproto.sim.auth import IPLists, Users
from dmsproto.sim.server import Simulator, server_ssl_context
from dmsproto.sim.shacrypt import hash_password

PLANT: dict[str, Any] = {
    "format": "dmsproto-plant/1",
    "zone": "UTC",
    "points": {"Test:Int": {"value": 1}},
}
GET = json.dumps({"get": ["Test:Int"]}).encode()


class Pki:
    """A CA, a server certificate for 127.0.0.1 and a client certificate with CN client1."""

    def __init__(self, tmp_path: Path) -> None:
        self.ca = trustme.CA()
        self.server = self.ca.issue_cert("127.0.0.1", "localhost")
        self.client = self.ca.issue_cert("client1.example", common_name="client1")
        self.other_ca = trustme.CA()
        self.cert_file = tmp_path / "server.pem"
        self.server.private_key_and_cert_chain_pem.write_to_path(str(self.cert_file))
        self.ca_file = tmp_path / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        cert = x509.load_pem_x509_certificate(self.client.cert_chain_pems[0].bytes())
        self.client_serial: int = cert.serial_number

    def server_context(self) -> ssl.SSLContext:
        return server_ssl_context(self.cert_file, client_ca=self.ca_file)

    def client_context(self, *, with_cert: bool = False) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        if with_cert:
            self.client.configure_cert(context)
        return context


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return Pki(tmp_path)


def basic(user: str, password: str) -> list[tuple[bytes, bytes]]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return [(b"Authorization", f"Basic {token}".encode()),
            (b"Content-Type", b"application/json")]


def users(pki: Pki, serials: str) -> Users:
    return Users.parse(
        f"alice:{hash_password('secret', scheme='sha256')}\n"
        f"bob:{hash_password('builder', scheme='md5')}\n"
        f"client1:{serials}\n"
    )


async def rejected_status(url: str, **options: Any) -> int:
    """The HTTP status with which the server refused the WebSocket handshake."""
    with pytest.RaisesGroup(ConnectionRejected, allow_unwrapped=True, flatten_subgroups=True
                            ) as caught:
        async with open_websocket_url(url, **options):
            pass  # pragma: no cover - must not connect
    exc = caught.value
    rejection = exc if isinstance(exc, ConnectionRejected) else exc.exceptions[0]
    assert isinstance(rejection, ConnectionRejected)
    assert (b"www-authenticate", b'Basic realm="DMS JSON"') in (rejection.headers or ())
    return int(rejection.status_code)


def test_server_context_defaults_to_tls_1_2(pki: Pki) -> None:
    context = pki.server_context()
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.maximum_version == ssl.TLSVersion.TLSv1_2
    assert context.verify_mode == ssl.CERT_OPTIONAL


def client_of_version(pki: Pki, version: ssl.TLSVersion) -> ssl.SSLContext:
    context = pki.client_context()
    context.minimum_version = context.maximum_version = version
    return context


async def test_secure_tls_allows_tls_1_2_only(make_sim: Callable[..., Simulator], pki: Pki,
                                              http_request: Callable[..., Any]) -> None:
    """2.4.2.3 UseSecureTls=1 (the DMS's default): "only TLS V1.2 is allowed"."""
    async with make_sim(PLANT, ssl_context=pki.server_context()) as sim:
        with pytest.raises(trio.BrokenResourceError):
            await http_request(sim.port, "POST", "/json_data", GET,
                               ssl_context=client_of_version(pki, ssl.TLSVersion.TLSv1_3))
        reply = await http_request(sim.port, "POST", "/json_data", GET,
                                   ssl_context=client_of_version(pki, ssl.TLSVersion.TLSv1_2))
        assert reply.status == 200


async def test_tls_1_3_when_secure_tls_is_off(make_sim: Callable[..., Simulator], pki: Pki,
                                              http_request: Callable[..., Any]) -> None:
    relaxed = server_ssl_context(pki.cert_file, secure_tls=False)
    async with make_sim(PLANT, ssl_context=relaxed) as sim:
        reply = await http_request(sim.port, "POST", "/json_data", GET,
                                   ssl_context=client_of_version(pki, ssl.TLSVersion.TLSv1_3))
        assert reply.status == 200


async def test_auth_required_refuses_unauthenticated_https_post_and_wss(
    make_sim: Callable[..., Simulator], pki: Pki, http_request: Callable[..., Any],
) -> None:
    """2.4.2.3 AuthRequired=1 (the DMS's default): no users file means nobody gets in."""
    async with make_sim(PLANT, ssl_context=pki.server_context(), auth_required=True) as sim:
        reply = await http_request(sim.port, "POST", "/json_data", GET,
                                   ssl_context=pki.client_context())
        assert reply.status == 401
        assert await rejected_status(sim.url, ssl_context=pki.client_context()) == 401


async def test_auth_not_required_lets_anonymous_clients_in_beside_users(
    make_sim: Callable[..., Simulator], pki: Pki, http_request: Callable[..., Any],
) -> None:
    async with make_sim(PLANT, ssl_context=pki.server_context(), users=users(pki, "1"),
                        auth_required=False) as sim:
        anonymous = await http_request(sim.port, "POST", "/json_data", GET,
                                       ssl_context=pki.client_context())
        assert anonymous.status == 200
        async with open_websocket_url(sim.url, ssl_context=pki.client_context(),
                                      extra_headers=basic("alice", "secret")) as ws:
            await ws.send_message(GET)
            assert json.loads(await ws.get_message())["get"][0]["value"] == 1
            assert [s.user for s in sim.engine.sessions] == ["alice"]


async def test_authenticated_user_triggers_writes_without_whois(
    make_sim: Callable[..., Simulator], pki: Pki,
) -> None:
    """3.1.1: authenticated, whois is optional and the user name is used; 3.6.4: a
    whois that is sent is the trigger."""
    context = pki.client_context()
    async with make_sim(PLANT, ssl_context=pki.server_context(), users=users(pki, "1")) as sim, \
            open_websocket_url(sim.url, ssl_context=context,
                               extra_headers=basic("alice", "secret")) as ws:
        await ws.send_message(json.dumps({"subscribe": [{"path": "Test:Int"}]}))
        await ws.get_message()
        triggers = []
        for request in ({"user": "", "set": [{"path": "Test:Int", "value": 2}]},
                        {"whois": "Service", "user": "", "set": [{"path": "Test:Int",
                                                                   "value": 3}]}):
            await ws.send_message(json.dumps(request))
            with trio.fail_after(5):
                while True:
                    frame = json.loads(await ws.get_message())
                    if "event" in frame:
                        triggers.append(frame["event"][0]["trigger"])
                        break
        assert triggers == ["alice", "Service"]


async def test_debug_log_never_shows_credentials(
    make_sim: Callable[..., Simulator], pki: Pki, http_request: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="dmsproto")
    async with make_sim(PLANT, ssl_context=pki.server_context(), users=users(pki, "1")) as sim:
        await http_request(sim.port, "POST", "/json_data", GET,
                           headers=basic("alice", "secret"), ssl_context=pki.client_context())
        async with open_websocket_url(sim.url, ssl_context=pki.client_context(),
                                      extra_headers=basic("bob", "builder")) as ws:
            await ws.send_message(GET)
            await ws.get_message()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "TLSv1.2" in text and " as alice" in text and " as bob" in text
    token = basic("alice", "secret")[0][1].split()[1].decode()
    for secret in ("secret", "builder", token, "Authorization", "authorization"):
        assert secret not in text


async def test_wss_basic_auth_good_password(make_sim: Callable[..., Simulator], pki: Pki
                                            ) -> None:
    async with make_sim(PLANT, ssl_context=pki.server_context(), users=users(pki, "1")) as sim:
        assert sim.url == f"wss://127.0.0.1:{sim.port}/json_data"
        async with open_websocket_url(sim.url, ssl_context=pki.client_context(),
                                      extra_headers=basic("alice", "secret")) as ws:
            await ws.send_message(GET)
            assert json.loads(await ws.get_message())["get"][0]["value"] == 1
            assert [s.user for s in sim.engine.sessions] == ["alice"]


async def test_wss_basic_auth_bad_password(make_sim: Callable[..., Simulator], pki: Pki
                                           ) -> None:
    async with make_sim(PLANT, ssl_context=pki.server_context(), users=users(pki, "1")) as sim:
        context = pki.client_context()
        assert await rejected_status(sim.url, ssl_context=context,
                                     extra_headers=basic("alice", "wrong")) == 401
        assert await rejected_status(sim.url, ssl_context=context) == 401
        assert sim.engine.sessions == []


async def test_https_basic_auth(make_sim: Callable[..., Simulator], pki: Pki,
                                http_request: Callable[..., Any]) -> None:
    async with make_sim(PLANT, ssl_context=pki.server_context(), users=users(pki, "1")) as sim:
        assert sim.http_url == f"https://127.0.0.1:{sim.port}/json_data"
        context = pki.client_context()
        for user, password, status in [("alice", "secret", 200), ("bob", "builder", 200),
                                       ("alice", "builder", 401), ("carol", "x", 401)]:
            reply = await http_request(sim.port, "POST", "/json_data", GET,
                                       headers=basic(user, password), ssl_context=context)
            assert reply.status == status, (user, password)
            if status == 401:
                assert reply.headers[b"www-authenticate"] == b'Basic realm="DMS JSON"'
            else:
                assert json.loads(reply.body)["get"][0]["value"] == 1
        reply = await http_request(sim.port, "POST", "/json_data", GET, ssl_context=context)
        assert reply.status == 401


async def test_client_certificate_listed_serial(make_sim: Callable[..., Simulator], pki: Pki,
                                                http_request: Callable[..., Any]) -> None:
    listed = f"7,{pki.client_serial}"
    async with make_sim(PLANT, ssl_context=pki.server_context(), users=users(pki, listed)
                        ) as sim:
        context = pki.client_context(with_cert=True)
        async with open_websocket_url(sim.url, ssl_context=context) as ws:
            await ws.send_message(GET)
            assert json.loads(await ws.get_message())["get"][0]["value"] == 1
            assert [s.user for s in sim.engine.sessions] == ["client1"]
        reply = await http_request(sim.port, "POST", "/json_data", GET, ssl_context=context)
        assert reply.status == 200


async def test_client_certificate_serial_in_hex(make_sim: Callable[..., Simulator], pki: Pki,
                                                http_request: Callable[..., Any]) -> None:
    listed = hex(pki.client_serial)
    async with make_sim(PLANT, ssl_context=pki.server_context(), users=users(pki, listed)
                        ) as sim:
        reply = await http_request(sim.port, "POST", "/json_data", GET,
                                   ssl_context=pki.client_context(with_cert=True))
        assert reply.status == 200


async def test_client_certificate_unlisted_serial_refused(
    make_sim: Callable[..., Simulator], pki: Pki, http_request: Callable[..., Any],
) -> None:
    async with make_sim(PLANT, ssl_context=pki.server_context(), users=users(pki, "3,4,5")
                        ) as sim:
        context = pki.client_context(with_cert=True)
        assert await rejected_status(sim.url, ssl_context=context) == 401
        reply = await http_request(sim.port, "POST", "/json_data", GET, ssl_context=context)
        assert reply.status == 401
        # ... but Basic auth still works on top of that certificate
        reply = await http_request(sim.port, "POST", "/json_data", GET,
                                   headers=basic("alice", "secret"), ssl_context=context)
        assert reply.status == 200


async def test_client_certificate_any_serial(make_sim: Callable[..., Simulator], pki: Pki
                                             ) -> None:
    context = pki.client_context(with_cert=True)
    async with make_sim(PLANT, ssl_context=pki.server_context(), users=users(pki, "*")) as sim, \
            open_websocket_url(sim.url, ssl_context=context) as ws:
        await ws.send_message(GET)
        assert json.loads(await ws.get_message())["get"][0]["value"] == 1
        assert [s.user for s in sim.engine.sessions] == ["client1"]


async def test_tls_without_users_needs_no_auth_by_default_in_tests(
    make_sim: Callable[..., Simulator], pki: Pki, http_request: Callable[..., Any],
) -> None:
    async with make_sim(PLANT, ssl_context=pki.server_context()) as sim:
        reply = await http_request(sim.port, "POST", "/json_data", GET,
                                   ssl_context=pki.client_context())
        assert reply.status == 200


async def test_tls_block_list(make_sim: Callable[..., Simulator], pki: Pki,
                              http_request: Callable[..., Any]) -> None:
    allow = IPLists.of(tls_blocked=["127.0.0.1/32"], plain_allowed=["0.0.0.0/0"])
    async with make_sim(PLANT, ssl_context=pki.server_context(), allow=allow) as sim:
        with pytest.raises(trio.BrokenResourceError):
            await http_request(sim.port, "POST", "/json_data", GET,
                               ssl_context=pki.client_context())
        assert sim.refused == 1


async def test_untrusting_client_does_not_break_server(
    make_sim: Callable[..., Simulator], pki: Pki, http_request: Callable[..., Any],
) -> None:
    async with make_sim(PLANT, ssl_context=pki.server_context()) as sim:
        wrong = ssl.create_default_context()
        pki.other_ca.configure_trust(wrong)
        with pytest.raises(trio.BrokenResourceError):
            await http_request(sim.port, "POST", "/json_data", GET, ssl_context=wrong)
        reply = await http_request(sim.port, "POST", "/json_data", GET,
                                   ssl_context=pki.client_context())
        assert reply.status == 200
