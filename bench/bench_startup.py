"""Start-up: a one-shot ``dmsproto get`` and importing the client, each beside the least a
program doing the same needs.

* One-shot CLI: ``dmsproto get System:Time`` against ``dmsproto serve --tick 0`` in
  another process, wall time of the whole process.  Baseline: a six-line script that
  does the same get with trio-websocket and json and prints the value (``RAW_GET``).
* Import: ``python -X importtime -c "from dmsproto import Client"``, the sum of the
  top-level imports the statement makes (the interpreter's own start-up modules left
  out).  ``import dmsproto`` alone loads nothing (each public name loads its module
  on first use), so the client's import is what a program pays.
  Baseline: the same for ``import trio, trio_websocket, msgspec``, the libraries the
  client cannot do without.

Both run as fresh processes with bytecode caches written (as an installed package
has them; ``PYTHONDONTWRITEBYTECODE`` is dropped and one warm-up run writes them),
no config file and no ``DMSPROTO_*`` variables.  The variants alternate, in turns
whose order flips each round, and the medians count; the range is shown beside.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .common import Row, Spread, reap

RAW_GET = """\
import json, sys, trio, trio_websocket
async def main():
    async with trio_websocket.open_websocket_url(sys.argv[1]) as ws:
        await ws.send_message(json.dumps({"get": ["System:Time"]}))
        print(json.loads(await ws.get_message())["get"][0]["value"])
trio.run(main)
"""
BASE_IMPORT = "import trio, trio_websocket, msgspec"
OUR_IMPORT = "from dmsproto import Client"


def child_env(config_home: str) -> dict[str, str]:
    """The environment of the measured processes: bytecode caches on, no user settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DMSPROTO_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["XDG_CONFIG_HOME"] = config_home
    env["NO_COLOR"] = "1"
    return env


def cli_command() -> list[str]:
    """The installed ``dmsproto`` script beside this interpreter (``-m`` without one)."""
    script = Path(sys.executable).with_name("dmsproto")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "dmsproto"]


@contextmanager
def serve(env: dict[str, str], timeout: float = 30.0) -> Iterator[str]:
    """``dmsproto serve --tick 0`` on a free port; yields its ws:// URL; Ctrl-C at the end."""
    proc = subprocess.Popen([*cli_command(), "serve", "--tick", "0", "--port", "0"],
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + timeout
        line = ""
        while not line.startswith("ws://") and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
        if not line.startswith("ws://"):
            raise RuntimeError(f"dmsproto serve did not start (exit code {proc.poll()})")
        yield line.strip()
    finally:
        proc.send_signal(signal.SIGINT)
        reap(proc)


def wall(command: list[str], env: dict[str, str], expect: str = "") -> float:
    """Seconds the process takes, start to exit (it must succeed and print ``expect``)."""
    t0 = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    took = time.perf_counter() - t0
    if done.returncode != 0 or expect not in done.stdout:
        raise RuntimeError(f"{command[-3:]} failed ({done.returncode}): {done.stderr[-300:]}")
    return took


def startup_modules(env: dict[str, str]) -> frozenset[str]:
    """The top-level imports of the interpreter's own start-up (``-c pass``)."""
    return frozenset(name for depth, name, _ in _importtime("pass", env) if depth == 0)


def _importtime(statement: str, env: dict[str, str]) -> list[tuple[int, str, int]]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        _, cumulative, name = line[len("import time:"):].split("|")
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        rows.append((depth, name.strip(), int(cumulative)))
    return rows


def import_seconds(statement: str, env: dict[str, str], startup: frozenset[str]) -> float:
    """What ``python -X importtime`` counts for the statement's own imports, in seconds."""
    rows = _importtime(statement, env)
    return sum(c for depth, name, c in rows if depth == 0 and name not in startup) / 1e6


def interleaved(runs: dict[str, object], rounds: int) -> dict[str, list[float]]:
    """Each variant once per round, the order flipped every other round."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for index in range(rounds):
        for name in names if index % 2 == 0 else reversed(names):
            measure = runs[name]
            assert callable(measure)
            times[name].append(measure())
    return times


def run(quick: bool) -> list[Row]:
    rounds = 7 if quick else 9
    with tempfile.TemporaryDirectory() as folder:
        env = child_env(folder)
        raw_script = Path(folder) / "raw_get.py"
        raw_script.write_text(RAW_GET, encoding="utf-8")
        startup = startup_modules(env)
        with serve(env) as url:
            raw = [sys.executable, str(raw_script), url]
            ours = [*cli_command(), "--url", url, "get", "System:Time"]
            for _ in range(2):  # warm-up: bytecode caches, the server's first answers
                wall(raw, env, ":")
                wall(ours, env, "System:Time")
            cli = interleaved({"raw": lambda: wall(raw, env, ":"),
                               "ours": lambda: wall(ours, env, "System:Time")}, rounds)
        imports = interleaved({
            "raw": lambda: import_seconds(BASE_IMPORT, env, startup),
            "ours": lambda: import_seconds(OUR_IMPORT, env, startup),
        }, rounds)
    one_shot = f"one-shot `dmsproto get System:Time`: wall, median of {rounds}"
    return [
        Row("startup", one_shot, _ms(statistics.median(cli["ours"])), "ms",
            "raw trio-websocket + json script", _ms(statistics.median(cli["raw"])),
            "<= 1.3x", spread=Spread.of(cli["ours"], 1e3),
            baseline_spread=Spread.of(cli["raw"], 1e3)),
        Row("startup", f"`{OUR_IMPORT}` (-X importtime), median of {rounds}",
            _ms(statistics.median(imports["ours"])), "ms", f"`{BASE_IMPORT}`",
            _ms(statistics.median(imports["raw"])), "<= 1.3x",
            spread=Spread.of(imports["ours"], 1e3),
            baseline_spread=Spread.of(imports["raw"], 1e3)),
    ]


def _ms(seconds: float) -> float:
    return seconds * 1e3
