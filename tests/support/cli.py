"""Helpers of the CLI tests: run ``python -m dmsproto`` as a subprocess, start and stop
``dmsproto serve``.

The commands run the installed ``dmsproto``: no ``PYTHONPATH`` entry points at the
source tree, and they run in a directory of their own, so ``python -m`` cannot pick
the tree's package up from the working directory either. Every read from a command's
pipes has a deadline.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import queue
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[2]
USER = "integrator"
PASSWORD = "s3cret-Pa55"
#: where the commands run: an empty folder of their own, outside the source tree (in the
#: shared temporary folder, whatever another program leaves there would be imported
#: before the package's own modules by ``python -m``)
WORKDIR = Path(tempfile.mkdtemp(prefix="dmsproto-cli-"))
atexit.register(shutil.rmtree, WORKDIR, ignore_errors=True)
#: longest wait for one line of a command's output
LINE_TIMEOUT = 30.0


def get_args(*flags: str) -> argparse.Namespace:
    """The parsed command line of ``dmsproto FLAGS... get X`` (in this process)."""
    from dmsproto.cli import build_parser

    return build_parser().parse_args([*flags, "get", "X"])


def cli_env(**extra: str) -> dict[str, str]:
    """A clean environment: no user config or DMSPROTO_* settings leak into a test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMSPROTO_")}
    env["NO_COLOR"] = "1"
    env["XDG_CONFIG_HOME"] = str(REPO / "tests" / "cli" / "no-config-here")
    env.update(extra)
    return env


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 30,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m dmsproto ARGS`` to completion."""
    return subprocess.run([sys.executable, "-m", "dmsproto", *args], capture_output=True,
                          text=True, env=env or cli_env(), timeout=timeout, input=stdin or "",
                          cwd=WORKDIR)


def run_many(*commands: tuple[str, ...], env: dict[str, str] | None = None,
             timeout: float = 30) -> list[subprocess.CompletedProcess[str]]:
    """Several independent ``python -m dmsproto`` runs at once (the start-up dominates)."""
    processes = [spawn(*command, env=env) for command in commands]
    results = []
    for command, process in zip(commands, processes, strict=True):
        out, err = process.communicate(timeout=timeout)
        results.append(subprocess.CompletedProcess(list(command), process.returncode, out, err))
    return results


def spawn(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "dmsproto", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            env=env or cli_env(), cwd=WORKDIR)


def stop(process: subprocess.Popen[str], timeout: float = 10) -> tuple[str, str]:
    """SIGINT (Ctrl-C) and collect the output; the process must end by itself."""
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=timeout)
    return out, err


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    http_url: str


def start_server(*args: str) -> Server:
    process = spawn("serve", "--port", "0", *args)
    try:
        url = read_line(process).strip()
        http = read_line(process).strip() if url else ""
    except AssertionError:
        process.kill()
        process.communicate(timeout=LINE_TIMEOUT)
        raise
    if not url.startswith(("ws://", "wss://")):
        process.kill()
        _, err = process.communicate(timeout=LINE_TIMEOUT)
        raise RuntimeError(f"serve did not start: {url!r} {err}")
    return Server(process, url, http.removeprefix("HTTP POST "))


def read_line(process: subprocess.Popen[str], timeout: float = LINE_TIMEOUT,
              stream: str = "stdout") -> str:
    """One line of ``process``'s stdout (or stderr), or a failure after ``timeout`` seconds.

    Reads the pipe byte by byte below its text wrapper, so nothing past the line is
    taken from a later ``communicate()``.
    """
    pipe = getattr(process, stream)
    assert pipe is not None
    fd = pipe.fileno()
    data = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while not data.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                raise AssertionError(f"no line on {stream} within {timeout} s: {data!r}")
            byte = os.read(fd, 1)
            if not byte:
                break
            data += byte
    if not data:
        _ended(process, stream)
    return data.decode()


def _ended(process: subprocess.Popen[str], stream: str) -> None:
    """The pipe closed before a line: fail with how the command ended, to say why."""
    try:
        code = process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        code = None
    other = process.stderr if stream == "stdout" else process.stdout
    said = ""
    if code is not None and other is not None:
        with contextlib.suppress(OSError, ValueError):
            said = other.read()
    raise AssertionError(f"{stream} closed without a line (exit {code}): {said[-2000:]!r}")


def shut_down(server: Server) -> None:
    _, err = stop(server.process)
    assert server.process.returncode == 0, err
    assert "simulator stopped" in err


@dataclass
class TlsServer(Server):
    cafile: Path


class Lines:
    """The lines of a pipe, read by a thread so that every wait has a timeout."""

    def __init__(self, pipe: IO[str]) -> None:
        self._queue: queue.Queue[str] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe: IO[str]) -> None:
        with contextlib.suppress(ValueError, OSError):  # the test closed the pipe: done
            for line in pipe:
                self._queue.put(line.rstrip("\n"))

    def next(self, timeout: float = 15) -> str:
        return self._queue.get(timeout=timeout)

    def none_within(self, seconds: float) -> list[str]:
        """Whatever arrives within ``seconds`` (waiting the whole time)."""
        seen = []
        try:
            while True:
                seen.append(self._queue.get(timeout=seconds))
        except queue.Empty:
            return seen
