"""Fixtures of the client tests: a small plant, simulators and a hostile DMS on loopback,
both async clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dmsproto.sim.server import Simulator
from tests.support.backends import BACKENDS, Backend, LoopSim
from tests.support.client import PLANT, clock
from tests.support.hostile import HostileThread


@pytest.fixture
def sim_factory(make_sim: Callable[..., Simulator]) -> Callable[..., Simulator]:
    """``sim_factory(**options)``: a self-checking simulator of ``PLANT`` on a fixed clock,
    for a trio test that runs it in its own run."""

    def factory(**options: Any) -> Simulator:
        options.setdefault("clock", clock)
        return make_sim(PLANT, **options)

    return factory


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each client test that takes this runs once with the trio and once with the
    asyncio client."""
    return Backend(request.param)


@pytest.fixture
def loop_sim() -> Iterator[Callable[..., LoopSim]]:
    """``loop_sim(plant=None, **options)``: a started, self-checking simulator in a thread
    (stopped and checked after the test)."""
    started: list[LoopSim] = []

    def factory(plant: dict[str, Any] | None = None, **options: Any) -> LoopSim:
        sim = LoopSim(plant, **options)
        sim.__enter__()
        started.append(sim)
        return sim

    yield factory
    for sim in reversed(started):
        sim.__exit__(None, None, None)


@pytest.fixture
def sim(loop_sim: Callable[..., LoopSim]) -> LoopSim:
    """The test plant's simulator in a thread, with the default options."""
    return loop_sim()


@pytest.fixture
def hostile() -> Iterator[HostileThread]:
    """A scripted hostile DMS (``tests.support.hostile``) in a thread, for either loop."""
    with HostileThread() as server:
        yield server
