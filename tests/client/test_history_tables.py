"""History from the simulator as pandas DataFrames and Arrow tables (extra dmsproto[pandas])."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import timedelta

import pandas as pd
import pyarrow as pa
import pytest

import dmsproto.client as dc
from dmsproto.errors import MissingExtraError
from dmsproto.results import History
from dmsproto.sim.server import Simulator
from tests.support.client import ANCHOR


@pytest.mark.trio
async def test_compact_and_detail_history_as_frames_and_tables(
    sim_factory: Callable[..., Simulator],
) -> None:
    async with sim_factory() as sim, dc.connect(sim.url) as dms:
        start = ANCHOR - timedelta(hours=6)
        compact = await dms.history("Plant:Trend", start=start, end=ANCHOR, interval=900)
        detail = await dms.history("Plant:Trend", start=start, end=ANCHOR, interval=900,
                                   format="detail")
    frame = compact.to_pandas()
    assert list(frame.columns) == ["value"] and frame.index.name == "stamp"
    assert str(frame["value"].dtype) == "float64"
    assert isinstance(frame.index, pd.DatetimeIndex) and str(frame.index.tz) == "UTC"
    assert frame.index[0] == pd.Timestamp(compact[0].stamp)
    assert frame["value"].tolist() == compact.values
    assert frame.attrs["path"] == "Plant:Trend"
    local = compact.to_pandas(tz="Europe/Zurich")
    assert str(local.index.tz) == "Europe/Zurich" and local.index[0] == frame.index[0]
    assert local.index[0].utcoffset() == timedelta(hours=2)   # summer time in May

    table = compact.to_arrow()
    assert table.column_names == ["stamp", "value"]
    assert table.schema.field("stamp").type == pa.timestamp("ms", tz="UTC")
    assert table.schema.metadata == {b"path": b"Plant:Trend"}
    assert table.column("value").to_pylist() == compact.values

    rich = detail.to_pandas()
    assert list(rich.columns) == ["value", "state", "rec", "mod", "value_original",
                                  "stamp_modified"]
    assert str(rich["state"].dtype) == "category" and set(rich["state"]) <= {"ok", "comErr",
                                                                             "inv"}
    assert rich["value_original"].isna().all() and rich["stamp_modified"].isna().all()
    assert detail.to_arrow().num_rows == len(detail) == len(compact)


def test_without_the_extra_the_message_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    history = History("A:B", ["2026-11-23T07:41:02,282+01:00"], [1.0])
    monkeypatch.setitem(sys.modules, "pandas", None)   # import pandas fails as if absent
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'dmsproto\[pandas\]'"):
        history.to_pandas()
    with pytest.raises(ImportError, match="pyarrow"):
        history.to_arrow()
