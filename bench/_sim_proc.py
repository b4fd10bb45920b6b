"""The simulator in its own process, for benchmarks that must not share a CPU with it.

Child side (``python -m bench._sim_proc``): serves a small bench plant on a free
loopback port, prints ``URL <ws url>`` on stdout, and runs until its stdin
closes.  Parent side: ``with sim_process() as url: ...`` starts the child, reads
the URL and stops the child by its PID in ``finally``.

Event bursts: a ``set`` of ``BENCH:Run`` to N (N a multiple of 100) makes the
simulator send N ``onChange`` events to the connection that asked, in frames of
100, round-robin over ``BENCH:P0`` ... ``BENCH:P9`` (only to datapoints this
connection subscribed).  Event ``i`` carries the string value ``"<i> <t>"``
where ``t`` is ``time.monotonic_ns()`` when its frame was made (CLOCK_MONOTONIC
is shared by all processes on Linux, so the receiver can compute latency).
``BENCH:Rate`` (events/s, 0 = as fast as possible) paces the burst.

Fast reads (``--fast-reads``, for round trips): a one-item ``get`` of
``BENCH:Value`` (short form, or an object with only ``path`` and ``tag``) is
answered from the engine's first answer to it, with the request's tags put in.
The engine's validation and lookup take about 200 µs a request, which makes the
simulator, not the client, the limit of a round-trip benchmark; the frames
still go through the simulator's WebSocket reader, processor and writer.

How the burst is made: the engine renders one real event per datapoint
(``Engine.write``, the same path a client's ``set`` takes, with the
subscription's tag), ``Simulator.encode_frame`` encodes it with markers for
value and stamp, and the burst's items are that text with value and stamp put
in.  The engine's full write path runs at about 15,000 events/s on this kind of
machine, and encoding each frame anew at about 250,000, too slow to load a
client at 300,000 events/s; the frames are still sent by the simulator's own
writer (wsproto, fragments of 8 KiB), through the connection's bounded outbound
queue, which gives back-pressure.  That queue is reached through the
simulator's private connection table (``_sessions``, ``_emit``): bench-only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from .common import reap

RUN_PATH = "BENCH:Run"
RATE_PATH = "BENCH:Rate"
VALUE_PATH = "BENCH:Value"
POINTS = tuple(f"BENCH:P{i}" for i in range(10))
FRAME_EVENTS = 100
_VALUE_MARK = "@@value@@"
_STAMP_MARK = "@@stamp@@"
_READ_KEYS = frozenset({"tag", "whois", "user", "get"})
_ITEM_KEYS = frozenset({"path", "tag"})
ROOT = Path(__file__).resolve().parent.parent


def bench_plant() -> dict[str, Any]:
    """Ten string datapoints for events, one double for gets, and the burst controls."""
    points: dict[str, Any] = {p: {"type": "string", "value": ""} for p in POINTS}
    points[RUN_PATH] = {"type": "int", "value": 0}
    points[RATE_PATH] = {"type": "int", "value": 0}
    points[VALUE_PATH] = {"type": "double", "value": 21.5, "unit": "°C"}
    return {"format": "dmsproto-plant/1", "zone": "Europe/Zurich", "anchor": None,
            "points": points}


# ----------------------------------------------------------------------------- parent


@contextmanager
def sim_process(*, fast_reads: bool = False, timeout: float = 30.0) -> Iterator[str]:
    """Start the simulator process; yield its ws:// URL; stop it (by PID) on exit."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench._sim_proc", *(["--fast-reads"] if fast_reads else [])],
        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + timeout
        line = proc.stdout.readline()
        while line and not line.startswith("URL ") and time.monotonic() < deadline:
            line = proc.stdout.readline()
        if not line.startswith("URL "):
            raise RuntimeError(f"simulator process did not start (exit code {proc.poll()})")
        yield line.split()[1]
    finally:
        if proc.stdin is not None:
            proc.stdin.close()  # the child's signal to stop
        reap(proc)


# ------------------------------------------------------------------------------ child


def _child(fast_reads: bool) -> None:
    import trio

    from dmsproto.sim import Engine, Reply, Session, Simulator, load_plant
    from dmsproto.sim.wire import as_json

    class BenchEngine(Engine):
        """Notices a successful set of BENCH:Run and hands it to the burst driver;
        answers gets of BENCH:Value from a cache with ``fast_reads``."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.triggers, self.trigger_rx = trio.open_memory_channel[tuple[Session, int]](64)
            self.value_answer: dict[str, Any] | None = None

        def fast_get(self, session: Session, message: dict[str, Any]) -> Reply | None:
            items = message.get("get")
            if type(items) is not list or len(items) != 1 or not _READ_KEYS.issuperset(message):
                return None
            item = items[0]
            if item == VALUE_PATH:
                tag = None
            elif (type(item) is dict and item.get("path") == VALUE_PATH
                  and _ITEM_KEYS.issuperset(item)):
                tag = item.get("tag")
            else:
                return None
            if self.value_answer is None:
                first = super().handle_message(session, {"get": [VALUE_PATH]})
                self.value_answer = as_json(first.response)["get"][0]
            answer = dict(self.value_answer)
            if tag is not None:
                answer["tag"] = tag
            response: dict[str, Any] = {}
            if message.get("tag") is not None:
                response["tag"] = message["tag"]
            response["get"] = [answer]
            return Reply(response, [])

        def handle_message(self, session: Session, message: object) -> Any:
            if fast_reads and type(message) is dict:
                fast = self.fast_get(session, message)
                if fast is not None:
                    return fast
            reply = super().handle_message(session, message)
            sets = message.get("set") if isinstance(message, dict) else None
            answers = (reply.response.set or []) if reply.response is not None else []
            if isinstance(sets, list):
                for item, answer in zip(sets, answers, strict=False):
                    if (isinstance(item, dict) and item.get("path") == RUN_PATH
                            and answer.code == "ok"):
                        self.triggers.send_nowait((session, int(item["value"])))
            return reply

    async def burst(sim: Simulator, engine: BenchEngine, session: Session, count: int) -> None:
        entry = sim._sessions.get(id(session))
        if entry is None:
            return
        websocket = entry[1]
        # one real event per datapoint, rendered by the engine and encoded by the simulator
        # with markers where the value and the stamp go, split there: a frame is then
        # made by joining text, as fast as the client under test may read
        pieces: list[tuple[str, str, str] | None] = []
        for path in POINTS:
            mine = [d for d in engine.write(path, f"-1 {time.monotonic_ns()}")
                    if d.session is session]
            if not mine:
                pieces.append(None)
                continue
            item = as_json(mine[0].frame)["event"][0]
            item["value"], item["stamp"] = _VALUE_MARK, _STAMP_MARK
            text = sim.encode_frame(item)
            head, rest = text.split(f'"{_VALUE_MARK}"')
            middle, tail = rest.split(f'"{_STAMP_MARK}"')
            pieces.append((head + '"', '"' + middle + '"', '"' + tail))
        rate_node = engine.tree.get(RATE_PATH)
        rate = int(rate_node.value) if rate_node is not None and rate_node.value else 0
        start = trio.current_time()
        clock = time.monotonic_ns
        step = len(POINTS)
        for base in range(0, count, FRAME_EVENTS):
            if rate:
                await trio.sleep_until(start + base / rate)
            stamp = engine.stamp(engine.now())
            made = clock()
            ends = [None if p is None else (f"{p[1]}{stamp}{p[2]}", p[0]) for p in pieces]
            items = []
            for seq in range(base, min(base + FRAME_EVENTS, count)):
                end = ends[seq % step]
                if end is not None:
                    items.append(f"{end[1]}{seq} {made}{end[0]}")
            if items:
                await websocket._emit('{"event":[' + ",".join(items) + "]}")

    async def drive(sim: Simulator, engine: BenchEngine) -> None:
        async for session, count in engine.trigger_rx:
            # the connection may go away mid-burst
            with suppress(trio.BrokenResourceError, trio.ClosedResourceError):
                await burst(sim, engine, session, count)

    async def main() -> None:
        engine = BenchEngine(load_plant(bench_plant()))
        sim = Simulator(engine=engine, tick_interval=None, outbound_queue_size=8)
        async with sim, trio.open_nursery() as nursery:
            nursery.start_soon(drive, sim, engine)
            print(f"URL {sim.url}", flush=True)
            stdin = trio.lowlevel.FdStream(os.dup(sys.stdin.fileno()))
            while await stdin.receive_some(4096):
                pass
            await stdin.aclose()
            nursery.cancel_scope.cancel()

    trio.run(main)


if __name__ == "__main__":
    _child("--fast-reads" in sys.argv[1:])
