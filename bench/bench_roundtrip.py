"""Round trips against the simulator in another process over loopback.

Sequential single-datapoint ``get`` (requests/s, client CPU µs per request from
``time.process_time()`` of this process) and 100 concurrent trio tasks each
doing gets (total requests/s).  Baselines, same run and same simulator process:

* the raw trio-websocket loop, the floor of our stack: it sends the same JSON
  request text (``{"tag":N,"get":["BENCH:Value"]}``, made with ``json.dumps``)
  and ``json.loads`` the reply.  Its concurrent variant is the least a
  correlating client needs: one reader task ``json.loads`` each reply and hands
  it, by its root tag, to the waiting task (a dict of tag -> ``trio.Event``).
  Both use the WebSocket options our client uses (queue 16, 64 KiB reads).
* the same sequential loop on wsproto over a trio TCP stream, without
  trio-websocket (``_trio_raw.py``): shown beside the trio-websocket loop, it is
  what a transport of our own could save (no reader task and channel between the
  socket and the waiting task).
* visitoolkit-connector 0.1.2, the older thread-based client, run in its own
  virtualenv and process (see ``_legacy.py``); concurrency = 100 threads
  sharing one client.

The simulator answers ``BENCH:Value`` from a cache (``--fast-reads``, see
``_sim_proc.py``) so that it is not the limit; one row shows the rate against
the full engine.  Every variant runs ``rounds`` times, interleaved, and the
best round counts (highest rate, lowest CPU per request).
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

import trio
from trio_websocket import WebSocketConnection, open_websocket_url

import dmsproto

from ._legacy import NAME as LEGACY
from ._legacy import ensure_venv, run_legacy
from ._sim_proc import VALUE_PATH, sim_process
from ._trio_raw import WsprotoTrio
from .common import Row

TASKS = 100
WS_OPTIONS: dict[str, Any] = {
    "message_queue_size": 16, "max_message_size": 1 << 30, "receive_buffer_size": 65536,
}
_dumps = json.dumps
_loads = json.loads


class Figures:
    """Best rate (requests/s) and lowest CPU per request (µs) over the rounds."""

    def __init__(self) -> None:
        self.rps = 0.0
        self.cpu_us = float("inf")

    def add(self, count: int, wall: float, cpu: float) -> None:
        self.rps = max(self.rps, count / wall)
        self.cpu_us = min(self.cpu_us, cpu / count * 1e6)


async def _timed(figures: Figures, count: int, fn: Any, *args: Any) -> None:
    c0, t0 = time.process_time(), time.perf_counter()
    await fn(*args)
    figures.add(count, time.perf_counter() - t0, time.process_time() - c0)


def _check(reply: dict[str, Any], tag: int) -> None:
    if reply.get("tag") != tag or reply["get"][0]["code"] != "ok":
        raise RuntimeError(f"unexpected reply {reply!r:.200}")


# ------------------------------------------------------------------------ raw loop


async def raw_sequential(ws: WebSocketConnection, count: int, tags: itertools.count[int]) -> None:
    for _ in range(count):
        tag = next(tags)
        await ws.send_message(_dumps({"tag": tag, "get": [VALUE_PATH]}, separators=(",", ":")))
        _check(_loads(await ws.get_message()), tag)


async def raw_concurrent(ws: WebSocketConnection, per_task: int, tags: itertools.count[int]
                         ) -> None:
    waiting: dict[int, list[Any]] = {}

    async def reader() -> None:
        while True:
            reply = _loads(await ws.get_message())
            slot = waiting.pop(reply["tag"])
            slot[1] = reply
            slot[0].set()

    async def task() -> None:
        for _ in range(per_task):
            tag = next(tags)
            slot: list[Any] = [trio.Event(), None]
            waiting[tag] = slot
            await ws.send_message(_dumps({"tag": tag, "get": [VALUE_PATH]},
                                         separators=(",", ":")))
            await slot[0].wait()
            _check(slot[1], tag)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(reader)
        async with trio.open_nursery() as tasks:
            for _ in range(TASKS):
                tasks.start_soon(task)
        nursery.cancel_scope.cancel()


async def wsproto_sequential(ws: WsprotoTrio, count: int, tags: itertools.count[int]) -> None:
    for _ in range(count):
        tag = next(tags)
        await ws.send(_dumps({"tag": tag, "get": [VALUE_PATH]}, separators=(",", ":")))
        _check(_loads(await ws.recv()), tag)


# -------------------------------------------------------------------------- ours


async def ours_sequential(dms: dmsproto.Client, count: int) -> None:
    get = dms.get
    for _ in range(count):
        point = await get(VALUE_PATH)
        if point.value != 21.5:
            raise RuntimeError(f"unexpected {point!r}")


async def ours_concurrent(dms: dmsproto.Client, per_task: int) -> None:
    async def task() -> None:
        for _ in range(per_task):
            point = await dms.get(VALUE_PATH)
            if point.value != 21.5:
                raise RuntimeError(f"unexpected {point!r}")

    async with trio.open_nursery() as nursery:
        for _ in range(TASKS):
            nursery.start_soon(task)


async def measure(url: str, count: int, per_task: int, rounds: int,
                  concurrent: bool = True) -> dict[str, Figures]:
    figs = {k: Figures() for k in ("raw_seq", "ours_seq", "raw_conc", "ours_conc", "wsproto")}
    tags = itertools.count(1)
    bare = await WsprotoTrio.open(url)
    async with open_websocket_url(url, **WS_OPTIONS) as ws, dmsproto.connect(url) as dms:
        await raw_sequential(ws, 100, tags)  # warm-up
        await ours_sequential(dms, 100)
        await wsproto_sequential(bare, 100, tags)
        for _ in range(rounds):
            await _timed(figs["raw_seq"], count, raw_sequential, ws, count, tags)
            await _timed(figs["ours_seq"], count, ours_sequential, dms, count)
            await _timed(figs["wsproto"], count, wsproto_sequential, bare, count, tags)
            if concurrent:
                await _timed(figs["raw_conc"], TASKS * per_task, raw_concurrent, ws, per_task,
                             tags)
                await _timed(figs["ours_conc"], TASKS * per_task, ours_concurrent, dms,
                             per_task)
    await bare.close()
    return figs


def run(quick: bool) -> list[Row]:
    # many short interleaved rounds: on a shared machine the best round is the least disturbed
    count, per_task, rounds = (150, 2, 3) if quick else (1000, 20, 8)
    python, why = ensure_venv(create=not quick)
    with sim_process(fast_reads=True) as url:
        f = trio.run(measure, url, count, per_task, rounds)
        legacy: dict[str, Any] = {"error": why}
        if python is not None:
            legacy = run_legacy(python, url, VALUE_PATH, count, TASKS, per_task * 2)
    with sim_process(fast_reads=False) as url:
        full = trio.run(measure, url, count, 0, 2, False)
    seq, conc = f"sequential get ({count} x {rounds})", f"{TASKS} tasks x {per_task} gets"
    raw = "raw trio-websocket loop"
    rows = [
        Row("roundtrip", f"{seq}: rate", f["ours_seq"].rps, "req/s", raw, f["raw_seq"].rps),
        Row("roundtrip", f"{seq}: client CPU per request", f["ours_seq"].cpu_us, "µs", raw,
            f["raw_seq"].cpu_us, "<= 1.15x"),
        Row("roundtrip", f"{seq}: client CPU per request, wsproto on trio without "
            "trio-websocket", f["wsproto"].cpu_us, "µs", raw, f["raw_seq"].cpu_us),
        Row("roundtrip", f"{conc}: rate", f["ours_conc"].rps, "req/s",
            f"{raw} + tag dispatch", f["raw_conc"].rps),
        Row("roundtrip", f"{conc}: client CPU per request", f["ours_conc"].cpu_us, "µs",
            f"{raw} + tag dispatch", f["raw_conc"].cpu_us, "<= 1.25x"),
    ]
    if "error" in legacy or legacy.get("errors"):
        reason = legacy.get("error") or f"{legacy.get('errors')} failed requests"
        note = f"{LEGACY}: not measured ({reason})"
        rows += [
            Row("roundtrip", f"{seq}: rate vs older client", f["ours_seq"].rps, "req/s", note, 0),
            Row("roundtrip", f"{conc}: rate vs older client", f["ours_conc"].rps, "req/s", note,
                0, ">= 2x"),
        ]
    else:
        rows += [
            Row("roundtrip", f"{seq}: rate vs older client", f["ours_seq"].rps, "req/s",
                LEGACY, legacy["seq_rps"]),
            Row("roundtrip", f"{seq}: client CPU per request vs older client",
                f["ours_seq"].cpu_us, "µs", LEGACY, legacy["seq_cpu_us"]),
            Row("roundtrip", f"{conc}: rate vs older client ({TASKS} threads)",
                f["ours_conc"].rps, "req/s", LEGACY, legacy["conc_rps"], ">= 2x"),
            # the simulator caps both rates above; CPU per request is the client's capacity
            Row("roundtrip", f"{conc}: client CPU per request vs older client ({TASKS} threads)",
                f["ours_conc"].cpu_us, "µs", LEGACY, legacy["conc_cpu_us"], "<= 0.5x"),
        ]
    rows.append(Row("roundtrip", f"sequential get ({count} x 2), full simulator engine: rate",
                    full["ours_seq"].rps, "req/s", raw, full["raw_seq"].rps))
    return rows
