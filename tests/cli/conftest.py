"""Fixtures of the CLI tests: ``dmsproto serve`` subprocesses (one plain, one TLS with
users) shared by the whole session; helpers live in ``tests.support.cli``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import trustme

from dmsproto.sim.shacrypt import hash_password
from tests.support.cli import PASSWORD, USER, Server, TlsServer, shut_down, start_server


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """A plain simulator (demo plant) ticking every 0.2 s."""
    srv = start_server("--tick", "0.2")
    yield srv
    shut_down(srv)


@pytest.fixture(scope="session")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    """A wss simulator with a trustme certificate and one Basic-auth user."""
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_pem = folder / "server.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(server_pem))
    cafile = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    users = folder / "users.cfg"
    users.write_text(f"{USER}:{hash_password(PASSWORD, rounds=1000)}\n", encoding="utf-8")
    srv = start_server("--tls-cert", str(server_pem), "--users", str(users), "--tick", "0")
    yield TlsServer(srv.process, srv.url, srv.http_url, cafile)
    shut_down(srv)
