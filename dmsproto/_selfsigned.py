"""A self-signed TLS server certificate made on the spot, for listening with TLS at once.

:func:`make_self_signed` makes a fresh key and a certificate valid for the given
host names and addresses, so clients can connect over ``wss``/``https`` without
anyone running ``openssl`` first.  The command line's ``--tls-self-signed`` (``serve``
and ``proxy``) writes both to files (:mod:`dmsproto.cli.selfsigned`); Python code
that listens can take :func:`server_context` instead, where the key never touches a
lasting file.  The certificate is written to a file
(:meth:`SelfSigned.write_certificate`) for clients to trust (``--cafile``).

Needs the optional extra ``dmsproto[tls]`` (the ``cryptography`` package); without
it :func:`make_self_signed` raises :class:`~dmsproto.errors.MissingExtraError`
saying what to install.  ``trustme`` is not used: it makes test certificate
authorities, and says so itself.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from .errors import MissingExtraError

INSTALL_HINT: Final = ("a self-signed certificate needs the 'cryptography' package: "
                       "pip install 'dmsproto[tls]'")
DEFAULT_NAMES: Final = ("localhost", "127.0.0.1", "::1")
DEFAULT_DAYS: Final = 30


@dataclass(frozen=True)
class SelfSigned:
    """A certificate and its private key (PEM), and the SHA-256 fingerprint to compare."""

    certificate_pem: bytes
    key_pem: bytes = field(repr=False)
    fingerprint: str
    """SHA-256 of the DER certificate, upper-case hex pairs joined by ``:``."""
    names: tuple[str, ...]
    not_after: datetime

    def write_certificate(self, path: str | os.PathLike[str]) -> Path:
        """Write the certificate (not the key) to ``path`` for clients to trust."""
        target = Path(path)
        target.write_bytes(self.certificate_pem)
        return target


def _subject_names(names: Sequence[str]) -> list[object]:
    from cryptography import x509

    entries: list[object] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return entries


def make_self_signed(names: Sequence[str] = DEFAULT_NAMES, *,
                     days: int = DEFAULT_DAYS) -> SelfSigned:
    """A new ECDSA P-256 key and a certificate for ``names`` (host names or IP addresses).

    Args:
        names: what clients will connect to; the first is also the subject's CN.
        days: validity, starting one hour ago (clocks differ a little).

    Returns:
        The certificate, its key and its fingerprint.

    Raises:
        MissingExtraError: the ``cryptography`` package is not installed.
        ValueError: ``names`` is empty or ``days`` is not positive.
    """
    if not names:
        raise ValueError("a certificate needs at least one host name or address")
    if days < 1:
        raise ValueError("days must be at least 1")
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    except ImportError:
        raise MissingExtraError(INSTALL_HINT) from None
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, names[0]),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "dmsproto self-signed"),
    ])
    now = datetime.now(UTC)
    not_after = now + timedelta(days=days)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(_subject_names(names)),  # type: ignore[arg-type]
                       critical=False)
        # a CA certificate for itself, so clients can trust the file as their CA
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     crl_sign=False, encipher_only=False,
                                     decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    fingerprint = certificate.fingerprint(hashes.SHA256()).hex(":").upper()
    return SelfSigned(
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()),
        fingerprint=fingerprint,
        names=tuple(names),
        not_after=not_after,
    )


def server_context(cert: SelfSigned, *,
                   minimum_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2) -> ssl.SSLContext:
    """A TLS server context presenting ``cert`` (TLS 1.2 or newer, like the DMS).

    The ssl module loads keys only from files: the key is written to a private
    temporary directory, loaded, and removed again before this returns.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = minimum_version
    with tempfile.TemporaryDirectory(prefix="dmsproto-tls-") as folder:
        chain = Path(folder) / "chain.pem"
        descriptor = os.open(chain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(cert.key_pem + cert.certificate_pem)
        context.load_cert_chain(chain)
    return context


__all__ = ["DEFAULT_NAMES", "INSTALL_HINT", "SelfSigned", "make_self_signed", "server_context"]
