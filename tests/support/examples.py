"""Running example programs as a user does: a subprocess, the DMS's URL in DMSPROTO_URL."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import trio

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Ran:
    """What a finished program printed, and how it ended."""

    returncode: int
    stdout: str
    stderr: str


def env_with_url(url: str | None) -> dict[str, str]:
    """This environment without any DMSPROTO_* setting, and DMSPROTO_URL=url if given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMSPROTO_")}
    if url is not None:
        env["DMSPROTO_URL"] = url
    return env


async def run_process_bounded(argv: list[str], *, url: str | None = None,
                              cwd: Path | None = None, seconds: float = 60) -> Ran:
    """Run ``argv`` to its end within ``seconds``, output captured."""
    with trio.fail_after(seconds):
        done = await trio.run_process(argv, capture_stdout=True, capture_stderr=True,
                                      check=False, env=env_with_url(url), cwd=cwd or ROOT)
    return Ran(done.returncode, done.stdout.decode(), done.stderr.decode())
