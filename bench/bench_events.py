"""Events: a burst from the simulator (another process) through one connection into
10 subscriptions; events/s, p99 latency, and none lost or reordered.

The simulator sends the burst in frames of 100 events, round-robin over ten
datapoints, as fast as the connection takes them (see ``_sim_proc.py``); each
event's value is ``"<seq> <monotonic_ns at send>"``.  Our client: one
``subscribe`` per datapoint, one consumer task per subscription
(``async for``), each checking that its sequence numbers arrive in order with
none missing and recording latency = ``time.monotonic_ns()`` when the event
reaches the consumer minus the send stamp.  Rate = events / (last event
received - trigger sent).  Baseline: a raw trio-websocket client that only
receives the same frames, ``json.loads`` them and does the same per-event
checks (the floor of our stack).  Rounds alternate; the best round counts.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import trio
from trio_websocket import WebSocketConnection, open_websocket_url

import dmsproto
from dmsproto.results import Gap

from ._sim_proc import POINTS, RATE_PATH, RUN_PATH, sim_process
from .common import Row

WS_OPTIONS: dict[str, Any] = {
    "message_queue_size": 16, "max_message_size": 1 << 30, "receive_buffer_size": 65536,
}
STEP = len(POINTS)


class Tally:
    """One run: counts, order violations and latencies (ns)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.received = 0
        self.reordered = 0
        self.latencies: list[int] = []
        self.wall = 0.0
        self.cpu = 0.0

    @property
    def lost(self) -> int:
        return self.count - self.received

    @property
    def rate(self) -> float:
        return self.received / self.wall if self.wall else 0.0

    def p99_ms(self) -> float:
        lat = sorted(self.latencies)
        return lat[min(len(lat) - 1, len(lat) * 99 // 100)] / 1e6 if lat else float("nan")


def raw_frame(tally: Tally, last: dict[str, int], text: str | bytes) -> int:
    """One frame on a raw connection: its events checked for order and timed (the
    same per-event work as ``consume``); returns how many events it had."""
    events = json.loads(text).get("event")
    if events is None:
        return 0
    now = time.monotonic_ns()
    lat = tally.latencies
    reordered = 0
    for item in events:
        seq, sent = item["value"].split()
        n = int(seq)
        tag = item["tag"]
        if n != last[tag] + STEP:
            reordered += 1
        last[tag] = n
        lat.append(now - int(sent))
    tally.reordered += reordered
    return len(events)


def raw_order() -> dict[str, int]:
    """What ``raw_frame`` expects before the first event of each subscription."""
    return {f"bench.{i}": i - STEP for i in range(STEP)}


async def raw_events(tally: Tally, ws: WebSocketConnection, count: int) -> None:
    """Receive ``count`` events on a raw connection (``raw_frame``); counted in ``tally``."""
    last = raw_order()
    received = 0
    try:
        while received < count:
            received += raw_frame(tally, last, await ws.get_message())
    finally:
        tally.received += received


async def raw_run(url: str, count: int, timeout: float) -> Tally:
    tally = Tally(count)
    async with open_websocket_url(url, **WS_OPTIONS) as ws:
        subscribe = [{"path": p, "tag": f"bench.{i}"} for i, p in enumerate(POINTS)]
        await ws.send_message(json.dumps({"tag": 1, "subscribe": subscribe}))
        await ws.get_message()
        await ws.send_message(json.dumps({"tag": 2, "whois": "bench", "user": "",
                                          "set": [{"path": RATE_PATH, "value": 0}]}))
        await ws.get_message()
        c0, t0 = time.process_time(), time.perf_counter()
        with trio.move_on_after(timeout):
            await ws.send_message(json.dumps({"tag": 3, "whois": "bench", "user": "",
                                              "set": [{"path": RUN_PATH, "value": count}]}))
            await raw_events(tally, ws, count)
        tally.wall, tally.cpu = time.perf_counter() - t0, time.process_time() - c0
    return tally


async def consume(tally: Tally, sub: AsyncIterator[Any], index: int, count: int
                  ) -> None:
    """One subscription's consumer (any client, any loop): ``count`` events, each
    checked for order and timed."""
    clock = time.monotonic_ns
    lat = tally.latencies
    last = index - STEP
    got = 0
    async for item in sub:
        if type(item) is Gap:
            continue  # counted as lost (received stays short)
        seq, sent = item.value.split()
        n = int(seq)
        if n != last + STEP:
            tally.reordered += 1
        last = n
        lat.append(clock() - int(sent))
        got += 1
        tally.received += 1
        if got == count:
            return


async def ours_run(url: str, count: int, timeout: float) -> Tally:
    tally = Tally(count)

    async with dmsproto.connect(url) as dms, AsyncExitStack() as stack:
        subs = [await stack.enter_async_context(dms.subscribe(p, gaps="yield")) for p in POINTS]
        await dms.set(RATE_PATH, 0)
        c0, t0 = time.process_time(), time.perf_counter()
        with trio.move_on_after(timeout):
            async with trio.open_nursery() as nursery:
                for index, sub in enumerate(subs):
                    nursery.start_soon(consume, tally, sub, index, count // STEP)
                await dms.set(RUN_PATH, count)
        tally.wall, tally.cpu = time.perf_counter() - t0, time.process_time() - c0
    return tally


async def measure(url: str, count: int, rounds: int, timeout: float) -> tuple[Tally, Tally]:
    best: dict[str, Tally] = {}
    for _ in range(rounds):
        for name, fn in (("raw", raw_run), ("ours", ours_run)):
            tally = await fn(url, count, timeout)
            old = best.get(name)
            # a run that lost events always counts (correctness before speed)
            if old is None or tally.lost or tally.reordered or (
                    not old.lost and not old.reordered and tally.rate > old.rate):
                best[name] = tally
    return best["raw"], best["ours"]


def run(quick: bool) -> list[Row]:
    count, rounds, timeout = (10_000, 1, 20.0) if quick else (100_000, 3, 60.0)
    with sim_process() as url:
        raw, ours = trio.run(measure, url, count, rounds, timeout)
    what = f"{count:,} events, frames of 100, 10 subscriptions"
    base = "raw trio-websocket receive loop"
    return [
        Row("events", f"{what}: rate", ours.rate, "events/s", base, raw.rate,
            ">= 300,000 events/s"),
        Row("events", f"{what}: p99 latency", ours.p99_ms(), "ms", base, raw.p99_ms()),
        Row("events", f"{what}: client CPU per event", ours.cpu / count * 1e6, "µs", base,
            raw.cpu / count * 1e6, "<= 1.3x"),
        Row("events", f"{what}: lost + reordered", ours.lost + ours.reordered, "events",
            f"{base}: {raw.lost + raw.reordered}", 0, "0"),
    ]
