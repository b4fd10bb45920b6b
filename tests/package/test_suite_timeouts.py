"""No test can hang the suite: the configured per-test timeout ends a stuck test, trio or not.

A pytest run in a subprocess, with this repository's configuration and a two-second
limit, meets a synchronous read of a pipe that never gets data and a trio test that
waits forever: both must fail by timeout, the run must go on to the next test and end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "pyproject.toml"

HANGING = '''
import os

import trio


def test_reads_a_pipe_that_never_gets_data():
    read_end, _ = os.pipe()
    os.read(read_end, 1)


async def test_waits_forever_in_trio():
    await trio.sleep_forever()


def test_runs_after_them():
    assert True
'''


def test_a_hanging_test_fails_by_timeout_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "test_hanging.py").write_text(HANGING, encoding="utf-8")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(CONFIG), "--rootdir", str(tmp_path),
         "--timeout=2", "-q", "-rA", "test_hanging.py"],
        capture_output=True, text=True, timeout=90, cwd=tmp_path, stdin=subprocess.DEVNULL)
    elapsed = time.monotonic() - started
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "FAILED test_hanging.py::test_reads_a_pipe_that_never_gets_data - Failed: Tim" \
        in out
    assert "FAILED test_hanging.py::test_waits_forever_in_trio - Failed: Tim" in out
    assert "PASSED test_hanging.py::test_runs_after_them" in out
    failed = [line for line in out.splitlines() if line.startswith("FAILED ")]
    assert len(failed) == 2  # the two above, each failed by the timeout; nothing else
    assert "2 failed, 1 passed" in out
    assert "slowest 10 durations" in out  # the configuration prints the slowest tests
    assert elapsed < 60


STUCK_THEN_FINE = '''
import trio


async def test_waits_forever_in_trio():
    await trio.sleep_forever()


async def test_the_next_trio_test_runs_as_usual():
    await trio.sleep(0)
'''


def test_a_stuck_trio_test_is_cancelled_by_its_deadline_inside_the_run(tmp_path: Path) -> None:
    """With the suite's plugin, a stuck trio test fails with ``TooSlowError`` before the
    per-test timeout, and the trio test after it is unaffected."""
    (tmp_path / "test_stuck.py").write_text(STUCK_THEN_FINE, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(CONFIG.parent)}  # the tests package only
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(CONFIG), "--rootdir", str(tmp_path),
         "-p", "tests.support.trio_deadline", "--timeout=5", "-q", "-rA", "test_stuck.py"],
        capture_output=True, text=True, timeout=90, cwd=tmp_path, env=env,
        stdin=subprocess.DEVNULL)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "TooSlowError" in out and "from pytest-timeout" not in out
    assert "PASSED test_stuck.py::test_the_next_trio_test_runs_as_usual" in out
    assert "1 failed, 1 passed" in out
