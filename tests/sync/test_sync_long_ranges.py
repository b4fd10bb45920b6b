"""The blocking client reads long ranges in parts as the trio client does."""

from __future__ import annotations

from datetime import timedelta

import pytest

import dmsproto.client._base as client_module  # where the calls live
from dmsproto import sync
from dmsproto.errors import EncodeError
from dmsproto.protocol.ranges import RangeProgress
from dmsproto.sim.limits import Limits
from tests.support.client import FAST
from tests.support.sync import ANCHOR, SimThread


def test_history_over_the_limit_with_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    with SimThread() as sim, sync.connect(sim.url) as dms:
        start = ANCHOR - timedelta(days=1)
        whole = dms.history("Plant:Trend", start=start, end=ANCHOR, interval=0)
        assert len(whole) > 60
        sim.sim.engine.limits = Limits(hist_entries=20)     # the simulator cuts at 20,
        monkeypatch.setattr(client_module, "HISTORY_CUT", 20)  # and the client knows it
        seen: list[RangeProgress] = []
        split = dms.history("Plant:Trend", start=start, end=ANCHOR, interval=0,
                            progress=seen.append)
        assert split.stamp_texts == whole.stamp_texts and split.values == whole.values
        assert len(seen) >= len(whole) // 20 and seen[-1].fraction == 1.0
        with pytest.raises(EncodeError, match="ISO 8601"):
            dms.history("Plant:Trend", start="-1d")


def test_a_long_read_goes_on_after_a_reconnect(monkeypatch: pytest.MonkeyPatch) -> None:
    with SimThread() as sim, sync.connect(sim.url, reconnect=FAST) as dms:
        start = ANCHOR - timedelta(days=1)
        whole = dms.history("Plant:Trend", start=start, end=ANCHOR, interval=0)
        sim.sim.engine.limits = Limits(hist_entries=20)
        monkeypatch.setattr(client_module, "HISTORY_CUT", 20)
        seen: list[RangeProgress] = []

        def progress(step: RangeProgress) -> None:
            seen.append(step)
            if len(seen) == 2:  # the DMS restarts under the next request
                sim.sim.faults.close_next(1012, "Service restart", match="get")

        split = dms.history("Plant:Trend", start=start, end=ANCHOR, interval=0,
                            progress=progress)
        assert dms.reconnects == 1
        assert split.stamp_texts == whole.stamp_texts and split.values == whole.values
        assert [s.requests for s in seen] == list(range(1, len(seen) + 1))
