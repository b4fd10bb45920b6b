"""Test your own DMS code against the simulator, in-process, with pytest and pytest-trio.

    python -m pip install pytest pytest-trio
    python -m pytest examples/test_with_simulator.py

The simulator serves the demo plant on a free port of 127.0.0.1; its clock does not tick
unless the test says so (``tick_interval=None``, ``sim.tick()``), and ``sim.faults``
injects failures (a dropped connection, a delayed answer, a malformed frame) to test
how your code copes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import trio

import dmsproto
from dmsproto import Client
from dmsproto.sim import Simulator

pytestmark = pytest.mark.trio


# --- the code under test: your own -----------------------------------------------------

async def raise_setpoints(dms: Client, branch: str, delta: float) -> int:
    """Raise every room setpoint below ``branch`` by ``delta``; returns how many."""
    setpoints = await dms.query(branch, regex_path=":TempSet$", types="double", max_depth=0)
    for point in setpoints:
        assert isinstance(point.value, float)
        await dms.set(point.path, point.value + delta)
    return len(setpoints)


# --- fixtures ---------------------------------------------------------------------------

@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    # validate_outgoing: the simulator checks every frame it sends against the schema
    async with Simulator(tick_interval=None, validate_outgoing=True) as simulator:
        yield simulator


@pytest.fixture
async def dms(sim: Simulator) -> AsyncIterator[Client]:
    async with dmsproto.connect(sim.url, whois="test") as client:
        yield client


# --- tests ------------------------------------------------------------------------------

async def test_raises_every_room_setpoint(dms: Client) -> None:
    before = await dms.get("Plant:Rooms:R101:TempSet")
    assert isinstance(before.value, float)
    with trio.fail_after(10):  # every test is bounded
        changed = await raise_setpoints(dms, "Plant:Rooms", 0.5)
    assert changed >= 20
    after = await dms.get("Plant:Rooms:R101:TempSet")
    assert after.value == before.value + 0.5


async def test_other_clients_see_the_change(sim: Simulator, dms: Client) -> None:
    async with dmsproto.connect(sim.url) as watcher, \
            watcher.subscribe("Plant:Rooms:R101:TempSet") as sub:
        with trio.fail_after(10):
            await raise_setpoints(dms, "Plant:Rooms:R101", 1.0)
            event = await sub.__anext__()
    assert event.trigger == "test"


async def test_a_lost_connection_fails_the_call(sim: Simulator, dms: Client) -> None:
    sim.faults.drop_before_response(match="get")
    with trio.fail_after(10), pytest.raises(dmsproto.ConnectionLost):
        await raise_setpoints(dms, "Plant:Rooms", 0.5)
