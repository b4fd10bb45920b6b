"""Round trips through ``dmsproto proxy`` against direct ones, same run, same simulator.

The simulator runs in its own process (``_sim_proc.py``, fast reads), and the
proxy in another, as users run it (``python -m dmsproto proxy``, validating every
message, nothing recorded).  The client is the raw trio-websocket loop of
``bench_roundtrip`` (the floor of a client), so every difference is the proxy's:

* sequential single ``get``: the round trip of each request is timed; the p50
  through the proxy minus the p50 direct is the latency the proxy adds
  (goal: at most 0.5 ms on loopback);
* 100 concurrent tasks doing gets on one connection: the rate through the proxy
  against the rate direct (goal: at least 80 %);
* the proxy process's CPU time per request and response (from ``/proc``): what
  one proxy can carry;
* the same through a bare trio byte forwarder (``_forwarder.py``: no HTTP, no
  frame cutting, no checking), scheduled as the proxy is: the floor of any relay
  on trio, so the rows show what the third process costs by itself and what the
  proxy's own work adds;
* the same through a second proxy started with ``--scheduling normal``: what the
  proxy's default batch scheduling is worth where it shares the cores with the
  client and the DMS (as here: three processes, two cores at most).

Direct, forwarded and proxied rounds rotate (each goes first in turn); the best
round of each counts.
"""

from __future__ import annotations

import itertools
import os
import selectors
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, AsyncExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import trio
from trio_websocket import WebSocketConnection, open_websocket_url

from ._sim_proc import ROOT, VALUE_PATH, sim_process
from .bench_roundtrip import TASKS, WS_OPTIONS, _check, _dumps, _loads, raw_concurrent
from .common import Row, reap


@contextmanager
def relay_process(args: list[str], timeout: float = 30.0) -> Iterator[tuple[str, int]]:
    """Start a relay (``python ARGS``) that prints its ws:// URL; yield the URL and PID."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                raise RuntimeError(f"{args[1]} did not start within {timeout:.0f} s")
        url = proc.stdout.readline().decode().strip()
        if not url.startswith("ws://"):
            raise RuntimeError(f"{args[1]} did not start (exit code {proc.poll()})")
        yield url, proc.pid
    finally:
        proc.terminate()  # SIGTERM: the proxy stops cleanly and prints its summary
        reap(proc)


def proxy_process(upstream: str, *options: str) -> AbstractContextManager[tuple[str, int]]:
    """Start ``dmsproto proxy [OPTIONS]`` in front of ``upstream``; yield its URL and PID."""
    return relay_process(["-m", "dmsproto", "proxy", "--listen", "127.0.0.1:0",
                          "--upstream", upstream, *options])


def forwarder_process(upstream: str) -> AbstractContextManager[tuple[str, int]]:
    """Start the bare byte forwarder in front of ``upstream``; yield its URL and PID."""
    where = urlsplit(upstream)
    return relay_process(["-m", "bench._forwarder", str(where.hostname), str(where.port)])


def cpu_seconds(pid: int) -> float | None:
    """CPU time of process ``pid`` so far, all its threads (None where /proc is missing).

    Read from the scheduler's own account (``schedstat``, nanoseconds): the tick
    count of ``/proc/PID/stat`` is too coarse for a relay that spends a few µs per
    request.
    """
    try:
        return sum(int(stat.read_text().split()[0])
                   for stat in Path(f"/proc/{pid}/task").glob("*/schedstat")) / 1e9
    except (OSError, ValueError, IndexError):
        return None


class Best:
    """Lowest p50 (s), highest rate (req/s), lowest proxy CPU per request (µs) in the
    sequential and the concurrent phase."""

    def __init__(self) -> None:
        self.p50 = float("inf")
        self.rps = 0.0
        self.seq_cpu_us = float("inf")
        self.conc_cpu_us = float("inf")


async def timed_sequential(ws: WebSocketConnection, count: int, tags: Iterator[int]) -> float:
    """``count`` sequential gets; the median round trip in seconds."""
    times = []
    clock = time.perf_counter
    for _ in range(count):
        tag = next(tags)
        t0 = clock()
        await ws.send_message(_dumps({"tag": tag, "get": [VALUE_PATH]}, separators=(",", ":")))
        reply = _loads(await ws.get_message())
        times.append(clock() - t0)
        _check(reply, tag)
    return statistics.median(times)


async def measure(routes: dict[str, tuple[str, int | None]], count: int, per_task: int,
                  rounds: int) -> dict[str, Best]:
    """The best figures of each route: name -> (ws URL, PID of its relay or None)."""
    best = {name: Best() for name in routes}
    tags = itertools.count(1)
    async with AsyncExitStack() as stack:
        order = [(name, pid, await stack.enter_async_context(
                     open_websocket_url(url, **WS_OPTIONS)))
                 for name, (url, pid) in routes.items()]
        for _, _, ws in order:
            await timed_sequential(ws, 100, tags)  # warm-up
        for _ in range(rounds):
            order.append(order.pop(0))  # each route goes first in turn
            for name, pid, ws in order:
                fig = best[name]
                cpu0 = cpu_seconds(pid) if pid is not None else None
                fig.p50 = min(fig.p50, await timed_sequential(ws, count, tags))
                cpu1 = cpu_seconds(pid) if pid is not None else None
                t0 = time.perf_counter()
                await raw_concurrent(ws, per_task, tags)
                wall = time.perf_counter() - t0
                cpu2 = cpu_seconds(pid) if pid is not None else None
                fig.rps = max(fig.rps, TASKS * per_task / wall)
                if cpu0 is not None and cpu1 is not None and cpu2 is not None:
                    fig.seq_cpu_us = min(fig.seq_cpu_us, (cpu1 - cpu0) / count * 1e6)
                    fig.conc_cpu_us = min(fig.conc_cpu_us,
                                          (cpu2 - cpu1) / (TASKS * per_task) * 1e6)
    return best


def run(quick: bool) -> list[Row]:
    count, per_task, rounds = (200, 2, 2) if quick else (2000, 50, 10)
    with sim_process(fast_reads=True) as url, proxy_process(url) as proxied, \
            proxy_process(url, "--scheduling", "normal") as proxied_normal, \
            forwarder_process(url) as forwarded:
        best = trio.run(measure, {"direct": (url, None), "forwarder": forwarded,
                                  "proxy": proxied, "normal": proxied_normal},
                        count, per_task, rounds)
    direct, bare, proxy, normal = (best[name] for name in
                                   ("direct", "forwarder", "proxy", "normal"))
    seq = f"sequential get ({count} x {rounds})"
    conc = f"{TASKS} tasks x {per_task} gets"
    rows = [
        Row("proxy", f"{seq}: p50 round trip through the proxy", proxy.p50 * 1e3, "ms",
            "direct", direct.p50 * 1e3),
        Row("proxy", f"{seq}: p50 latency the proxy adds", (proxy.p50 - direct.p50) * 1e3,
            "ms", "", 0, "<= 0.5 ms"),
        Row("proxy", f"{seq}: p50 latency the proxy adds, --scheduling normal",
            (normal.p50 - direct.p50) * 1e3, "ms", "", 0),
        Row("proxy", f"{conc}: rate through the proxy", proxy.rps, "req/s", "direct",
            direct.rps, ">= 0.8x"),
        Row("proxy", f"{conc}: rate through the proxy, --scheduling normal", normal.rps,
            "req/s", "direct", direct.rps),
        Row("proxy", f"{conc}: rate through a bare trio byte forwarder", bare.rps, "req/s",
            "direct", direct.rps),
        Row("proxy", f"{conc}: rate through the proxy", proxy.rps, "req/s",
            "bare forwarder", bare.rps),
    ]
    if proxy.seq_cpu_us != float("inf"):
        rows += [
            Row("proxy", f"{seq}: proxy process CPU per request and response",
                proxy.seq_cpu_us, "µs", "", 0),
            Row("proxy", f"{conc}: proxy process CPU per request and response",
                proxy.conc_cpu_us, "µs", "bare forwarder", bare.conc_cpu_us),
            Row("proxy", f"{conc}: proxy process CPU per request and response",
                proxy.conc_cpu_us, "µs", "--scheduling normal", normal.conc_cpu_us),
        ]
    return rows


__all__ = ["forwarder_process", "proxy_process", "relay_process", "run"]
