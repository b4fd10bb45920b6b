"""Self-signed certificate files for a listening command: a real TLS handshake trusts them."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trio

from dmsproto.cli.selfsigned import names_for, self_signed_files


def test_names_follow_the_listening_address() -> None:
    assert names_for("127.0.0.1") == ["localhost", "127.0.0.1", "::1"]
    assert names_for("0.0.0.0") == ["localhost", "127.0.0.1", "::1"]
    assert names_for("dms-test.local")[0] == "dms-test.local"


def test_files_in_a_given_folder_stay_and_the_key_is_private(tmp_path: Path) -> None:
    folder = tmp_path / "tls"
    with self_signed_files(folder, "127.0.0.1") as files:
        assert files.certificate == folder / "cert.pem" and files.key == folder / "key.pem"
        assert files.key.stat().st_mode & 0o077 == 0
        assert b"PRIVATE KEY" not in files.certificate.read_bytes()
        assert f"--cafile {files.certificate}" in files.announce()
        assert len(files.fingerprint.split(":")) == 32
    assert files.certificate.exists() and files.key.exists()


def test_a_temporary_folder_goes_away() -> None:
    with self_signed_files(None, "127.0.0.1") as files:
        assert files.certificate.exists()
    assert not files.certificate.exists() and not files.key.exists()


@pytest.mark.trio
async def test_a_client_trusting_the_file_completes_the_handshake(tmp_path: Path) -> None:
    with self_signed_files(tmp_path, "127.0.0.1") as files:
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_context.load_cert_chain(files.certificate, files.key)
        client_context = ssl.create_default_context(cafile=str(files.certificate))

    async def answer(stream: trio.SSLStream[trio.SocketStream]) -> None:
        await stream.send_all(b"hello")
        await stream.aclose()

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            listeners = await nursery.start(trio.serve_ssl_over_tcp, answer, 0,
                                            server_context)
            port = listeners[0].transport_listener.socket.getsockname()[1]
            stream = await trio.open_ssl_over_tcp_stream("127.0.0.1", port,
                                                         ssl_context=client_context)
            assert await stream.receive_some(5) == b"hello"
            await stream.aclose()
            nursery.cancel_scope.cancel()
