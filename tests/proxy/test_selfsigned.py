"""Self-signed certificates made on the spot: valid for the names asked, trusted as a CA file."""

from __future__ import annotations

import contextlib
import ssl
import sys
from pathlib import Path

import pytest
import trio
from cryptography import x509

from dmsproto._selfsigned import make_self_signed, server_context
from dmsproto.errors import MissingExtraError


def test_the_certificate_names_what_was_asked() -> None:
    made = make_self_signed(["proxy.example", "127.0.0.1", "::1"], days=2)
    cert = x509.load_pem_x509_certificate(made.certificate_pem)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["proxy.example"]
    assert [str(a) for a in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]
    assert cert.subject.rfc4514_string().startswith("O=dmsproto self-signed,CN=proxy.example")
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 2
    from cryptography.hazmat.primitives import hashes

    assert made.fingerprint == cert.fingerprint(hashes.SHA256()).hex(":").upper()
    assert b"PRIVATE KEY" not in made.certificate_pem
    assert "key_pem" not in repr(made)


async def handshake(cafile: Path, made: object, host: str) -> bytes | BaseException | None:
    """A TLS server with ``made``; a client trusting ``cafile`` connects as ``host``:
    what it read, or why the handshake failed."""
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    server = server_context(made)  # type: ignore[arg-type]
    client = ssl.create_default_context(cafile=str(cafile))

    async def serve(stream: trio.SocketStream) -> None:
        tls = trio.SSLStream(stream, server, server_side=True)
        with contextlib.suppress(trio.BrokenResourceError):  # the client refused us
            await tls.send_all(b"hello")
        await trio.aclose_forcefully(tls)

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            await nursery.start(trio.serve_listeners, serve, listeners)
            stream = trio.SSLStream(await trio.open_tcp_stream("127.0.0.1", port), client,
                                    server_hostname=host)
            try:
                result: bytes | BaseException | None = bytes(await stream.receive_some(5))
            except trio.BrokenResourceError as exc:
                result = exc.__cause__
            await trio.aclose_forcefully(stream)
            nursery.cancel_scope.cancel()
    return result


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
async def test_a_client_trusting_the_file_completes_a_handshake(tmp_path: Path,
                                                                 host: str) -> None:
    made = make_self_signed()
    assert await handshake(made.write_certificate(tmp_path / "cert.pem"), made, host) == b"hello"


async def test_another_host_name_is_refused(tmp_path: Path) -> None:
    made = make_self_signed(["localhost"])
    failure = await handshake(made.write_certificate(tmp_path / "cert.pem"), made,
                              "other.example")
    assert isinstance(failure, ssl.SSLCertVerificationError)
    assert "Hostname mismatch" in str(failure)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="at least one"):
        make_self_signed([])
    with pytest.raises(ValueError, match="days"):
        make_self_signed(days=0)


def test_without_cryptography_the_error_says_what_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "cryptography" or m.startswith("cryptography.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "cryptography", None)  # import fails as if not installed
    with pytest.raises(MissingExtraError, match=r"pip install 'dmsproto\[tls\]'") as caught:
        make_self_signed()
    assert isinstance(caught.value, ImportError)
