"""The client speaks the protocol version it is told to, end to end against the simulator:
a v1.5 client reads histDataPast and valueOriginal; a 1.3 client searches with
hasProtData and refuses v1.4-only calls before sending anything."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

import dmsproto.client as dc
from dmsproto.errors import NotInVersionError
from dmsproto.sim.plant import demo_plant_path
from dmsproto.sim.server import Simulator
from dmsproto.sim.testing import tiny_plant

pytestmark = pytest.mark.trio

NOW = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
OUTDOOR = "Plant:AHU1:TempOutdoor"  # the demo plant corrected two records and backfilled one
TRANSPORTS = ["ws", "http"]


def clock() -> datetime:
    return NOW


def url_of(sim: Simulator, transport: str) -> str:
    return sim.url if transport == "ws" else sim.http_url


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_v15_client_reads_hist_data_past_and_value_original(
    make_sim: Callable[..., Simulator], transport: str
) -> None:
    start = datetime(2026, 1, 14, 10, 0, tzinfo=UTC)
    async with make_sim(demo_plant_path(), clock=clock, protocol="1.5") as sim, \
            dc.connect(url_of(sim, transport), protocol="1.5") as dms:
        assert dms.protocol == "1.5"
        detail = await dms.history(OUTDOOR, start=start, interval=0, format="detail",
                                   show_past=True, show_original=True)
        assert detail.past is not None
        assert [(e.stamp_text, e.mod) for e in detail.past] == [
            ("2026-01-15T04:45:00,000+01:00", "modified"),
            ("2026-01-15T05:00:00,000+01:00", "modified"),
            ("2026-01-15T07:50:00,000+01:00", "past"),
        ]
        assert detail.past[1].value == 7.5
        assert detail.past[1].value_original is not None and detail.past[1].value_original != 7.5
        assert detail.past[2].value_original is None
        assert detail.past[2].stamp_modified_at == datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
        modified = [e for e in detail if e.mod == "modified"]
        assert [e.value_original for e in modified] == [e.value_original for e in detail.past[:2]]
        compact = await dms.history(OUTDOOR, start=start, show_past=True)
        assert compact.past is not None
        assert list(compact.past.stamp_texts) == [e.stamp_text for e in detail.past]
        plain = await dms.history(OUTDOOR, start=start, interval=0, format="detail")
        assert plain.past is None and all(e.value_original is None for e in plain)


async def test_v14_client_refuses_v15_options(make_sim: Callable[..., Simulator]) -> None:
    async with make_sim(demo_plant_path(), clock=clock) as sim, dc.connect(sim.url) as dms:
        with pytest.raises(NotInVersionError):
            await dms.history(OUTDOOR, start=NOW, show_past=True)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_v13_client_searches_with_has_prot_data(
    make_sim: Callable[..., Simulator], transport: str
) -> None:
    async with make_sim(tiny_plant(), clock=clock, protocol="1.3") as sim, \
            dc.connect(url_of(sim, transport), protocol="1.3") as dms:
        found = await dms.query("", has_prot_data=True, max_depth=0)
        assert [p.path for p in found] == ["A:Alarm", "A:Int"]
        with pytest.raises(NotInVersionError):
            await dms.query("", has_changelog=True)
        with pytest.raises(NotInVersionError):
            await dms.changelog_groups()
        # the connection is still fine: nothing was sent for the refused calls
        assert (await dms.get("A:Int")).value == 44


async def test_v14_client_refuses_has_prot_data(make_sim: Callable[..., Simulator]) -> None:
    async with make_sim(tiny_plant(), clock=clock) as sim, dc.connect(sim.url) as dms:
        with pytest.raises(NotInVersionError):
            await dms.query("", has_prot_data=True)
        assert [p.path for p in await dms.query("", has_changelog=True, max_depth=0)] == [
            "A:Alarm", "A:Int"]
