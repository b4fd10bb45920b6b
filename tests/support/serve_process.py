"""``dmsproto serve`` as a subprocess for tests: started on a free port, stopped with
Ctrl-C, every read bounded by a timeout."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

WAIT = 30.0


def clean_env(home: Path) -> dict[str, str]:
    """No user config or DMSPROTO_* settings leak into the commands."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMSPROTO_")}
    env.update(NO_COLOR="1", XDG_CONFIG_HOME=str(home))
    return env


def read_lines(process: subprocess.Popen[bytes], count: int, timeout: float) -> list[str]:
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


def run_dmsproto(env: dict[str, str], *args: str, cwd: Path | None = None
                 ) -> subprocess.CompletedProcess[str]:
    """One ``python -m dmsproto ...`` run to its end (bounded by WAIT)."""
    return subprocess.run([sys.executable, "-m", "dmsproto", *args], capture_output=True,
                          text=True, env=env, timeout=WAIT, stdin=subprocess.DEVNULL, cwd=cwd)


@dataclass
class Served:
    """A running ``dmsproto serve``; ``stderr`` is filled in once it stopped."""

    url: str
    http_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    stderr: str = field(default="")


@contextmanager
def serving(tmp_path: Path, *args: str) -> Iterator[Served]:
    """``dmsproto serve --port 0 ARGS``; on exit Ctrl-C, and it must stop cleanly."""
    env = clean_env(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "dmsproto", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        env=env, cwd=tmp_path)
    served = None
    try:
        url, http = read_lines(process, 2, WAIT)
        served = Served(url, http.removeprefix("HTTP POST "), env, process)
        yield served
    finally:
        process.send_signal(signal.SIGINT)
        try:
            _, err = process.communicate(timeout=WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise
        if served is not None:
            served.stderr = err.decode(errors="replace")
    assert process.returncode == 0, err
    assert b"simulator stopped" in err
