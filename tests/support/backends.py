"""One behavioural test, both async clients: the ``Backend`` and the simulator in a thread.

A client test is written once, as an ``async def`` body that uses the client of
its backend and anyio's loop-neutral primitives (``anyio.fail_after``, task
groups, cancel scopes); ``backend.run(body)`` runs it with ``anyio.run`` on trio
(the trio client, ``dmsproto.connect``) or on asyncio (``dmsproto.aio.connect``).

The simulator is trio code, so it runs in a thread of its own (``LoopSim``), on
a real loopback socket, for both backends alike.  The body reaches it with
``sim.call`` (a quick synchronous step in the simulator's thread: arming a fault,
an engine write) and ``await sim.until(...)`` (waiting there, e.g. for a held
request, without blocking the body's loop).

Why synchronous tests around ``anyio.run`` rather than an async-test plugin:
pytest-trio's ``trio_mode`` (this project's setting) claims every ``async def``
test for trio, so anyio's or pytest-asyncio's plugin would never run one on
asyncio.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal, TypeVar

import anyio
import outcome

import dmsproto.aio
import dmsproto.client
from dmsproto.client._base import ClientBase
from tests.support.client import PLANT, clock
from tests.support.sync import SimThread

T = TypeVar("T")

BACKENDS = ("trio", "asyncio")

@dataclass(frozen=True)
class Backend:
    """An event loop and the dmsproto client that runs on it."""

    name: Literal["trio", "asyncio"]

    def connect(self, url: str, **options: Any) -> AbstractAsyncContextManager[Any]:
        """``dmsproto.connect`` or ``dmsproto.aio.connect``, as the loop needs."""
        module = dmsproto.client if self.name == "trio" else dmsproto.aio
        opened: AbstractAsyncContextManager[ClientBase[Any, Any]] = module.connect(url, **options)
        return opened

    def run(self, body: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``body(*args)`` to its end on this backend's loop."""
        return anyio.run(body, *args, backend=self.name)

    def __str__(self) -> str:
        return self.name


class LoopSim(SimThread):
    """The test plant's simulator in a thread, reachable from a trio or an asyncio body."""

    def __init__(self, plant: dict[str, Any] | None = None, **options: Any) -> None:
        options.setdefault("clock", clock)
        super().__init__(PLANT if plant is None else plant, **options)

    @property
    def port(self) -> int:
        return self.sim.port

    @property
    def faults(self) -> Any:
        """The fault plan (arm faults through ``call``: it lives in the simulator's thread)."""
        return self.sim.faults

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` in the simulator's thread and return its result.

        Blocks the caller for that short step, from any thread, also one that runs a
        trio loop of its own (where ``trio.from_thread`` refuses to block).
        """
        assert self._token is not None
        done = threading.Event()
        result: list[outcome.Outcome[T]] = []

        def step() -> None:
            result.append(outcome.capture(fn, *args, **kwargs))
            done.set()

        self._token.run_sync_soon(step)
        if not done.wait(10):
            raise RuntimeError("the simulator thread did not answer")
        return result[0].unwrap()

    def fault(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Arm a fault: ``sim.fault("hold_next", match="get")``."""
        return self.call(partial(getattr(self.sim.faults, name), *args, **kwargs))

    def engine_write(self, path: str, value: Any) -> list[Any]:
        """The engine's deliveries for a write inside the simulator, not sent."""
        return self.call(self.sim.engine.write, path, value)

    def route(self, deliveries: list[Any]) -> None:
        self.call(self.sim.route, deliveries)

    def spawn(self, fn: Callable[[], Awaitable[object]]) -> None:
        """Start a trio task beside the simulator (e.g. a relay between client and DMS)."""
        assert self.nursery is not None
        self.call(self.nursery.start_soon, fn)

    async def until(self, afn: Callable[[], Awaitable[object]], timeout: float = 10.0) -> None:
        """Await ``afn()`` in the simulator's thread, without blocking this loop."""
        await anyio.to_thread.run_sync(self.wait, afn, timeout, abandon_on_cancel=True)

    async def reached(self, hold: Any) -> None:
        """Wait until the simulator holds the request of ``hold`` (a ``hold_next`` fault)."""
        await self.until(hold.reached.wait)


def url_of(sim: LoopSim, transport: str) -> str:
    return sim.url if transport == "ws" else sim.http_url
