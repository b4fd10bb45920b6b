"""Long history and change-log reads against the simulator, with its limits lowered.

The simulator cuts an answer at its limit as the document's DMS does (history keeps
the oldest entries, change logs the newest); the tests lower that limit (and the
client's grid window) so a few thousand entries need several requests, and compare
with the same read done in one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest

import dmsproto.client._base as client_module  # where the calls live
from dmsproto.client._ranges import RESUME_TRIES
from dmsproto.errors import ConnectionLost, EncodeError
from dmsproto.protocol import ReadHistory
from dmsproto.protocol.ranges import RangeProgress
from dmsproto.results import ChangelogEntry, History
from dmsproto.sim.limits import Limits
from tests.support.backends import Backend, LoopSim
from tests.support.client import ANCHOR, FAST

DAY = timedelta(days=1)
PLANT: dict[str, Any] = {
    "format": "dmsproto-plant/1",
    "zone": "Europe/Zurich",
    "anchor": "2024-05-01T12:00:00Z",
    "changelogGroups": ["PROT"],
    "points": {
        "Dense:Trend": {
            "type": "double", "value": 1.0,
            "history": {"days": 1, "every": 10, "base": 10, "amplitude": 2, "noise": 0.5,
                        "seed": 3},
        },
        "Dense:Logged": {"value": 0, "changelogGroup": "PROT"},
    },
    "changelog": [{"path": "Dense:Logged", "ago": 60 * k, "text": f"entry {k}"}
                  for k in range(1, 600)]
    + [{"path": "Dense:Logged", "ago": 3000, "text": f"same stamp {k}"} for k in range(5)],
}


def lower_limits(sim: LoopSim, monkeypatch: pytest.MonkeyPatch, *, hist_entries: int = 0,
                 changelog_entries: int = 0) -> None:
    """Cut the simulator's answers shorter, and tell the client the same cut."""
    limits = Limits()
    if hist_entries:
        limits = Limits(hist_entries=hist_entries)
        monkeypatch.setattr(client_module, "HISTORY_CUT", hist_entries)
    if changelog_entries:
        limits = Limits(changelog_entries=changelog_entries)
        monkeypatch.setattr(client_module, "CHANGELOG_CUT", changelog_entries)
    sim.call(setattr, sim.sim.engine, "limits", limits)


@pytest.fixture
def dense(loop_sim: Callable[..., LoopSim]) -> LoopSim:
    return loop_sim(PLANT)


class Progress:
    def __init__(self) -> None:
        self.seen: list[RangeProgress] = []

    def __call__(self, progress: RangeProgress) -> None:
        self.seen.append(progress)

    def check(self, entries: int) -> None:
        fractions = [p.fraction for p in self.seen]
        assert fractions == sorted(fractions) and fractions[-1] == 1.0
        assert [p.requests for p in self.seen] == list(range(1, len(self.seen) + 1))
        assert self.seen[-1].entries == entries


def assert_joined(whole: History, split: History) -> None:
    assert split.stamp_texts == whole.stamp_texts and split.values == whole.values
    assert len(set(split.stamp_texts)) == len(split.stamp_texts)   # nothing twice


def test_raw_history_over_the_limit_is_read_in_parts(
    backend: Backend, dense: LoopSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def body() -> None:
        async with backend.connect(dense.url) as dms:
            whole = await dms.history("Dense:Trend", start=ANCHOR - DAY, end=ANCHOR, interval=0)
            assert len(whole) > 8000
            lower_limits(dense, monkeypatch, hist_entries=1000)
            (single,) = await dms.batch([ReadHistory("Dense:Trend", ANCHOR - DAY, ANCHOR, 0)])
            assert isinstance(single.value, History) and len(single.value) == 1000   # cut
            progress = Progress()
            split = await dms.history("Dense:Trend", start=ANCHOR - DAY, end=ANCHOR, interval=0,
                                      progress=progress)
            assert_joined(whole, split)
            assert len(progress.seen) >= 9
            progress.check(len(whole))
            detail = await dms.history("Dense:Trend", start=ANCHOR - DAY, end=ANCHOR, interval=0,
                                       format="detail")
            assert [e.stamp_text for e in detail] == whole.stamp_texts

    backend.run(body)


def test_interpolated_history_is_split_on_its_grid(
    backend: Backend, dense: LoopSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def body() -> None:
        start = ANCHOR - DAY + timedelta(seconds=7)  # off the records' own 10 s grid
        async with backend.connect(dense.url) as dms:
            whole = await dms.history("Dense:Trend", start=start, end=ANCHOR, interval=60)
            assert len(whole) > 1400
            monkeypatch.setattr(client_module, "GRID_WINDOW", 100)
            progress = Progress()
            split = await dms.history("Dense:Trend", start=start, end=ANCHOR, interval=60,
                                      progress=progress)
            assert_joined(whole, split)
            assert len(progress.seen) == 15
            progress.check(len(whole))

    backend.run(body)


def test_change_logs_over_the_limit_are_read_in_parts(
    backend: Backend, dense: LoopSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def body() -> None:
        since = ANCHOR - DAY
        async with backend.connect(dense.url) as dms:
            group = await dms.changelog_read("PROT", start=since, end=ANCHOR)
            log = await dms.changelog("Dense:Logged", start=since, end=ANCHOR)
            assert len(group.entries) == len(log) == 604
            lower_limits(dense, monkeypatch, changelog_entries=50)
            progress = Progress()
            split_group = await dms.changelog_read("PROT", start=since, end=ANCHOR,
                                                   progress=progress)
            split_log = await dms.changelog("Dense:Logged", start=since, end=ANCHOR)
        assert split_group.group == "PROT"
        assert texts(split_group.entries) == texts(group.entries)   # newest first, as the DMS
        assert texts(split_log) == texts(log)
        stamps = [e.stamp for e in split_log]
        assert stamps == sorted(stamps, reverse=True)
        assert len(progress.seen) > 12
        progress.check(len(group.entries))

    backend.run(body)


def texts(entries: list[ChangelogEntry]) -> list[tuple[str, str]]:
    return [(e.stamp_text, e.text) for e in entries]


def test_stamps_are_checked_before_sending(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        async with backend.connect(sim.url) as dms:
            with pytest.raises(EncodeError, match="ISO 8601"):
                await dms.history("Plant:Trend", start="-1d")
            with pytest.raises(EncodeError, match="before start"):
                await dms.history("Plant:Trend", start=ANCHOR, end=ANCHOR - DAY)
            with pytest.raises(EncodeError, match="ISO 8601"):
                await dms.changelog_read("ABS1", start="yesterday")
            with pytest.raises(EncodeError, match="naive"):
                await dms.changelog("Plant:Pump", start=datetime(2024, 5, 1))
            assert dms.core.dropped_responses == 0
            # relative times count from the client's clock; the simulator's stands at ANCHOR
            recent = await dms.history("Plant:Trend", start=timedelta(hours=-1))
            assert len(recent) == 0
            offset = datetime.now(UTC) - ANCHOR
            back = await dms.history("Plant:Trend", start=-offset - timedelta(hours=6),
                                     end=-offset, interval=3600)
            assert 5 <= len(back) <= 7
            iso = await dms.history("Plant:Trend", start="2024-05-01T06:00:00Z",
                                    end="2024-05-01T14:00:00,000+02:00", interval=3600)
            assert len(iso) == 7

    backend.run(body)


class DropAfter(Progress):
    """Progress that has the simulator drop the connection under the request after answer ``n``."""

    def __init__(self, sim: LoopSim, n: int, times: int = 1, command: str = "get") -> None:
        super().__init__()
        self.sim, self.n, self.times, self.command = sim, n, times, command

    def __call__(self, progress: RangeProgress) -> None:
        super().__call__(progress)
        if len(self.seen) == self.n:
            for _ in range(self.times):  # a DMS restart: the request gets no answer
                self.sim.fault("close_next", 1012, "Service restart", match=self.command)


def test_a_long_read_goes_on_after_a_reconnect(
    backend: Backend, dense: LoopSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def body() -> None:
        async with backend.connect(dense.url, reconnect=FAST) as dms:
            whole = await dms.history("Dense:Trend", start=ANCHOR - DAY, end=ANCHOR, interval=0)
            lower_limits(dense, monkeypatch, hist_entries=1000)
            progress = DropAfter(dense, 3)
            with anyio.fail_after(20):
                split = await dms.history("Dense:Trend", start=ANCHOR - DAY, end=ANCHOR,
                                          interval=0, progress=progress)
            assert dms.reconnects == 1
            assert_joined(whole, split)   # nothing lost, nothing twice
            progress.check(len(whole))    # one answer per window: the lost one came later
            lower_limits(dense, monkeypatch, changelog_entries=50)
            log = DropAfter(dense, 2, command="changelogRead")
            with anyio.fail_after(20):
                entries = await dms.changelog_read("PROT", start=ANCHOR - DAY, end=ANCHOR,
                                                   progress=log)
            assert dms.reconnects == 2
            assert len(entries.entries) == 604 and len(set(texts(entries.entries))) == 604

    backend.run(body)


def test_without_reconnecting_a_long_read_fails_with_the_lost_connection(
    backend: Backend, dense: LoopSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def body() -> None:
        async with backend.connect(dense.url) as dms:
            lower_limits(dense, monkeypatch, hist_entries=1000)
            with anyio.fail_after(10), pytest.raises(ConnectionLost, match="1012"):
                await dms.history("Dense:Trend", start=ANCHOR - DAY, end=ANCHOR, interval=0,
                                  progress=DropAfter(dense, 2))

    backend.run(body)


def test_a_window_lost_every_time_is_given_up(
    backend: Backend, dense: LoopSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def body() -> None:
        async with backend.connect(dense.url, reconnect=FAST) as dms:
            lower_limits(dense, monkeypatch, hist_entries=1000)
            progress = DropAfter(dense, 2, times=RESUME_TRIES + 1)
            with anyio.fail_after(20), pytest.raises(ConnectionLost, match="1012"):
                await dms.history("Dense:Trend", start=ANCHOR - DAY, end=ANCHOR, interval=0,
                                  progress=progress)
            # asked again RESUME_TRIES times, no more (a next time would have been answered)
            assert dense.call(lambda: dense.faults.pending) == 0
            assert len(progress.seen) == 2
            point = await dms.get("Dense:Trend")   # the client itself goes on
            assert point.path == "Dense:Trend" and dms.reconnects == RESUME_TRIES + 1

    backend.run(body)
