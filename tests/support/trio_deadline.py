"""pytest plugin: every trio test runs under ``trio.fail_after``, shorter than pytest-timeout.

pytest-timeout's signal interrupts a stuck trio test wherever it is, also inside trio's
run loop, and the interrupted run can make the next trio test of the process fail
too. A deadline inside the run cancels the stuck test like any trio code: it fails
with ``TooSlowError`` where it waited, and the run ends cleanly. The deadline is a
fraction of the configured per-test timeout (the one place that limit is set), in real
time; a test on a fake clock (``autojump_clock``, ``mock_clock``) keeps only the
per-test timeout, since its deadlines are in fake time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import trio

#: the share of the per-test timeout a trio test may run before it is cancelled
SHARE = 0.8


def deadline_seconds(config: pytest.Config) -> float | None:
    """The trio deadline for ``config``'s per-test timeout (``None``: no timeout set)."""
    value = config.getoption("timeout", None) or config.getini("timeout")
    seconds = float(value or 0)
    return seconds * SHARE if seconds > 0 else None


def bounded_run(seconds: float) -> Callable[..., Any]:
    """A ``trio.run`` replacement that cancels the test after ``seconds`` of real time."""

    def run(async_fn: Callable[[], Any], *, clock: trio.abc.Clock | None = None,
            instruments: Any = ()) -> Any:
        if clock is not None:
            return trio.run(async_fn, clock=clock, instruments=instruments)

        async def within_deadline() -> Any:
            with trio.fail_after(seconds):
                return await async_fn()

        return trio.run(within_deadline, instruments=instruments)

    return run


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    seconds = deadline_seconds(config)
    if seconds is None:
        return
    run = bounded_run(seconds)
    for item in items:
        if item.get_closest_marker("trio") is not None:
            item.add_marker(pytest.mark.trio(run=run), append=False)


__all__ = ["SHARE", "bounded_run", "deadline_seconds"]
