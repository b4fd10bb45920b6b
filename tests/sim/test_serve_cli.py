"""``dmsproto serve`` options: --debug, --record, TLS defaults, IP lists."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import trustme

from dmsproto.cli import exits
from tests.support.serve_process import WAIT, clean_env, run_dmsproto, serving


def post(http_url: str, body: bytes) -> tuple[int, bytes]:
    parts = urlsplit(http_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=WAIT)
    try:
        connection.request("POST", parts.path, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_debug_logs_connections_and_cut_frames_on_stderr(tmp_path: Path) -> None:
    with serving(tmp_path, "--tick", "0", "--debug") as served:
        status, _ = post(served.http_url, b'{"get":["System:Version"],"tag":"' + b"z" * 600
                         + b'"}')
        assert status == 200
    log = served.stderr
    assert "connection from 127.0.0.1 (plain)" in log
    assert "POST /json_data" in log
    received = [line for line in log.splitlines() if " recv (text, " in line]
    sent = [line for line in log.splitlines() if " send 200 (text, " in line]
    assert received and sent
    assert all(line.endswith("...") and len(line) < 500 for line in received + sent)


def test_record_writes_a_capture_that_validates(tmp_path: Path) -> None:
    capture = tmp_path / "serve.jsonl"
    with serving(tmp_path, "--tick", "0", "--record", str(capture)) as served:
        assert post(served.http_url, b'{"get":["System:Version"]}')[0] == 200
        assert post(served.http_url, b'{"get":["Nope"]}')[0] == 200
    records = [json.loads(line) for line in capture.read_text().splitlines()]
    messages = [r for r in records if "dir" in r]
    assert [r["dir"] for r in messages] == ["send", "recv", "send", "recv"]
    checked = run_dmsproto(clean_env(tmp_path), "validate", str(capture))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_tls_requires_a_users_file_unless_told_otherwise(tmp_path: Path) -> None:
    ca = trustme.CA()
    pem = tmp_path / "server.pem"
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(pem))
    refused = run_dmsproto(clean_env(tmp_path), "serve", "--port", "0", "--tls-cert", str(pem),
                           cwd=tmp_path)
    assert refused.returncode == exits.USAGE
    assert "--users" in refused.stderr and "--no-auth-required" in refused.stderr
    with serving(tmp_path, "--tick", "0", "--tls-cert", str(pem), "--no-auth-required",
                 "--no-secure-tls") as served:
        assert served.url.startswith("wss://")


@pytest.mark.parametrize("lists", ["file", "shipped"])
def test_ip_lists_from_a_file_or_the_shipped_preset(tmp_path: Path, lists: str) -> None:
    if lists == "file":
        ips = tmp_path / "DMS_JSON_IPS.cfg"
        ips.write_text("[nonSSL_Allowed]\n10.0.0.0/8\n[SSL_Allowed]\n0.0.0.0/0\n")
        option = ["--ip-lists", str(ips)]
    else:
        option = ["--shipped-ip-lists"]
    with serving(tmp_path, "--tick", "0", "--host", "127.0.0.1", *option) as served:
        if lists == "file":  # 127.0.0.1 is not in the file's plain allow list
            with pytest.raises((ConnectionError, http.client.HTTPException)):
                post(served.http_url, b'{"get":["System:Version"]}')
        else:  # the shipped file allows 127.0.0.1
            assert post(served.http_url, b'{"get":["System:Version"]}')[0] == 200


def test_a_bad_ip_lists_file_is_a_usage_error(tmp_path: Path) -> None:
    ips = tmp_path / "ips.cfg"
    ips.write_text("[Everybody]\n0.0.0.0/0\n")
    result = run_dmsproto(clean_env(tmp_path), "serve", "--port", "0", "--ip-lists", str(ips),
                          cwd=tmp_path)
    assert result.returncode == exits.USAGE and "unknown section" in result.stderr
