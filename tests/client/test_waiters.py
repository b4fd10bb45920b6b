"""The waiting side lives in the WebSocket transport, not in the sans-I/O core.

Every way a call or a subscription ends (answered, timed out, cancelled, connection
lost, block left) leaves no waiter behind in either loop's transport, and the core's
objects never hold anything of trio or asyncio.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import anyio
import pytest

from dmsproto.errors import ConnectionLost, NotFound, RequestTimeout
from dmsproto.protocol import Call, ClientCore, Get, SubscriptionState
from tests.support.backends import Backend, LoopSim

PROTOCOL = Path(__file__).resolve().parents[2] / "dmsproto" / "protocol"
IO_MODULES = {"trio", "trio_websocket", "h11", "wsproto", "socket", "ssl", "asyncio", "threading"}


def _tables(dms: Any) -> tuple[int, int]:
    backend: Any = dms._backend
    return len(backend._waiters), len(backend._lots)


def _no_loop_inside(obj: Call | SubscriptionState) -> None:
    for name in type(obj).__slots__:
        value = getattr(obj, name, None)
        module = type(value).__module__
        assert not module.startswith(("trio", "asyncio")), (type(obj).__name__, name)


def test_the_core_imports_no_io() -> None:
    for path in PROTOCOL.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = {a.name.partition(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = {node.module.partition(".")[0]}
            else:
                continue
            assert not names & IO_MODULES, (path.name, names)


def test_answered_timed_out_and_cancelled_calls_leave_no_waiter(
    backend: Backend, sim: LoopSim
) -> None:
    async def body() -> None:
        async with backend.connect(sim.url) as dms:
            for _ in range(5):
                await dms.get("Test:Int")
            assert _tables(dms) == (0, 0)

            hold = sim.fault("hold_next", match="get")
            with pytest.raises(RequestTimeout):
                await dms.get("Test:Int", timeout=0.2)
            assert _tables(dms) == (0, 0)
            sim.call(hold.release)

            hold = sim.fault("hold_next", match="get")
            with anyio.fail_after(10):
                async with anyio.create_task_group() as nursery:
                    nursery.start_soon(dms.get, "Test:Int")
                    await sim.reached(hold)
                    assert _tables(dms) == (1, 0)
                    nursery.cancel_scope.cancel()
            assert _tables(dms) == (0, 0)
            sim.call(hold.release)
            assert (await dms.get("Test:Int")).value == 1

    backend.run(body)


def test_a_lost_connection_wakes_and_forgets_its_calls(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        async with backend.connect(sim.url) as dms:
            sim.fault("drop_before_response", match="get")
            with anyio.fail_after(10), pytest.raises(ConnectionLost):
                await dms.get("Test:Int")
            assert _tables(dms) == (0, 0)

    backend.run(body)


def test_subscriptions_leave_no_parking_lot(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        async with backend.connect(sim.url) as dms:
            async with dms.subscribe("Test:Int") as sub:
                assert _tables(dms) == (0, 1)
                await dms.set("Test:Int", 2)
                with anyio.fail_after(10):
                    event = await sub.__anext__()
                assert event.value == 2
                for state in dms.core.subscriptions:
                    _no_loop_inside(state)
            assert _tables(dms) == (0, 0)

            with pytest.raises(NotFound):
                async with dms.subscribe("No:Such:Point"):
                    pass  # pragma: no cover - refused
            assert _tables(dms) == (0, 0)

    backend.run(body)


def test_a_consumer_waiting_in_another_task_ends_with_the_block(
    backend: Backend, sim: LoopSim
) -> None:
    async def body() -> None:
        async with backend.connect(sim.url) as dms:
            received: list[Any] = []
            first = anyio.Event()
            with anyio.fail_after(10):
                async with anyio.create_task_group() as nursery, dms.subscribe("Test:Int") as sub:

                    async def consume() -> None:
                        async for event in sub:
                            received.append(event.value)
                            first.set()

                    nursery.start_soon(consume)
                    await dms.set("Test:Int", 3)
                    await first.wait()
                    # the block is left while consume() waits for the next event: it ends
            assert received == [3]

    backend.run(body)


def test_a_call_holds_no_loop_object() -> None:
    core = ClientCore()
    call = core.start_call([Get("A:B")])
    _no_loop_inside(call)
    _no_loop_inside(core.add_subscription("A:B"))
    assert "waiter" not in Call.__slots__ and "waker" not in SubscriptionState.__slots__
