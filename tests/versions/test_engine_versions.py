"""The simulator speaks 1.3, 1.4 and 1.5: v1.5 history with showPast/showOriginal
(histDataPast, mod, valueOriginal, stampModified) from a plant with a rewritten past;
1.3 refuses the change-log commands and searches with hasProtData."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dmsproto.sim.engine import Engine
from dmsproto.sim.history import History
from dmsproto.sim.plant import PlantError, demo_plant_path, load_plant
from dmsproto.sim.testing import Harness, tiny_plant
from dmsproto.versions import UnknownVersionError

OUTDOOR = "Plant:AHU1:TempOutdoor"  # the demo plant corrected two records and backfilled one
T0_LOCAL = "2026-01-15T11:00:00,000+01:00"


def demo(protocol: str) -> Harness:
    plant: dict[str, Any] = json.loads(demo_plant_path().read_text("utf-8"))
    return Harness(plant, protocol=protocol)


def hist_item(h: Harness, path: str, spec: dict[str, Any]) -> dict[str, Any]:
    reply = h.request(h.session(), {"get": [{"path": path, "histData": spec}]})
    assert reply.response is not None
    item: dict[str, Any] = reply.response["get"][0]
    assert item["code"] == "ok", item
    return item


DAY = {"start": "2026-01-14T10:00:00Z", "interval": 0, "format": "detail"}


def test_v15_detail_marks_modified_and_past_records_and_shows_originals() -> None:
    h = demo("1.5")
    item = hist_item(h, OUTDOOR, {**DAY, "showOriginal": True})
    marked = [e for e in item["histData"] if "mod" in e]
    assert [(e["stamp"], e["mod"], e["value"]) for e in marked] == [
        ("2026-01-15T04:45:00,000+01:00", "modified", 7.4),
        ("2026-01-15T05:00:00,000+01:00", "modified", 7.5),
        ("2026-01-15T07:50:00,000+01:00", "past", 9.1),
    ]
    assert all(isinstance(e["valueOriginal"], float) for e in marked[:2])
    assert marked[0]["valueOriginal"] != 7.4
    assert "valueOriginal" not in marked[2]  # inserted, never had another value
    assert all("stampModified" not in e for e in item["histData"])
    assert "histDataPast" not in item
    # without showOriginal the mark stays, the original does not come
    plain = hist_item(h, OUTDOOR, DAY)
    assert [e.get("mod") for e in plain["histData"]] == [e.get("mod") for e in item["histData"]]
    assert all("valueOriginal" not in e for e in plain["histData"])


def test_v15_show_past_lists_records_changed_within_start_end() -> None:
    h = demo("1.5")
    item = hist_item(h, OUTDOOR, {**DAY, "showPast": True, "showOriginal": True})
    past = item["histDataPast"]
    assert [(e["stamp"], e["mod"], e["stampModified"]) for e in past] == [
        ("2026-01-15T04:45:00,000+01:00", "modified", "2026-01-15T10:00:00,000+01:00"),
        ("2026-01-15T05:00:00,000+01:00", "modified", "2026-01-15T10:00:00,000+01:00"),
        ("2026-01-15T07:50:00,000+01:00", "past", "2026-01-15T10:30:00,000+01:00"),
    ]
    assert "valueOriginal" in past[0] and "valueOriginal" not in past[2]
    # "changed within start..end" means the time of the change, not the record's stamp
    late = hist_item(h, OUTDOOR, {"start": "2026-01-15T09:15:00Z", "interval": 0,
                                  "format": "detail", "showPast": True})
    assert [e["stamp"] for e in late["histDataPast"]] == ["2026-01-15T07:50:00,000+01:00"]
    assert all(e["stamp"] >= "2026-01-15T10:15" for e in late["histData"])
    # compact: same entries, compact form
    compact = hist_item(h, OUTDOOR, {"start": "2026-01-14T10:00:00Z", "showPast": True})
    assert compact["histDataPast"] == [{e["stamp"]: e["value"]} for e in past]


def test_v15_interpolated_grid_points_carry_no_mark() -> None:
    h = demo("1.5")
    item = hist_item(h, OUTDOOR, {"start": "2026-01-15T03:44:00Z", "end": "2026-01-15T04:10:00Z",
                                  "interval": 300, "format": "detail", "showOriginal": True})
    assert item["histData"] and all("mod" not in e for e in item["histData"])


def test_v14_and_v13_show_the_corrected_values_without_marks() -> None:
    for protocol in ("1.4", "1.3"):
        h = demo(protocol)
        item = hist_item(h, OUTDOOR, DAY)
        entry = next(e for e in item["histData"] if e["stamp"] == "2026-01-15T05:00:00,000+01:00")
        assert entry == {"stamp": "2026-01-15T05:00:00,000+01:00", "value": 7.5, "state": "ok",
                         "rec": "cycle"}
        reply = h.request(h.session(), {"get": [{"path": OUTDOOR, "histData": {
            **DAY, "showPast": True}}]})
        assert reply.response is not None and reply.response["get"][0]["code"] == "error"


@pytest.mark.parametrize("command", [
    {"changelogRead": [{"group": "ABS1", "start": "2026-01-14T00:00:00Z"}]},
    {"changelogGetGroups": []},
])
def test_v13_refuses_change_log_commands_as_unknown_commands(command: dict[str, Any]) -> None:
    h = Harness(protocol="1.3")
    name = next(iter(command))
    reply = h.request(h.session(), {**command, "tag": 7})
    assert reply.fatal == f"Unknown command '{name}'"
    assert reply.response == {"tag": 7, "get": [{"code": "error", "message": reply.fatal}]}
    # the same request is fine for 1.4
    h14 = Harness()
    ok = h14.request(h14.session(), command)
    assert ok.fatal is None


def test_v13_refuses_v14_get_members() -> None:
    h = Harness(protocol="1.3")
    reply = h.request(h.session(), {"get": [
        {"path": "A:Int", "changelog": {"start": "2026-01-14T00:00:00Z"}},
        {"path": "A:Int", "showExtInfos": ["state"]},
        {"path": "A", "query": {"hasChangelog": True}},
        {"path": "A:Int", "showExtInfos": ["unit", "accType"]},
    ]})
    assert reply.response is not None
    codes = [i["code"] for i in reply.response["get"]]
    assert codes == ["error", "error", "error", "ok"]
    assert reply.response["get"][3]["extInfos"] == {"unit": "h", "accType": "int32"}


def test_v13_query_has_prot_data_finds_logged_datapoints() -> None:
    h13, h14 = Harness(protocol="1.3"), Harness()
    found13 = h13.request(h13.session(), {"get": [
        {"path": "", "query": {"hasProtData": True, "maxDepth": 0}}]}).response
    found14 = h14.request(h14.session(), {"get": [
        {"path": "", "query": {"hasChangelog": True, "maxDepth": 0}}]}).response
    assert found13 is not None and found14 is not None
    assert [i["path"] for i in found13["get"]] == ["A:Alarm", "A:Int"]
    assert found13 == found14
    refused = h14.request(h14.session(), {"get": [{"path": "", "query": {"hasProtData": True}}]})
    assert refused.response is not None and refused.response["get"][0]["code"] == "error"


def test_v13_subscription_query_has_prot_data() -> None:
    h = Harness(protocol="1.3")
    s = h.session()
    reply = h.request(s, {"subscribe": [{"path": "A", "query": {"hasProtData": True,
                                                                "maxDepth": 0}, "tag": "t"}]})
    assert reply.response is not None and reply.response["subscribe"][0]["code"] == "ok"
    events = h.write("A:Int", 45, trigger="test") + h.write("B:X", 1)
    assert [d.frame["event"][0]["path"] for d in events] == ["A:Int"]


def test_engine_refuses_text_that_is_not_a_version() -> None:
    with pytest.raises(UnknownVersionError):
        Engine(load_plant(tiny_plant()), protocol="latest")
    assert Engine(load_plant(tiny_plant()), protocol="0.1").validating is False


def test_history_modify_keeps_first_original_and_past_needs_a_record() -> None:
    hist = History()
    for t in (0.0, 900.0, 1800.0):
        hist.record(t, t / 100)
    hist.modify(900.0, 1.0, at=5000.0)
    hist.modify(900.0, 2.0, at=6000.0)
    [p] = hist.read_past(5500.0, 7000.0)
    assert (p.value, p.change and p.change.original, p.change and p.change.at) == (2.0, 9.0,
                                                                                   6000.0)
    with pytest.raises(KeyError):
        hist.modify(100.0, 1.0, at=7000.0)
    hist.insert_past(1000.0, 4.0, at=8000.0)
    assert [x.t for x in hist.read(0, 2000, 0, step=False)] == [0.0, 900.0, 1000.0, 1800.0]
    assert [x.t for x in hist.read_past(0, 10_000)] == [900.0, 1000.0]


def test_plant_change_errors() -> None:
    plant = tiny_plant()
    plant["points"]["A:Dbl"]["history"]["changes"] = [{"mod": "moved", "ago": 900}]
    with pytest.raises(PlantError, match="mod must be"):
        Harness(plant)
    plant["points"]["A:Dbl"]["history"]["changes"] = [
        {"mod": "past", "ago": 900, "value": 1, "modifiedAgo": 1800}]
    with pytest.raises(PlantError, match="cannot be made before"):
        Harness(plant)


def test_demo_stamp_anchor() -> None:
    h = demo("1.5")
    item = hist_item(h, OUTDOOR, {"start": "2026-01-15T09:45:00Z", "format": "detail",
                                  "interval": 0})
    assert item["histData"][-1]["stamp"] == T0_LOCAL
