"""Subscriptions of both async clients against the simulator: routing by tag, order,
overflow, unsubscribe, storms."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio
import anyio.abc
import pytest
import trio

import dmsproto.client as dc
from dmsproto.errors import NotFound, SubscriptionOverflow, TransportError
from dmsproto.results import Event, Gap
from dmsproto.sim.engine import Delivery
from dmsproto.sim.server import Simulator
from tests.support.backends import Backend, LoopSim
from tests.support.client import PLANT
from tests.support.hostile import Answer, HostileThread, Stream
from tests.support.wire_client import frame


def ws_session(sim: Simulator) -> Any:
    """The engine session of the (single) WebSocket client."""
    [session] = [s for s in sim.engine.sessions if s.websocket]
    return session


def test_events_in_order_with_trigger(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        async with (
            backend.connect(sim.url) as dms,
            backend.connect(sim.url, whois="writer") as other,
        ):
            async with dms.subscribe("Test:Int") as sub:
                assert sub.initial is not None and sub.initial.value == 1
                for value in (2, 3, 4):
                    await other.set("Test:Int", value)
                got = [await sub.__anext__() for _ in range(3)]
            assert [e.value for e in got] == [2, 3, 4]
            assert {(e.code, e.path, e.trigger, e.type, e.tag) for e in got} == {
                ("onChange", "Test:Int", "writer", "int", sub.tag)
            }
            assert all(e.stamp is not None for e in got)
            # leaving the block unsubscribed: a write now reaches nobody
            assert sim.engine_write("Test:Int", 99) == []

    backend.run(body)


def test_two_subscriptions_on_one_path(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        async with backend.connect(sim.url) as dms:
            async with (
                dms.subscribe("Test:Int", tag="first") as first,
                dms.subscribe("Test:Int", tag={"second": 2}, events="*") as second,
            ):
                await dms.set("Test:Int", 7)
                a = await first.__anext__()
                b = await second.__anext__()
                assert (a.tag, a.value) == ("first", 7)
                assert (b.tag, b.value) == ({"second": 2}, 7)
                assert b.code in ("onSet", "onChange")
            with pytest.raises(ValueError):
                dms.subscribe("Test:Int", tag="x")
                dms.subscribe("Test:Double", tag="x")

    backend.run(body)


def test_event_before_subscribe_response(backend: Backend, sim: LoopSim) -> None:
    """An event that arrives between the subscribe request and its response is kept."""
    async def body() -> None:
        async with backend.connect(sim.url) as dms:
            sim.fault("inject_event_before_response")
            async with dms.subscribe("Test:Double") as sub:
                event = await sub.__anext__()
            assert (event.path, event.value, event.tag) == ("Test:Double", 21.5, sub.tag)

    backend.run(body)


def test_rename_delete_create_events_and_query(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        async with (
            backend.connect(sim.url) as dms,
            dms.subscribe("Test:Sub", events="*", max_depth=0) as everything,
            dms.subscribe("Plant", regex_path=".*Istwert", max_depth=0) as temps,
        ):
            await dms.rename("Test:Sub:A", "Test:Sub:C")
            codes = [(await everything.__anext__()).code for _ in range(3)]
            assert sorted(codes) == ["onCreate", "onDelete", "onRename"]
            await dms.set("Plant:T2:Sollwert", 1.0)  # does not match the query
            await dms.set("Plant:T1:Istwert", 19.0)
            event = await temps.__anext__()
            assert (event.path, event.value) == ("Plant:T1:Istwert", 19.0)
            assert temps.receive_nowait() is None

    backend.run(body)


def test_subscribe_to_missing_path_raises(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        async with backend.connect(sim.url) as dms:
            with pytest.raises(NotFound):
                async with dms.subscribe("Does:Not:Exist"):
                    pass  # pragma: no cover
            assert dms.core.subscriptions == []

    backend.run(body)


def test_overflow_raises_then_continues(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        async with (
            backend.connect(sim.url) as dms,
            dms.subscribe("Test:Int", buffer_size=3) as sub,
        ):
            for value in range(10, 20):
                sim.write("Test:Int", value)
            await dms.get("Test:Int")  # answered after the events: all of them are in
            got = [(await sub.__anext__()).value for _ in range(3)]
            assert got == [10, 11, 12]
            with pytest.raises(SubscriptionOverflow, match="7 events dropped"):
                await sub.__anext__()
            sim.write("Test:Int", 20)
            assert (await sub.__anext__()).value == 20

    backend.run(body)


def test_overflow_as_gap_marker(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        async with backend.connect(sim.url) as dms:
            async with dms.subscribe("Test:Int", buffer_size=2, gaps="yield") as sub:
                for value in range(5):
                    sim.write("Test:Int", value + 100)
                await dms.get("Test:Int")
                items = [await sub.__anext__() for _ in range(3)]
                sim.write("Test:Int", 200)
                items.append(await sub.__anext__())
            assert isinstance(items[0], Event) and items[0].value == 100
            assert isinstance(items[1], Event) and items[1].value == 101
            assert items[2] == Gap("overflow", 3)
            assert isinstance(items[3], Event) and items[3].value == 200

    backend.run(body)


def test_cancelled_subscribe_is_taken_back(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        async with backend.connect(sim.url) as dms:
            hold = sim.fault("hold_next", match="subscribe")
            async with anyio.create_task_group() as nursery:

                async def subscriber() -> None:
                    async with dms.subscribe("Test:Int"):
                        pass  # pragma: no cover - cancelled before

                nursery.start_soon(subscriber)
                await sim.reached(hold)  # the server made the subscription, answer held
                nursery.cancel_scope.cancel()
                sim.call(hold.release)
            await dms.get("Test:Int")  # after the unsubscribe's answer
            assert dms.core.subscriptions == []
            assert sim.engine_write("Test:Int", 5) == []  # the server forgot it too

    backend.run(body)


def test_subscribe_over_http_is_refused(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        async with backend.connect(sim.http_url) as dms:
            with pytest.raises(TransportError, match="WebSocket"):
                dms.subscribe("Test:Int")

    backend.run(body)


def test_event_storm_none_lost_or_reordered(backend: Backend, loop_sim: Callable[..., LoopSim]
                                           ) -> None:
    """100,000 events in frames of 100, into 10 subscriptions: every one, in order."""
    total, per_frame, subs = 100_000, 100, 10
    plant = dict(PLANT)
    plant["points"] = {**PLANT["points"], **{f"Storm:P{k}": {"value": 0} for k in range(subs)}}
    sim = loop_sim(plant, validate_outgoing=False, outbound_queue_size=2000)

    def storm(tags: list[Any]) -> None:
        """In the simulator's thread: queue every frame on the client's connection."""
        session = ws_session(sim.sim)
        stamp = "2024-05-01T14:00:00,000+02:00"
        for first in range(0, total, per_frame):
            items = [
                {"code": "onChange", "path": f"Storm:P{i % subs}", "trigger": "<SYS>",
                 "value": i, "type": "int", "stamp": stamp, "tag": tags[i % subs]}
                for i in range(first, first + per_frame)
            ]
            sim.sim.route([Delivery(session, {"event": items})])

    async def body() -> list[_Consumer]:
        async with backend.connect(sim.url) as dms, anyio.create_task_group() as tasks:
            subscriptions = [
                await tasks.start(_consume, dms, f"Storm:P{k}", total // subs)
                for k in range(subs)
            ]
            sim.call(storm, [s.tag for s in subscriptions])
        return subscriptions

    started = time.perf_counter()
    subscriptions = backend.run(body)
    elapsed = time.perf_counter() - started
    for k, sub in enumerate(subscriptions):
        assert sub.received == list(range(k, total, subs))
    print(f"{total} events in {elapsed:.2f} s: {total / elapsed:,.0f} events/s (incl. simulator)")


class _Consumer:
    def __init__(self) -> None:
        self.received: list[int] = []
        self.tag: Any = None


async def _consume(
    dms: Any, path: str, expected: int,
    task_status: anyio.abc.TaskStatus[_Consumer] = anyio.TASK_STATUS_IGNORED,
) -> None:
    consumer = _Consumer()
    async with dms.subscribe(path) as sub:
        consumer.tag = sub.tag
        task_status.started(consumer)
        async for event in sub:
            consumer.received.append(event.value)
            if len(consumer.received) == expected:
                break


async def test_cancelled_next_keeps_the_event(sim_factory: Callable[..., Simulator]) -> None:
    """A __anext__ cancelled before it runs must not take (and lose) a buffered event.

    Trio's: a trio call is a checkpoint even when it need not wait.  (An asyncio
    coroutine is cancelled only where it waits: ``tests/aio`` shows it loses nothing.)
    """
    async with (
        sim_factory() as sim,
        dc.connect(sim.url) as dms,
        dms.subscribe("Test:Int") as sub,
    ):
        sim.route(sim.engine.write("Test:Int", 41))
        await dms.get("Test:Int")  # answered after the event: it is buffered
        assert sub.pending == 1
        with trio.CancelScope() as scope:
            scope.cancel()
            await sub.__anext__()
        assert scope.cancelled_caught
        assert sub.pending == 1
        assert (await sub.__anext__()).value == 41


def test_a_burst_read_at_once_reaches_a_consumer_as_the_frames_one_by_one(
    backend: Backend, hostile: HostileThread
) -> None:
    """Many event frames in one read: a consumer runs before its buffer overflows.

    The frames go out in one write; whatever the reads cut them into, a frame that
    leaves a subscription's buffer half full lets its consumer run before the next
    one is routed, so a consumer that keeps up with the frames one by one keeps up
    with them read at once, and a buffer of two events never overflows.
    """
    count = 50
    burst = b"".join(
        frame(b'{"event": [{"code": "onChange", "path": "A", "value": %d, "tag": "s"}]}' % n)
        for n in range(count)
    )

    async def body() -> None:
        got: list[Event | Gap] = []

        async def consume(sub: Any) -> None:
            while len(got) < count and not any(isinstance(item, Gap) for item in got[-1:]):
                got.append(await sub.__anext__())

        async with backend.connect(hostile.url, timeout=5) as dms:
            with anyio.fail_after(10):
                async with (
                    dms.subscribe("A", tag="s", buffer_size=2, gaps="yield") as sub,
                    anyio.create_task_group() as group,
                ):
                    group.start_soon(consume, sub)
                    await anyio.wait_all_tasks_blocked()
                    hostile.then(lambda r: [Stream(burst), Answer()])
                    await dms.get("Test:Int")
        assert [item.value if isinstance(item, Event) else item for item in got] == list(
            range(count))
        assert dms.stats.events == count

    backend.run(body)
