"""The asyncio client: round trips and an event burst, beside raw asyncio WebSocket loops.

Same simulator process, same requests and the same burst as ``bench_roundtrip``
and ``bench_events``; here the client is ``dmsproto.aio`` and the floors are raw
asyncio loops (``_aio_raw.py``), which send the same JSON text and ``json.loads``
the answers:

* wsproto on asyncio streams: the WebSocket layer ``dmsproto.aio`` is built on,
  the baseline of the client's rows;
* websockets (its asyncio client): the well-kept asyncio WebSocket library we
  could have built on instead.  Its rows put the two libraries side by side (the
  choice and its reasons are in ``docs/design.md``); without websockets installed
  they say "not measured".

Concurrency: 100 asyncio tasks sharing one connection; the raw variant is the
least a correlating client needs (one reader task, a dict of tag -> future).  One
row runs the trio client on the same simulator for comparison.  Every variant runs
``rounds`` times, interleaved; the best round counts.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from contextlib import AsyncExitStack
from typing import Any

import trio

import dmsproto
import dmsproto.aio

from ._aio_raw import RawSocket, WebsocketsSocket, WsprotoSocket, websockets_version
from ._sim_proc import POINTS, RATE_PATH, RUN_PATH, VALUE_PATH, sim_process
from .bench_events import STEP, Tally, consume, raw_frame, raw_order
from .bench_roundtrip import TASKS, Figures, ours_sequential
from .common import Row

_dumps = json.dumps
_loads = json.loads


def _request(tag: int) -> str:
    return _dumps({"tag": tag, "get": [VALUE_PATH]}, separators=(",", ":"))


def _check(reply: dict[str, Any], tag: int) -> None:
    if reply.get("tag") != tag or reply["get"][0]["code"] != "ok":
        raise RuntimeError(f"unexpected reply {reply!r:.200}")


async def _timed(figures: Figures, count: int, fn: Any, *args: Any) -> None:
    c0, t0 = time.process_time(), time.perf_counter()
    await fn(*args)
    figures.add(count, time.perf_counter() - t0, time.process_time() - c0)


# ------------------------------------------------------------------------ round trips


async def raw_sequential(ws: RawSocket, count: int, tags: itertools.count[int]) -> None:
    for _ in range(count):
        tag = next(tags)
        await ws.send(_request(tag))
        _check(_loads(await ws.recv()), tag)


async def raw_concurrent(ws: RawSocket, per_task: int, tags: itertools.count[int]) -> None:
    loop = asyncio.get_running_loop()
    waiting: dict[int, asyncio.Future[Any]] = {}
    total = TASKS * per_task

    async def reader() -> None:
        for _ in range(total):
            reply = _loads(await ws.recv())
            waiting.pop(reply["tag"]).set_result(reply)

    async def task() -> None:
        for _ in range(per_task):
            tag = next(tags)
            fut = waiting[tag] = loop.create_future()
            await ws.send(_request(tag))
            _check(await fut, tag)

    async with asyncio.TaskGroup() as group:
        group.create_task(reader())
        for _ in range(TASKS):
            group.create_task(task())


async def ours_concurrent(dms: dmsproto.aio.Client, per_task: int) -> None:
    async def task() -> None:
        for _ in range(per_task):
            point = await dms.get(VALUE_PATH)
            if point.value != 21.5:
                raise RuntimeError(f"unexpected {point!r}")

    async with asyncio.TaskGroup() as group:
        for _ in range(TASKS):
            group.create_task(task())


async def measure_roundtrips(url: str, count: int, per_task: int, rounds: int,
                             with_websockets: bool) -> dict[str, Figures]:
    names = ["wsproto_seq", "ours_seq", "wsproto_conc", "ours_conc"]
    if with_websockets:
        names += ["websockets_seq", "websockets_conc"]
    figs = {k: Figures() for k in names}
    tags = itertools.count(1)
    raw: dict[str, RawSocket] = {"wsproto": await WsprotoSocket.open(url)}
    if with_websockets:
        raw["websockets"] = await WebsocketsSocket.open(url)
    try:
        async with dmsproto.aio.connect(url) as dms:
            for ws in raw.values():
                await raw_sequential(ws, 100, tags)  # warm-up
            await ours_sequential(dms, 100)  # type: ignore[arg-type]
            for _ in range(rounds):
                for name, ws in raw.items():
                    await _timed(figs[f"{name}_seq"], count, raw_sequential, ws, count, tags)
                await _timed(figs["ours_seq"], count, ours_sequential, dms, count)
                for name, ws in raw.items():
                    await _timed(figs[f"{name}_conc"], TASKS * per_task, raw_concurrent, ws,
                                 per_task, tags)
                await _timed(figs["ours_conc"], TASKS * per_task, ours_concurrent, dms, per_task)
    finally:
        for ws in raw.values():
            await ws.close()
    return figs


async def trio_sequential(url: str, count: int, rounds: int) -> Figures:
    figures = Figures()
    async with dmsproto.connect(url) as dms:
        await ours_sequential(dms, 100)
        for _ in range(rounds):
            c0, t0 = time.process_time(), time.perf_counter()
            await ours_sequential(dms, count)
            figures.add(count, time.perf_counter() - t0, time.process_time() - c0)
    return figures


# ---------------------------------------------------------------------------- events


async def raw_events(url: str, count: int, timeout: float, open_socket: Any) -> Tally:
    tally = Tally(count)
    ws: RawSocket = await open_socket(url)
    try:
        subscribe = [{"path": p, "tag": f"bench.{i}"} for i, p in enumerate(POINTS)]
        await ws.send(_dumps({"tag": 1, "subscribe": subscribe}))
        await ws.recv()
        await ws.send(_dumps({"tag": 2, "whois": "bench", "user": "",
                              "set": [{"path": RATE_PATH, "value": 0}]}))
        await ws.recv()
        last = raw_order()
        received = 0
        c0, t0 = time.process_time(), time.perf_counter()
        try:
            async with asyncio.timeout(timeout):
                await ws.send(_dumps({"tag": 3, "whois": "bench", "user": "",
                                      "set": [{"path": RUN_PATH, "value": count}]}))
                while received < count:
                    received += raw_frame(tally, last, await ws.recv())
        except TimeoutError:
            pass
        tally.wall, tally.cpu = time.perf_counter() - t0, time.process_time() - c0
        tally.received = received
    finally:
        await ws.close()
    return tally


async def ours_events(url: str, count: int, timeout: float) -> Tally:
    tally = Tally(count)
    async with dmsproto.aio.connect(url) as dms, AsyncExitStack() as stack:
        subs = [await stack.enter_async_context(dms.subscribe(p, gaps="yield")) for p in POINTS]
        await dms.set(RATE_PATH, 0)
        c0, t0 = time.process_time(), time.perf_counter()
        try:
            async with asyncio.timeout(timeout), asyncio.TaskGroup() as group:
                for index, sub in enumerate(subs):
                    group.create_task(consume(tally, sub, index, count // STEP))
                await dms.set(RUN_PATH, count)
        except TimeoutError:
            pass
        tally.wall, tally.cpu = time.perf_counter() - t0, time.process_time() - c0
    return tally


async def measure_events(url: str, count: int, rounds: int, timeout: float,
                         with_websockets: bool) -> dict[str, Tally]:
    runs: list[tuple[str, Any]] = [
        ("wsproto", lambda: raw_events(url, count, timeout, WsprotoSocket.open)),
        ("ours", lambda: ours_events(url, count, timeout)),
    ]
    if with_websockets:
        runs.append(("websockets", lambda: raw_events(url, count, timeout, WebsocketsSocket.open)))
    best: dict[str, Tally] = {}
    for _ in range(rounds):
        for name, fn in runs:
            tally = await fn()
            old = best.get(name)
            # a run that lost events always counts (correctness before speed)
            if old is None or tally.lost or tally.reordered or (
                    not old.lost and not old.reordered and tally.rate > old.rate):
                best[name] = tally
    return best


# ------------------------------------------------------------------------------ rows


def run(quick: bool) -> list[Row]:
    count, per_task, rounds = (150, 2, 3) if quick else (1000, 20, 8)
    events, event_rounds, timeout = (10_000, 1, 20.0) if quick else (100_000, 3, 60.0)
    websockets = websockets_version()
    with sim_process(fast_reads=True) as url:
        f = asyncio.run(measure_roundtrips(url, count, per_task, rounds, websockets is not None))
        trio_seq = trio.run(trio_sequential, url, count, rounds)
    with sim_process() as url:
        t = asyncio.run(measure_events(url, events, event_rounds, timeout, websockets is not None))
    seq, conc = f"sequential get ({count} x {rounds})", f"{TASKS} tasks x {per_task} gets"
    raw = "raw wsproto asyncio loop"
    rows = [
        Row("asyncio", f"{seq}: rate", f["ours_seq"].rps, "req/s", raw, f["wsproto_seq"].rps),
        Row("asyncio", f"{seq}: client CPU per request", f["ours_seq"].cpu_us, "µs", raw,
            f["wsproto_seq"].cpu_us),
        Row("asyncio", f"{seq}: client CPU per request vs the trio client",
            f["ours_seq"].cpu_us, "µs", "dmsproto.connect (trio)", trio_seq.cpu_us),
        Row("asyncio", f"{conc}: rate", f["ours_conc"].rps, "req/s", f"{raw} + tag dispatch",
            f["wsproto_conc"].rps),
        Row("asyncio", f"{conc}: client CPU per request", f["ours_conc"].cpu_us, "µs",
            f"{raw} + tag dispatch", f["wsproto_conc"].cpu_us),
    ]
    what = f"{events:,} events, frames of 100, 10 subscriptions"
    base = "raw wsproto asyncio receive loop"
    ours, floor = t["ours"], t["wsproto"]
    rows += [
        Row("asyncio", f"{what}: rate", ours.rate, "events/s", base, floor.rate,
            ">= 100,000 events/s"),
        Row("asyncio", f"{what}: p99 latency", ours.p99_ms(), "ms", base, floor.p99_ms()),
        Row("asyncio", f"{what}: client CPU per event", ours.cpu / events * 1e6, "µs", base,
            floor.cpu / events * 1e6),
        Row("asyncio", f"{what}: lost + reordered", ours.lost + ours.reordered, "events",
            f"{base}: {floor.lost + floor.reordered}", 0, "0"),
    ]
    # the WebSocket library decision: websockets' raw loops against wsproto's
    if websockets is None:
        note = "websockets: not measured (not installed)"
        rows.append(Row("asyncio", "raw loop, sequential get: CPU per request",
                        f["wsproto_seq"].cpu_us, "µs", note, 0))
    else:
        lib = f"raw websockets {websockets} loop"
        rows += [
            Row("asyncio", f"raw wsproto loop, {seq}: CPU per request", f["wsproto_seq"].cpu_us,
                "µs", lib, f["websockets_seq"].cpu_us),
            Row("asyncio", f"raw wsproto loop, {conc}: CPU per request",
                f["wsproto_conc"].cpu_us, "µs", f"{lib} + tag dispatch",
                f["websockets_conc"].cpu_us),
            Row("asyncio", f"raw wsproto loop, {what}: CPU per event",
                floor.cpu / events * 1e6, "µs", lib, t["websockets"].cpu / events * 1e6),
        ]
    return rows
