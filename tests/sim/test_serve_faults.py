"""``dmsproto serve --fault``: faults armed on the command line, seen by a real client."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dmsproto.cli import exits
from tests.support.serve_process import Served, clean_env, run_dmsproto, serving


@pytest.fixture
def faulty_server(tmp_path: Path) -> Iterator[Served]:
    """``dmsproto serve`` with an HTTP 403 and a held ``get`` armed."""
    with serving(tmp_path, "--tick", "0", "--fault", "http-status:403",
                 "--fault", "hold:get") as served:
        yield served


def _get(url: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_dmsproto(env, "get", "Test:Int", "--url", url, "--timeout", "1")


def test_faults_from_the_command_line(faulty_server: Served) -> None:
    url, http_url, env = faulty_server.url, faulty_server.http_url, faulty_server.env
    held = _get(url, env)  # the HTTP status waits for an HTTP POST; the hold takes this
    assert held.returncode == exits.TIMEOUT, held.stderr
    refused = _get(http_url, env)
    assert refused.returncode == exits.AUTH, refused.stderr
    assert "403" in refused.stderr
    answered = _get(http_url, env)  # both faults used up
    assert answered.returncode == exits.OK, answered.stderr


def test_a_bad_fault_is_a_usage_error(tmp_path: Path) -> None:
    result = run_dmsproto(clean_env(tmp_path), "serve", "--port", "0", "--fault", "delay:soon",
                          cwd=tmp_path)
    assert result.returncode == exits.USAGE
    assert "--fault delay:soon" in result.stderr and "SECONDS" in result.stderr


def test_serve_help_lists_the_declared_faults(tmp_path: Path) -> None:
    result = run_dmsproto(clean_env(tmp_path), "serve", "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "http-status:STATUS[:TEXT][:MATCH]" in result.stdout
    assert "hold[:MATCH]" in result.stdout
