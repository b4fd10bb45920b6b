"""A trio program with several subscriptions, each handled by its own task in one nursery.

One task changes a room setpoint now and then; the others react to what they are
subscribed to. Every task lives in the nursery that ``main`` owns, so when one fails or
the time is up, all of them are cancelled and every subscription is ended on the DMS.
``nursery.start`` waits until a task says it is ready (its subscription confirmed by the
DMS), so the operator starts writing only when every change will be seen.

    dmsproto serve
    python examples/many_subscriptions.py --seconds 5

``DMSPROTO_URL`` points it at another DMS (default ``ws://127.0.0.1:9020/json_data``).
"""

from __future__ import annotations

import argparse
import os

import trio

import dmsproto
from dmsproto import Client

URL = os.environ.get("DMSPROTO_URL", "ws://127.0.0.1:9020/json_data")
SETPOINT = "Plant:Rooms:R101:TempSet"


async def clock(dms: Client, task_status: trio.TaskStatus[None]) -> None:
    """The DMS's clock ticks every second."""
    async with dms.subscribe("System:Time") as sub:
        task_status.started()
        async for event in sub:
            print(f"clock     {event.value}", flush=True)


async def blinkers(dms: Client, task_status: trio.TaskStatus[None]) -> None:
    """All blinkers below System:Blinker, in one subscription (max_depth=0: any depth)."""
    async with dms.subscribe("System:Blinker", max_depth=0) as sub:
        task_status.started()
        async for event in sub:
            print(f"blinker   {event.path.rsplit(':', 1)[-1]} = {event.value}", flush=True)


async def setpoint(dms: Client, task_status: trio.TaskStatus[None]) -> None:
    """Every write of the setpoint, with who made it."""
    async with dms.subscribe(SETPOINT, events="onChange,onSet") as sub:
        task_status.started()
        async for event in sub:
            print(f"setpoint  {event.code} {event.value} by {event.trigger}", flush=True)


async def operator(dms: Client) -> None:
    """Plays the operator: moves the setpoint every second."""
    for step in range(1000):
        await dms.set(SETPOINT, 21.5 + (step % 3) * 0.5)
        await trio.sleep(1)


async def main(seconds: float) -> None:
    async with dmsproto.connect(URL, whois="example-operator") as dms:
        with trio.move_on_after(seconds):
            async with trio.open_nursery() as nursery:
                for watcher in (clock, blinkers, setpoint):
                    await nursery.start(watcher, dms)
                nursery.start_soon(operator, dms)
    print("done: every subscription ended")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to run")
    trio.run(main, parser.parse_args().seconds)
