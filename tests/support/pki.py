"""A small PKI made by trustme, and the users that go with it, for TLS tests."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography import x509

from dmsproto.sim.auth import Users
from dmsproto.sim.server import server_ssl_context
from dmsproto.sim.shacrypt import hash_password

USER = "alice"
PASSWORD = "s3cret"


@dataclass
class Pki:
    """A CA; the DMS's certificate for 127.0.0.1; a client certificate (CN client1);
    users: alice (Basic auth) and client1 (that certificate)."""

    folder: Path

    def __post_init__(self) -> None:
        self.ca = trustme.CA()
        server = self.ca.issue_cert("127.0.0.1", "localhost")
        self.server_pem = self.folder / "dms.pem"
        server.private_key_and_cert_chain_pem.write_to_path(str(self.server_pem))
        self.ca_file = self.folder / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        client = self.ca.issue_cert("client1.example", common_name="client1")
        self.client_pem = self.folder / "client.pem"
        client.private_key_and_cert_chain_pem.write_to_path(str(self.client_pem))
        serial = x509.load_pem_x509_certificate(client.cert_chain_pems[0].bytes()).serial_number
        self.users = Users.parse(f"{USER}:{hash_password(PASSWORD, scheme='sha256')}\n"
                                 f"client1:{serial}\n")

    def server_context(self) -> ssl.SSLContext:
        return server_ssl_context(self.server_pem, client_ca=self.ca_file)

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context
