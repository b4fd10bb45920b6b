"""``dmsproto users add``: a users file that ``dmsproto serve`` accepts, no openssl needed."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import trustme

from dmsproto.cli import exits
from tests.support.cli import Lines, cli_env, run, run_many, shut_down, start_server


def test_added_users_log_in_to_serve(tmp_path: Path) -> None:
    users = tmp_path / "users.cfg"
    users.write_text("# the site's users\nmeter-reader:*\n", encoding="utf-8")
    added = run("users", "add", str(users), "integrator", env=cli_env(DMSPROTO_PASSWORD="pw-1"))
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == f"added integrator to {users}"
    fresh = tmp_path / "new.cfg"
    assert run("users", "add", str(fresh), "second", "--rounds", "1000",
               env=cli_env(DMSPROTO_PASSWORD="pw-2")).returncode == 0
    assert fresh.stat().st_mode & 0o077 == 0                      # the owner's only
    lines = users.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ["# the site's users", "meter-reader:*"]   # the rest untouched
    name, _, hashed = lines[2].partition(":")
    assert name == "integrator" and hashed.startswith("$6$rounds=5000$")
    salt, digest = hashed.split("$")[3:5]
    openssl = subprocess.run(["openssl", "passwd", "-6", "-salt", salt, "pw-1"],
                             capture_output=True, text=True, timeout=10, check=True)
    assert openssl.stdout.strip() == f"$6${salt}${digest}"        # the same crypt(3) hash

    ca = trustme.CA()
    server_pem = tmp_path / "server.pem"
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(server_pem))
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    server = start_server("--tls-cert", str(server_pem), "--users", str(users), "--tick", "0")
    try:
        base = ("get", "System:Version", "--url", server.url, "--cafile", str(cafile),
                "--user", "integrator")
        right = run(*base, env=cli_env(DMSPROTO_PASSWORD="pw-1"))
        assert right.returncode == 0, right.stderr
        assert run(*base, env=cli_env(DMSPROTO_PASSWORD="pw-2")).returncode == exits.AUTH
    finally:
        shut_down(server)
    changed = run("users", "add", str(users), "integrator", env=cli_env(DMSPROTO_PASSWORD="new"))
    assert changed.stdout.strip() == f"changed the password of integrator in {users}"
    again = users.read_text(encoding="utf-8").splitlines()
    assert len(again) == 3 and again[2].startswith("integrator:$6$") and again[2] != lines[2]


def test_users_add_refuses_bad_input(tmp_path: Path) -> None:
    target = str(tmp_path / "u.cfg")
    colon, no_password, few_rounds = run_many(
        ("users", "add", target, "a:b"), ("users", "add", target, "alice"),
        ("users", "add", target, "alice", "--rounds", "10"),
        env=cli_env(DMSPROTO_PASSWORD="x"))
    assert colon.returncode == exits.USAGE and few_rounds.returncode == exits.USAGE
    assert no_password.returncode == 0
    prompt = run("users", "add", target, "bob")                    # no terminal, no variable
    assert prompt.returncode == exits.USAGE and "DMSPROTO_PASSWORD" in prompt.stderr


def test_serve_with_a_self_signed_certificate(tmp_path: Path) -> None:
    users = tmp_path / "users.cfg"
    assert run("users", "add", str(users), "tech", env=cli_env(DMSPROTO_PASSWORD="pw")
               ).returncode == 0
    kept = tmp_path / "tls"
    server = start_server("--tls-self-signed", str(kept), "--users", str(users), "--tick", "0")
    try:
        assert server.url.startswith("wss://")
        cafile = kept / "cert.pem"
        assert (kept / "key.pem").stat().st_mode & 0o077 == 0
        got = run("get", "System:Version", "--url", server.url, "--cafile", str(cafile),
                  "--user", "tech", env=cli_env(DMSPROTO_PASSWORD="pw"))
        assert got.returncode == 0, got.stderr
        untrusted = run("get", "System:Version", "--url", server.url, "--user", "tech",
                        env=cli_env(DMSPROTO_PASSWORD="pw"))
        assert untrusted.returncode == exits.TLS
    finally:
        shut_down(server)
    assert cafile.exists()                                          # a given folder stays

    server = start_server("--tls-self-signed", "--users", str(users), "--tick", "0")
    try:
        assert server.process.stderr is not None
        announced = Lines(server.process.stderr).next()
        assert announced.startswith("self-signed certificate for localhost, 127.0.0.1, ::1")
        temporary = Path(announced.split("--cafile ")[1].split(" ")[0])
        got = run("get", "System:Version", "--url", server.url, "--cafile", str(temporary),
                  "--user", "tech", env=cli_env(DMSPROTO_PASSWORD="pw"))
        assert got.returncode == 0, got.stderr
    finally:
        server.process.send_signal(signal.SIGINT)
        server.process.wait(timeout=10)
    assert server.process.returncode == 0 and not temporary.exists()  # removed at the end
    both = run("serve", "--tls-self-signed", "--tls-cert", str(cafile), "--users", str(users))
    assert both.returncode == exits.USAGE
