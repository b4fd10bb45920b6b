"""``dmsproto serve --fault``: faults armed on the command line, seen by a real client."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dmsproto.cli import exits

WAIT = 30.0


def _env(home: Path) -> dict[str, str]:
    """No user config or DMSPROTO_* settings leak into the commands."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMSPROTO_")}
    env.update(NO_COLOR="1", XDG_CONFIG_HOME=str(home))
    return env


def _read_lines(process: subprocess.Popen[bytes], count: int, timeout: float) -> list[str]:
    """The first ``count`` lines of ``process``'s stdout, or a failure after ``timeout``."""
    assert process.stdout is not None
    data = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while data.count(b"\n") < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                raise AssertionError(f"no {count} lines in {timeout} s: {data!r}")
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                raise AssertionError(f"stdout ended: {data!r}")
            data += chunk
    return data.decode().splitlines()[:count]


@pytest.fixture
def faulty_server(tmp_path: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
    """``dmsproto serve`` with an HTTP 403 and a held ``get`` armed: (ws URL, http URL, env)."""
    env = _env(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "dmsproto", "serve", "--port", "0", "--tick", "0",
         "--fault", "http-status:403", "--fault", "hold:get"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        env=env, cwd=tmp_path)
    try:
        url, http = _read_lines(process, 2, WAIT)
        yield url, http.removeprefix("HTTP POST "), env
    finally:
        process.send_signal(signal.SIGINT)
        try:
            _, err = process.communicate(timeout=WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise
    assert process.returncode == 0, err
    assert b"simulator stopped" in err


def _get(url: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dmsproto", "get", "Test:Int", "--url", url, "--timeout", "1"],
        capture_output=True, text=True, env=env, timeout=WAIT, stdin=subprocess.DEVNULL)


def test_faults_from_the_command_line(faulty_server: tuple[str, str, dict[str, str]]) -> None:
    url, http_url, env = faulty_server
    held = _get(url, env)  # the HTTP status waits for an HTTP POST; the hold takes this
    assert held.returncode == exits.TIMEOUT, held.stderr
    refused = _get(http_url, env)
    assert refused.returncode == exits.AUTH, refused.stderr
    assert "403" in refused.stderr
    answered = _get(http_url, env)  # both faults used up
    assert answered.returncode == exits.OK, answered.stderr


def test_a_bad_fault_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dmsproto", "serve", "--port", "0", "--fault", "delay:soon"],
        capture_output=True, text=True, env=_env(tmp_path), timeout=WAIT,
        stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert result.returncode == exits.USAGE
    assert "--fault delay:soon" in result.stderr and "SECONDS" in result.stderr


def test_serve_help_lists_the_declared_faults(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dmsproto", "serve", "--help"], capture_output=True, text=True,
        env=_env(tmp_path), timeout=WAIT, stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert result.returncode == 0
    assert "http-status:STATUS[:TEXT][:MATCH]" in result.stdout
    assert "hold[:MATCH]" in result.stdout
