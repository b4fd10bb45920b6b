"""``dmsproto proxy`` run as a command in tests: its environment, its output lines, its stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import trio

from tests.support.cli import WORKDIR
from tests.support.proxy import STEP


def env(**extra: str) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("DMSPROTO_")}
    prepend = extra.pop("PREPEND", "")
    if prepend:  # a stand-in module only: the command is the installed dmsproto
        values["PYTHONPATH"] = prepend
    else:
        values.pop("PYTHONPATH", None)
    values["NO_COLOR"] = "1"
    values.update(extra)
    return values


class Lines:
    """Lines of a pipe, each read under a deadline."""

    def __init__(self, stream: trio.abc.ReceiveStream) -> None:
        self.stream = stream
        self.buffer = b""
        self.seen: list[str] = []

    async def line(self) -> str:
        with trio.fail_after(STEP):
            while b"\n" not in self.buffer:
                data = await self.stream.receive_some(65536)
                if not data:
                    raise EOFError(f"pipe closed; read so far: {self.seen}")
                self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        text = line.decode()
        self.seen.append(text)
        return text

    async def until(self, test: Callable[[str], bool]) -> str:
        while True:
            line = await self.line()
            if test(line):
                return line

    async def rest(self) -> str:
        with trio.fail_after(STEP):
            while data := await self.stream.receive_some(65536):
                self.buffer += data
        return self.buffer.decode()


@asynccontextmanager
async def proxy_command(*args: str, **extra: str
                        ) -> AsyncIterator[tuple[trio.Process, Lines, Lines]]:
    process = await trio.lowlevel.open_process(
        [sys.executable, "-m", "dmsproto", "proxy", *args], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env(**extra), cwd=WORKDIR)
    assert process.stdout is not None and process.stderr is not None
    try:
        yield process, Lines(process.stdout), Lines(process.stderr)
    finally:
        if process.returncode is None:
            process.kill()
        with trio.fail_after(STEP):
            await process.wait()


async def stop(process: trio.Process) -> int:
    process.send_signal(signal.SIGINT)
    with trio.fail_after(STEP):
        return await process.wait()
