"""A fleet: one process holding many connections (to a few simulator processes), each with
ten subscriptions; memory per connection and client CPU per event.

A supervisory program watches many DMSs at once; what one more connection costs in
memory, and what an event costs in CPU when thousands of subscriptions share one
event loop, decide how many sites one process can serve.

Setup: ``SIMULATORS`` simulator processes (``_sim_proc.py``); ``connections``
connections spread over them round-robin, each subscribed to ``BENCH:P0`` ...
``BENCH:P9`` with one consumer task per subscription.  Memory per connection = the
bytes Python's allocators hold (``tracemalloc``, traced while the connections are
opened) once all of them are idle and subscribed, divided by their number (the
resident set would mostly show what the allocator kept from earlier benchmarks in
the same process).  Then every
connection asks for a burst of ``per_connection`` events at once (the simulator sends
each connection its own, in frames of 100); CPU per event = this process's CPU time
from the triggers to the last event, divided by the events; every consumer checks
that its events arrive in order with none missing.

Baseline, in the same run against the same simulators: raw trio-websocket
connections, each subscribed with one request and read by one task that
``json.loads`` the frames and does the same per-event checks (the floor of any
client on trio-websocket).
"""

from __future__ import annotations

import gc
import json
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack, ExitStack
from typing import Any

import trio
from trio_websocket import WebSocketConnection, open_websocket_url

import dmsproto

from ._sim_proc import POINTS, RATE_PATH, RUN_PATH, sim_process
from .bench_events import Tally, consume, raw_events
from .common import Row

SIMULATORS = 4
STEP = len(POINTS)
WS_OPTIONS: dict[str, Any] = {
    "message_queue_size": 16, "max_message_size": 1 << 30, "receive_buffer_size": 65536,
}
class Fleet(Tally):
    """One variant's figures: the events bench's tally, and the fleet's memory."""

    def __init__(self, connections: int, per_connection: int) -> None:
        super().__init__(connections * per_connection)
        self.connections = connections
        self.memory = 0

    @property
    def per_connection_kib(self) -> float:
        return self.memory / self.connections / 1024

    @property
    def cpu_us(self) -> float:
        return self.cpu / self.count * 1e6


class Traced:
    """The Python-allocated bytes the fleet holds once opened."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet

    def __enter__(self) -> None:
        gc.collect()
        tracemalloc.start()

    def __exit__(self, *exc: object) -> None:
        gc.collect()
        self.fleet.memory = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()


async def _burst(fleet: Fleet, trigger: Callable[[], Awaitable[None]], timeout: float) -> None:
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    with trio.move_on_after(timeout):
        await trigger()
    fleet.wall, fleet.cpu = time.perf_counter() - t0, time.process_time() - c0


async def ours(urls: list[str], connections: int, per_connection: int, timeout: float
               ) -> Fleet:
    fleet = Fleet(connections, per_connection)
    async with AsyncExitStack() as stack:
        clients = []
        subs = []
        with Traced(fleet):
            for index in range(connections):
                client = await stack.enter_async_context(
                    dmsproto.connect(urls[index % len(urls)]))
                clients.append(client)
                subs.append([await stack.enter_async_context(client.subscribe(p, gaps="yield"))
                             for p in POINTS])

        async def trigger() -> None:
            async with trio.open_nursery() as nursery:
                for mine in subs:
                    for index, sub in enumerate(mine):
                        nursery.start_soon(consume, fleet, sub, index, per_connection // STEP)
                for client in clients:
                    nursery.start_soon(client.set, RUN_PATH, per_connection)

        await _burst(fleet, trigger, timeout)
    return fleet


async def raw(urls: list[str], connections: int, per_connection: int, timeout: float
              ) -> Fleet:
    fleet = Fleet(connections, per_connection)

    async def subscribe(ws: WebSocketConnection) -> None:
        items = [{"path": p, "tag": f"bench.{i}"} for i, p in enumerate(POINTS)]
        await ws.send_message(json.dumps({"tag": 1, "subscribe": items}))
        await ws.get_message()

    async def receive(ws: WebSocketConnection) -> None:
        await ws.send_message(json.dumps({"tag": 2, "whois": "bench", "user": "",
                                          "set": [{"path": RUN_PATH, "value": per_connection}]}))
        await raw_events(fleet, ws, per_connection)

    async with AsyncExitStack() as stack:
        sockets = []
        with Traced(fleet):
            for index in range(connections):
                ws = await stack.enter_async_context(
                    open_websocket_url(urls[index % len(urls)], **WS_OPTIONS))
                await subscribe(ws)
                sockets.append(ws)

        async def trigger() -> None:
            async with trio.open_nursery() as nursery:
                for ws in sockets:
                    nursery.start_soon(receive, ws)

        await _burst(fleet, trigger, timeout)
    return fleet


async def measure(urls: list[str], connections: int, per_connection: int, timeout: float
                  ) -> tuple[Fleet, Fleet]:
    async with dmsproto.connect(urls[0]) as warm:  # the decoders, built once per process
        await warm.set(RATE_PATH, 0)
        async with warm.subscribe(POINTS[0]):
            pass
    base = await raw(urls, connections, per_connection, timeout)
    mine = await ours(urls, connections, per_connection, timeout)
    return base, mine


def run(quick: bool) -> list[Row]:
    connections, per_connection, timeout = (40, 100, 60.0) if quick else (200, 500, 120.0)
    simulators = 2 if quick else SIMULATORS
    with ExitStack() as stack:
        urls = [stack.enter_context(sim_process()) for _ in range(simulators)]
        base, mine = trio.run(measure, urls, connections, per_connection, timeout)
    what = (f"{connections} connections to {simulators} simulators x 10 subscriptions, "
            f"{per_connection} events each")
    rawname = "raw trio-websocket connections"
    return [
        Row("fleet", f"{what}: memory per connection (Python heap)", mine.per_connection_kib,
            "KiB", rawname, base.per_connection_kib),
        Row("fleet", f"{what}: client CPU per event", mine.cpu_us, "µs", rawname,
            base.cpu_us),
        Row("fleet", f"{what}: rate", mine.rate, "events/s", rawname, base.rate),
        Row("fleet", f"{what}: lost + reordered", mine.lost + mine.reordered, "events",
            f"{rawname}: {base.lost + base.reordered}", 0, "0"),
    ]
