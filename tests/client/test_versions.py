"""Protocol versions in the client: v1.5 history marks, v1.3 hasProtData, early refusals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import orjson
import pytest

from dmsproto.errors import EncodeError, NotInVersionError, ProtocolError
from dmsproto.protocol import CallDone, ClientCore, Get, ReadHistory
from dmsproto.results import History, HistoryDetail, Point
from dmsproto.versions import UnknownVersionError
from tests.support.backends import Backend, LoopSim
from tests.support.client import ANCHOR, PLANT

TREND_CHANGES = [
    {"mod": "modified", "ago": 3600, "value": 99.0, "modifiedAgo": 600},
    {"mod": "past", "ago": 2250, "value": 5.5, "modifiedAgo": 300},
]


def plant_with_changes() -> dict[str, Any]:
    """The test plant whose trend was rewritten in the past (v1.5 histDataPast)."""
    points = dict(PLANT["points"])
    trend = dict(points["Plant:Trend"])
    trend["history"] = {**trend["history"], "changes": TREND_CHANGES}
    points["Plant:Trend"] = trend
    return {**PLANT, "points": points}


@pytest.mark.parametrize("transport", ["ws", "http"])
def test_v15_client_reads_hist_data_past_and_value_original(
    backend: Backend, loop_sim: Callable[..., LoopSim], transport: str
) -> None:
    sim = loop_sim(plant_with_changes(), protocol="1.5")

    async def body() -> None:
        async with backend.connect(sim.url if transport == "ws" else sim.http_url,
                                   protocol="1.5") as dms:
            assert dms.protocol == "1.5"
            start, end = ANCHOR - timedelta(hours=2), ANCHOR
            detail = await dms.history("Plant:Trend", start=start, end=end, interval=0,
                                       format="detail", show_past=True, show_original=True)
            assert isinstance(detail, HistoryDetail) and detail.path == "Plant:Trend"
            modified = [e for e in detail if e.mod == "modified"]
            assert [e.value for e in modified] == [99.0]
            assert modified[0].value_original is not None and modified[0].value_original != 99.0
            assert detail.past is not None
            assert {e.mod for e in detail.past} == {"modified", "past"}
            inserted = next(e for e in detail.past if e.mod == "past")
            assert inserted.value == 5.5
            assert inserted.stamp_modified_at == ANCHOR - timedelta(seconds=300)

            compact = await dms.history("Plant:Trend", start=start, end=end, interval=0,
                                        show_past=True)
            assert isinstance(compact, History) and compact.past is not None
            assert sorted(compact.past.values) == [5.5, 99.0]
            plain = await dms.history("Plant:Trend", start=start, end=end, interval=0)
            assert plain.past is None and plain.values == compact.values

    backend.run(body)


def test_v13_client_searches_with_has_prot_data(
    backend: Backend, loop_sim: Callable[..., LoopSim]
) -> None:
    sim = loop_sim(PLANT, protocol="1.3")

    async def body() -> None:
        async with backend.connect(sim.url, protocol="1.3") as dms:
            logged = await dms.query("", has_prot_data=True, max_depth=0)
            assert sorted(p.path for p in logged) == ["Plant:Fault", "Plant:Pump"]
            unlogged = await dms.query("Plant", has_prot_data=False, max_depth=0,
                                       regex_path=".*Istwert")
            assert sorted(p.path for p in unlogged) == ["Plant:T1:Istwert", "Plant:T2:Istwert"]
            async with dms.subscribe("Plant", has_prot_data=True, max_depth=0) as sub:
                await dms.set("Plant:T1:Istwert", 1.0)  # not logged: no event
                await dms.set("Plant:Pump", True)
                event = await sub.__anext__()
            assert event.path == "Plant:Pump"

    backend.run(body)


def test_v13_refuses_changelog_calls_before_sending(
    backend: Backend, loop_sim: Callable[..., LoopSim]
) -> None:
    sim = loop_sim(PLANT, protocol="1.3")

    async def body() -> None:
        async with backend.connect(sim.url, protocol="1.3") as dms:
            sent_before = dms.core._next_id
            with pytest.raises(NotInVersionError, match=r"changelog_groups.*1\.3"):
                await dms.changelog_groups()
            with pytest.raises(NotInVersionError, match=r"changelog_read.*1\.3"):
                await dms.changelog_read("ABS1", start=ANCHOR)
            with pytest.raises(NotInVersionError, match=r"changelog.*1\.3"):
                await dms.changelog("Plant:Pump", start=ANCHOR)
            with pytest.raises(NotInVersionError, match=r"has_changelog.*1\.3"):
                await dms.query("", has_changelog=True)
            with pytest.raises(EncodeError, match="unknown ext_infos"):
                await dms.get("Test:Int", ext_infos={"state"})  # v1.4 addition
            assert dms.core._next_id == sent_before  # nothing was sent
            assert (await dms.get("Test:Int", ext_infos={"unit"})).ext_infos is not None

    backend.run(body)


def test_version_specific_options_are_refused_elsewhere() -> None:
    v14 = ClientCore(protocol="1.4")
    with pytest.raises(NotInVersionError, match=r"show_past.*1\.5"):
        v14.start_call([ReadHistory("A", ANCHOR, show_past=True)])
    with pytest.raises(NotInVersionError, match="has_prot_data"):
        from dmsproto.protocol import query_object

        query_object(has_prot_data=True, protocol="1.4")
    with pytest.raises(UnknownVersionError):
        ClientCore(protocol="9.9")
    v15 = ClientCore(protocol="1.5")
    call = v15.start_call([ReadHistory("A", ANCHOR, format="detail", show_original=True)])
    [item] = orjson.loads(call.frames[0])["get"]
    assert item["histData"]["showOriginal"] is True and "showPast" not in item["histData"]


def test_validate_requests_checks_the_frame_with_the_schema() -> None:
    proto = ClientCore(validate_requests=True)
    proto.start_call([Get("A:B")])  # valid: no error
    bad_index = "A:B[0]"
    with pytest.raises(EncodeError, match="array-index"):
        proto.start_call([Get(bad_index)])
    assert proto.pending_calls == 1  # the refused frame was never registered
    ClientCore().start_call([Get(bad_index)])  # without the option the server decides


def test_lenient_and_strict_decoding_of_a_drifting_server() -> None:
    """An odd stamp is accepted by default and fails only its call when strict."""
    frame = {"get": [{"code": "ok", "path": "A", "value": 1, "type": "uint", "stamp": "soon"}]}
    lenient = ClientCore()
    call = lenient.start_call([Get("A")])
    lenient.receive(orjson.dumps({"tag": call.ids[0], **frame}))
    [point] = call.results()
    assert isinstance(point, Point) and (point.type, point.stamp_text) == ("uint", "soon")

    strict = ClientCore(strict_decoding=True)
    call = strict.start_call([Get("A")])
    other = strict.start_call([Get("B")])
    events = strict.receive(orjson.dumps({"tag": call.ids[0], **frame}))
    assert call.done and other.remaining == 1 and events == [CallDone(call)]
    assert strict.stats.failed_calls == 1
    with pytest.raises(ProtocolError, match="/get/0/type"):
        call.results()


def test_invalid_event_items_are_dropped_and_reported() -> None:
    proto = ClientCore(strict_decoding=True)
    sub = proto.add_subscription("A", tag="s")
    items = [
        {"code": "onChange", "path": "A", "value": 1, "tag": "s"},
        {"code": "onExplode", "path": "A", "value": 2, "tag": "s"},
        {"code": "onChange", "path": "A", "value": 3, "tag": "s"},
    ]
    events = proto.receive(orjson.dumps({"event": items}))
    kinds = sorted(type(e).__name__ for e in events)
    assert kinds == ["BadFrame", "SubscriptionData"]
    assert proto.invalid_events == 1
    got = [sub.pop(), sub.pop(), sub.pop()]
    assert [getattr(g, "value", None) for g in got] == [1, 3, None]
