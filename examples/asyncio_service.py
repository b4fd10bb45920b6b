"""Use the DMS from an asyncio program: one connection shared by concurrent tasks.

``dmsproto.aio`` is the client for asyncio (Home Assistant, FastAPI, asyncua-based
gateways): the same calls, results, exceptions and options as the trio client,
with asyncio's own tasks, timeouts and cancellation, and no thread.

This program reads a few values concurrently, then runs two tasks on one
connection: a watcher that prints the changes of a room's setpoint, and a writer
that changes it three times.

    dmsproto serve
    python examples/asyncio_service.py

``DMSPROTO_URL`` points it at another DMS (default ``ws://127.0.0.1:9020/json_data``).
"""

from __future__ import annotations

import asyncio
import os

import dmsproto.aio
from dmsproto import Gap, NotFound

URL = os.environ.get("DMSPROTO_URL", "ws://127.0.0.1:9020/json_data")
SETPOINT = "Plant:Rooms:R101:TempSet"
CHANGES = (20.5, 21.0, 21.5)


async def watch(dms: dmsproto.aio.Client, subscribed: asyncio.Event) -> None:
    # gaps="yield": after a reconnect the stream says where events may be missing.
    async with dms.subscribe(SETPOINT, gaps="yield") as sub:
        initial = sub.initial.value if sub.initial else None
        print(f"watching {sub.path} (now {initial})", flush=True)
        subscribed.set()
        seen = 0
        async for item in sub:
            if isinstance(item, Gap):
                print(f"events may be missing ({item.reason})", flush=True)
                continue
            print(f"{item.path} -> {item.value} (by {item.trigger})", flush=True)
            seen += 1
            if seen == len(CHANGES):
                return


async def write(dms: dmsproto.aio.Client, subscribed: asyncio.Event) -> None:
    await subscribed.wait()
    for value in CHANGES:
        written = await dms.set(SETPOINT, value)
        print(f"set {written.path} = {written.value}", flush=True)


async def main() -> None:
    policy = dmsproto.aio.ReconnectPolicy(initial_delay=0.2, max_delay=5.0)
    async with dmsproto.aio.connect(URL, whois="example-asyncio", reconnect=policy) as dms:
        # Calls are coroutines: run several at once on the one connection.
        paths = ["Plant:HC1:TempFlow", "Plant:Rooms:R101:Temp", SETPOINT]
        async with asyncio.timeout(10):  # asyncio's own timeouts cancel a call cleanly
            points = await asyncio.gather(*(dms.get(path) for path in paths))
        for point in points:
            print(f"{point.path} = {point.value}", flush=True)

        # The same typed exceptions as the trio client.
        try:
            await dms.get("Plant:Nowhere")
        except NotFound as exc:
            print(f"{exc.path}: {exc.code}", flush=True)

        subscribed = asyncio.Event()
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(watch(dms, subscribed))
            tasks.create_task(write(dms, subscribed))
    print("done", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
