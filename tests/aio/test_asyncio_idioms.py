"""The asyncio client under asyncio's own idioms: ``asyncio.timeout``, ``task.cancel()``,
``TaskGroup``; no thread of its own; nothing left running after its block.

The behavioural tests of ``tests/client`` run against this client too (through anyio);
these run on plain ``asyncio.run``, as an asyncio program uses the client.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import dmsproto.aio as da
from dmsproto.errors import ConnectionLost, RequestTimeout
from tests.support.backends import LoopSim


def run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(body())  # type: ignore[arg-type]


async def in_thread(sim: LoopSim, afn: Callable[[], Awaitable[object]]) -> None:
    """Wait in the simulator's thread (``sim.wait``) without blocking this loop."""
    await asyncio.to_thread(sim.wait, afn)


def test_asyncio_timeout_cancels_a_call_and_the_connection_stays(sim: LoopSim) -> None:
    async def body() -> None:
        async with da.connect(sim.url) as dms:
            hold = sim.fault("hold_next", match="get")
            with pytest.raises(TimeoutError) as info:
                async with asyncio.timeout(0.2):
                    await dms.get("Test:Int")
            assert not isinstance(info.value, RequestTimeout)  # asyncio's, not the call's
            assert dms.core.pending_calls == 0
            sim.call(hold.release)  # its late answer is dropped
            assert (await dms.get("Test:Double")).value == 21.5
            assert dms.core.dropped_responses == 1
            assert dms._backend._waiters == {}

    run(body)


def test_a_cancelled_consumer_loses_no_event(sim: LoopSim) -> None:
    async def body() -> None:
        async with da.connect(sim.url) as dms, dms.subscribe("Test:Int") as sub:
            waiting = asyncio.create_task(sub.__anext__())
            await asyncio.sleep(0.05)  # parked: nothing buffered yet
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            await dms.set("Test:Int", 7)
            await dms.get("Test:Int")  # answered after the event: it is buffered
            assert sub.pending == 1
            assert (await sub.__anext__()).value == 7
            assert dms._backend._lots[sub._state]._waiting == []

    run(body)


def test_a_subscribe_cut_by_asyncio_timeout_is_taken_back(sim: LoopSim) -> None:
    async def body() -> None:
        async with da.connect(sim.url) as dms:
            hold = sim.fault("hold_next", match="subscribe")

            async def subscriber() -> None:
                async with dms.subscribe("Test:Int"):
                    pass  # pragma: no cover - cut before

            task = asyncio.create_task(subscriber())
            await in_thread(sim, hold.reached.wait)  # the server made it; answer held
            task.cancel()
            await asyncio.sleep(0.05)  # the unsubscribe is written, its answer awaited
            sim.call(hold.release)
            with pytest.raises(asyncio.CancelledError):
                await task
            assert dms.core.subscriptions == []
            await dms.get("Test:Int")
            assert sim.engine_write("Test:Int", 5) == []  # the server forgot it too

    run(body)


def test_task_group_of_calls_and_a_consumer(sim: LoopSim) -> None:
    async def body() -> None:
        async with da.connect(sim.url) as dms, dms.subscribe("Test:Sub", max_depth=0) as sub:
            received: list[Any] = []

            async def consume() -> None:
                async for event in sub:
                    received.append((event.path, event.value))
                    if len(received) == 20:
                        return

            async with asyncio.TaskGroup() as group:
                group.create_task(consume())
                for n in range(10):
                    group.create_task(dms.set("Test:Sub:A", n + 1))
                    group.create_task(dms.set("Test:Sub:B", n + 1))
            assert sorted(received) == sorted(
                [("Test:Sub:A", n + 1) for n in range(10)]
                + [("Test:Sub:B", n + 1) for n in range(10)])

    run(body)


def test_no_thread_and_nothing_left_running(sim: LoopSim) -> None:
    """The client starts no thread (a numeric address needs no resolver), and leaving
    its block leaves no task behind, also when the block is left by cancellation."""
    before = threading.active_count()

    async def body() -> None:
        loop = asyncio.get_running_loop()
        async with (da.connect(sim.url, ping_interval=0.05, reconnect=True) as dms,
                    dms.subscribe("Test:Int")):
            await dms.get_many(["Test:Int", "Test:Double"])
            await asyncio.sleep(0.2)  # a few pings
            assert threading.active_count() == before
        assert loop._default_executor is None  # type: ignore[attr-defined]
        assert asyncio.all_tasks() == {asyncio.current_task()}

        async def cut() -> None:
            async with da.connect(sim.url, reconnect=True) as dms:
                await dms.get("Test:Int")
                await asyncio.sleep(10)

        task = asyncio.create_task(cut())
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert asyncio.all_tasks() == {asyncio.current_task()}
        with pytest.raises(ConnectionLost):
            await dms.get("Test:Int")

    run(body)


def test_import_dmsproto_aio_loads_nothing_heavy() -> None:
    heavy = ("dmsproto.validation", "dmsproto.sim", "dmsproto.cli", "jsonschema", "pcre2")
    code = ("import json, sys, dmsproto.aio\n"
            f"heavy = {heavy!r}\n"
            "print(json.dumps(sorted(m for m in sys.modules\n"
            "                        if any(m == h or m.startswith(h + '.') for h in heavy))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == []
