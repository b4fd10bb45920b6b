"""A simulator in a thread of the test process, for the blocking facade's tests.

Imported by name (tests are not a package); also used by the Ctrl-C script, which
runs in a subprocess.  ``SimThread`` runs ``Simulator`` under ``trio.run`` in a
helper thread; the test reaches into that run with ``call`` (sync functions, e.g.
arming faults) and ``wait`` (awaiting e.g. ``hold.reached`` with a deadline).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import trio

from dmsproto.sim.server import Simulator

T = TypeVar("T")

ANCHOR = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)

PLANT: dict[str, Any] = {
    "format": "dmsproto-plant/1",
    "zone": "Europe/Zurich",
    "anchor": "2024-05-01T12:00:00Z",
    "changelogGroups": ["ABS1", "ALARMS"],
    "points": {
        "Test:Int": {"value": 1, "name": "An int", "unit": "h"},
        "Test:Double": {"type": "double", "value": 21.5, "unit": "°C"},
        "Test:Text": {"value": "hello"},
        "Test:RO": {"value": 5, "perm": "ro"},
        "Test:Sub:A": {"value": 0},
        "Test:Sub:B": {"value": 0},
        "Plant:Trend": {
            "type": "double",
            "value": 1.0,
            "history": {"days": 1, "every": 900, "base": 10, "amplitude": 2, "seed": 1},
        },
        "Plant:Pump": {
            "value": False,
            "changelogGroup": "ABS1",
            "logTexts": {"true": "Pump on", "false": "Pump off"},
        },
        "Plant:Fault": {
            "value": False,
            "changelogGroup": "ALARMS",
            "alarm": {"priority": 2, "priorityBACnet": 66, "alarmGroup": 1,
                      "alarmCollectGroup": 10, "siteGroup": 1, "screen": "Overview"},
        },
    },
    "changelog": [
        {"path": "Plant:Pump", "ago": 7200, "text": "Pump on"},
        {"path": "Plant:Pump", "ago": 3600, "text": "Pump off"},
        {"path": "Plant:Fault", "ago": 1800, "text": "Fault", "state": "occurred"},
    ],
}


def clock() -> datetime:
    return ANCHOR


class SimThread:
    """``with SimThread() as sim:`` a self-checking simulator of ``PLANT`` (or ``plant``)
    in a thread; ``nursery`` runs other trio tasks beside it."""

    def __init__(self, plant: dict[str, Any] | None = None, **options: Any) -> None:
        options.setdefault("clock", clock)
        options.setdefault("tick_interval", None)
        options.setdefault("validate_outgoing", True)
        self.sim = Simulator(PLANT if plant is None else plant, **options)
        self.nursery: trio.Nursery | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._ready = threading.Event()
        self._stop: trio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="test-simulator", daemon=True)

    @property
    def url(self) -> str:
        return self.sim.url

    @property
    def http_url(self) -> str:
        return self.sim.http_url

    def __enter__(self) -> SimThread:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the simulator did not start")
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *exc: object) -> None:
        if self._token is not None and self._stop is not None:
            with contextlib.suppress(trio.RunFinishedError):
                trio.from_thread.run_sync(self._stop.set, trio_token=self._token)
        self._thread.join(15)
        if self._thread.is_alive():
            raise RuntimeError("the simulator thread did not stop")
        assert self.sim.violations == [], self.sim.violations
        assert self.sim.errors == [], self.sim.errors

    def _main(self) -> None:
        try:
            trio.run(self._serve)
        except BaseException as exc:  # reported to __enter__
            self._error = exc
            logging.getLogger(__name__).exception("simulator failed")
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._stop = trio.Event()
        async with self.sim, trio.open_nursery() as nursery:
            self.nursery = nursery
            self._token = trio.lowlevel.current_trio_token()
            self._ready.set()
            await self._stop.wait()
            nursery.cancel_scope.cancel()

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in the simulator's thread (faults, engine writes, routing)."""
        return trio.from_thread.run_sync(fn, *args, trio_token=self._token)

    def wait(self, afn: Callable[[], Awaitable[object]], timeout: float = 10.0) -> None:
        """Await ``afn()`` in the simulator's thread, failing after ``timeout`` seconds."""

        async def bounded() -> None:
            with trio.fail_after(timeout):
                await afn()

        trio.from_thread.run(bounded, trio_token=self._token)

    def write(self, path: str, value: Any) -> None:
        """Change a value inside the simulator and deliver its events (like a PLC would)."""

        def go() -> None:
            self.sim.route(self.sim.engine.write(path, value))

        self.call(go)

    def hold_next(self, match: str) -> Any:
        return self.call(partial(self.sim.faults.hold_next, match=match))

    def release(self, hold: Any) -> None:
        self.call(hold.release)
