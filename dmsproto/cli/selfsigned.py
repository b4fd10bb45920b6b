"""A self-signed certificate and key as files, for a command that listens with TLS at once.

``dmsproto serve --tls-self-signed [DIR]`` and ``dmsproto proxy --tls-self-signed
[DIR]`` use it, and load their TLS context from the files as from ``--tls-cert``
and ``--tls-key``: the certificate and its key are written into ``DIR`` (kept) or
a temporary folder (removed when the command ends), and the line to show says
which file clients pass to ``--cafile``.  The
certificate is its own CA (see :mod:`dmsproto._selfsigned`), valid for
``localhost``, ``127.0.0.1``, ``::1`` and the address listened on.  Needs the
extra ``dmsproto[tls]``; without it ``MissingExtraError`` (exit 9).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .._selfsigned import DEFAULT_NAMES, make_self_signed

CERT_NAME = "cert.pem"
KEY_NAME = "key.pem"
ANY_ADDRESS = ("", "0.0.0.0", "::")


@dataclass(frozen=True)
class ServerFiles:
    """Where the certificate and key were written.

    Attributes:
        certificate: the certificate (PEM), also the CA file clients trust.
        key: its private key (PEM, readable by the owner only).
        fingerprint: SHA-256 of the certificate, to compare by eye.
        names: the host names and addresses it is valid for.
    """

    certificate: Path
    key: Path
    fingerprint: str
    names: tuple[str, ...]

    def announce(self) -> str:
        """The line telling a person what was made and how clients trust it."""
        return (f"self-signed certificate for {', '.join(self.names)}: clients pass "
                f"--cafile {self.certificate} (SHA-256 {self.fingerprint})")


def names_for(host: str) -> list[str]:
    """The names to certify: the listening address first (unless it is any), then loopback."""
    names = list(DEFAULT_NAMES)
    if host not in ANY_ADDRESS and host not in names:
        names.insert(0, host)
    return names


def write_self_signed(folder: Path, host: str) -> ServerFiles:
    """Make a certificate and key for ``host`` and write them into ``folder`` (made if needed).

    Raises:
        MissingExtraError: the ``cryptography`` package is not installed.
        OSError: the folder or files cannot be written.
    """
    made = make_self_signed(names_for(host))
    folder.mkdir(parents=True, exist_ok=True)
    key = folder / KEY_NAME
    descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(made.key_pem)
    os.chmod(key, 0o600)  # also when the file was there before
    certificate = made.write_certificate(folder / CERT_NAME)
    return ServerFiles(certificate, key, made.fingerprint, made.names)


@contextmanager
def self_signed_files(folder: str | os.PathLike[str] | None, host: str) -> Iterator[ServerFiles]:
    """:func:`write_self_signed` into ``folder``, or a temporary one removed on leaving."""
    if folder is not None:
        yield write_self_signed(Path(folder), host)
        return
    with tempfile.TemporaryDirectory(prefix="dmsproto-tls-") as temporary:
        yield write_self_signed(Path(temporary), host)


__all__ = ["CERT_NAME", "KEY_NAME", "ServerFiles", "names_for", "self_signed_files",
           "write_self_signed"]
