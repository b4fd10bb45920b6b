"""Errors the way an integrator meets them: exit codes, the DMS's words, and what to do."""

from __future__ import annotations

import json

from dmsproto.cli import exits
from tests.support.cli import Server, cli_env, run, run_many


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("dmsproto: "), stderr
    return lines[0]


def test_malformed_urls_are_usage_errors() -> None:
    results = run_many(("get", "System:Time", "--url", "127.0.0.1:9020"),
                       ("get", "System:Time", "--url", "ftp://x"),
                       ("get", "System:Time", "--url", "ws://127.0.0.1:99999/json_data"),
                       ("get", "System:Time", "--url", "wss://127.0.0.1/json_data",
                        "--cafile", "/nonexistent/ca.pem"))
    for result in results:
        assert result.returncode == exits.USAGE, result.stderr
    assert "ws://127.0.0.1:9020/json_data" in one_error_line(results[0].stderr)  # an example
    assert "'ftp://x'" in one_error_line(results[1].stderr)
    assert "bad URL" in one_error_line(results[2].stderr)
    assert "TLS files" in one_error_line(results[3].stderr)


def test_a_password_over_plain_ws_is_a_usage_error(server: Server) -> None:
    result = run("get", "System:Time", "--url", server.url, "--user", "someone",
                 env=cli_env(DMSPROTO_PASSWORD="secret"))
    assert result.returncode == exits.USAGE
    line = one_error_line(result.stderr)
    assert "plain ws://" in line and "--insecure-auth" in line and "secret" not in line
    assert "allow_insecure_auth" not in line   # the command line's words


def test_a_wrong_websocket_path_says_so_every_time(server: Server) -> None:
    wrong = server.url.replace("/json_data", "/wrong")
    results = run_many(*[("get", "System:Time", "--url", wrong)] * 5)
    for result in results:
        assert result.returncode == exits.CONNECT
        line = one_error_line(result.stderr)
        assert "1003 Invalid path." in line and "check the path in --url" in line


def test_hints_for_delete_and_set(server: Server) -> None:
    url = ("--url", server.url)
    assert run("set", "Hints:Node:Leaf", "1", "--create", *url).returncode == 0
    delete, missing, typed, created = run_many(
        ("delete", "Hints", *url), ("set", "Hints:Nope", "2", *url),
        ("set", "Hints:Nope", "2", "--type", "int", *url), ("get", "Hints:Node:Leaf", *url))
    assert delete.returncode == exits.FAILURE
    line = one_error_line(delete.stderr)
    assert "Path is not empty" in line and "add --recursive" in line      # the DMS's words too
    for result in (missing, typed):
        assert result.returncode == exits.NOT_FOUND
        assert "add --create" in one_error_line(result.stderr)
    assert created.returncode == 0
    gone = run("delete", "Hints:Nope", *url)
    assert gone.returncode == exits.NOT_FOUND and "--recursive" not in gone.stderr
    assert run("delete", "Hints", "--recursive", *url).returncode == 0


def test_ls_of_a_leaf_shows_the_leaf(server: Server) -> None:
    people, machines = run_many(("ls", "Plant:HC1:TempFlow", "--url", server.url),
                                ("ls", "Plant:HC1:TempFlow", "--json", "--url", server.url))
    assert people.returncode == 0, people.stderr
    (line,) = people.stdout.splitlines()
    assert line.startswith("Plant:HC1:TempFlow  ") and "°C" in line and "(double)" in line
    (point,) = json.loads(machines.stdout)
    assert point["path"] == "Plant:HC1:TempFlow" and point["type"] == "double"
    assert "no datapoints matched" not in people.stderr


def test_demo_refuses_json() -> None:
    result, first = run_many(("demo", "--json"), ("--json", "demo"))
    for run_ in (result, first):
        assert run_.returncode == exits.USAGE
        assert "--json" in one_error_line(run_.stderr)
    assert result.stdout == ""
