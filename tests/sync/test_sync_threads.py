"""Threads: none left behind, use from asyncio worker threads, refusal inside trio."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading

import pytest
import trio

import dmsproto.sync as ds
from dmsproto.errors import ConnectError
from dmsproto.results import Event
from tests.support.sync import SimThread

WAIT = 10.0


def test_no_thread_left_behind(sim: SimThread) -> None:
    before = set(threading.enumerate())
    got: queue.Queue[Event] = queue.Queue()
    with ds.connect(sim.url) as dms:
        assert [t.name for t in dms.threads] == ["dmsproto-loop"]
        sub = dms.subscribe("Test:Int")
        dms.subscribe("Test:Double", callback=got.put)
        assert [t.name for t in dms.threads] == ["dmsproto-loop", "dmsproto-callbacks"]
        threads = dms.threads
        assert all(t.is_alive() for t in threads)
        sim.write("Test:Int", 5)
        sim.write("Test:Double", 5.5)
        assert sub.get(timeout=WAIT).value == 5
        assert got.get(timeout=WAIT).value == 5.5
        assert set(threading.enumerate()) - before == set(threads)
    assert not any(t.is_alive() for t in threads)
    assert set(threading.enumerate()) == before


def test_no_thread_left_after_a_failed_connect() -> None:
    before = set(threading.enumerate())
    with pytest.raises(ConnectError), ds.connect("ws://127.0.0.1:1/json_data"):
        pass  # pragma: no cover
    assert set(threading.enumerate()) == before


def test_use_from_asyncio_worker_threads(sim: SimThread) -> None:
    """The documented pattern: open, call and close through ``asyncio.to_thread``."""

    async def main() -> tuple[list[object], list[int], int]:
        loop_thread = threading.get_ident()
        with contextlib.ExitStack() as stack:
            dms = await asyncio.to_thread(stack.enter_context, ds.connect(sim.url))
            paths = ["Test:Int", "Test:Double", "Test:Text"]
            points = await asyncio.gather(*(asyncio.to_thread(dms.get, p) for p in paths))
            sub = await asyncio.to_thread(dms.subscribe, "Test:Int")
            ticks = 0

            def consume() -> list[int]:
                assert threading.get_ident() != loop_thread
                return [sub.get(timeout=WAIT).value for _ in range(3)]

            reader = asyncio.ensure_future(asyncio.to_thread(consume))
            for value in (7, 8, 9):
                await asyncio.to_thread(dms.set, "Test:Int", value)
                ticks += 1  # the asyncio loop keeps running meanwhile
            values = await reader
            await asyncio.to_thread(stack.close)
        return [p.value for p in points], values, ticks

    values, events, ticks = asyncio.run(main())
    assert values == [1, 21.5, "hello"]
    assert events == [7, 8, 9]
    assert ticks == 3


def test_refused_inside_a_trio_run(sim: SimThread) -> None:
    refused: list[str] = []
    with ds.connect(sim.url) as dms, dms.subscribe("Test:Int") as sub:
        handler = dms.subscribe("Test:Double", callback=lambda event: None)

        async def inside() -> None:
            attempts = {
                "connect": lambda: ds.connect(sim.url).__enter__(),
                "get": lambda: dms.get("Test:Int"),
                "subscribe": lambda: dms.subscribe("Test:Int"),
                "sub.get": lambda: sub.get(timeout=0),
                "sub.close": sub.close,
                "handler.close": handler.close,
                "close": dms.close,
            }
            for name, attempt in attempts.items():
                with pytest.raises(ds.TrioContextError, match="trio run"):
                    attempt()
                refused.append(name)
            await trio.lowlevel.checkpoint()

        trio.run(inside)
        assert dms.get("Test:Int").value == 1  # nothing was harmed
        assert handler.active and not sub.closed
    assert len(refused) == 7
    assert issubclass(ds.TrioContextError, RuntimeError)
