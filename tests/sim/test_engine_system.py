"""tick (System:Time, blinkers), restart, and the demo plant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dmsproto.sim import Engine, demo_plant_path, load_plant
from dmsproto.sim.plant import PlantError
from dmsproto.sim.testing import Harness, StepClock
from dmsproto.sim.wire import as_json


def test_tick_sets_time_every_call_and_flips_blinkers() -> None:
    h = Harness()
    s = h.session()
    h.request(s, {"subscribe": [{"path": "System", "query": {"maxDepth": 0}, "event": "*"}]})
    first = h.tick()  # at the time the engine was made: nothing changed but the onSet
    assert len(first) == 1 and first[0].session is s
    h.check(first[0].frame)
    assert [(e["code"], e["path"], e["value"]) for e in first[0].frame["event"]] == [
        ("onSet", "System:Time", "11:00:00")]
    assert all(e["trigger"] == "<SYS>" for e in first[0].frame["event"])
    assert first[0].frame["event"][0]["stamp"] == "2026-01-15T11:00:00,000+01:00"
    h.clock.advance(0.5)
    second = h.tick()[0].frame["event"]
    assert [(e["code"], e["path"], e["value"], e["stamp"]) for e in second] == [
        ("onSet", "System:Time", "11:00:00", "2026-01-15T11:00:00,500+01:00"),
        ("onChange", "System:Blinker:Blink1", False, "2026-01-15T11:00:00,500+01:00"),
        ("onSet", "System:Blinker:Blink1", False, "2026-01-15T11:00:00,500+01:00"),
    ]
    h.clock.advance(1.5)  # 2 s after start: Blink1 lit again, Blink4 in its dark half
    third = h.tick()[0].frame["event"]
    assert [(e["code"], e["path"], e["value"]) for e in third] == [
        ("onChange", "System:Time", "11:00:02"),
        ("onSet", "System:Time", "11:00:02"),
        ("onChange", "System:Blinker:Blink1", True),
        ("onSet", "System:Blinker:Blink1", True),
        ("onChange", "System:Blinker:Blink4", False),
        ("onSet", "System:Blinker:Blink4", False),
    ]


def test_tick_without_subscribers_delivers_nothing_but_updates() -> None:
    h = Harness()
    h.clock.advance(3)
    assert h.tick() == []
    node = h.engine.tree.get("System:Time")
    assert node is not None and node.value == "11:00:03"


def test_system_time_and_blinkers_are_right_before_the_first_tick() -> None:
    clock = StepClock(datetime(2026, 1, 15, 10, 0, 1, 250_000, tzinfo=UTC))
    engine = Engine(load_plant(), clock=clock)
    reply = as_json(engine.handle_message(engine.open_session(), {"get": [
        "System:Time", "System:Blinker:Blink0.5", "System:Blinker:Blink1",
        "System:Blinker:Blink2"]}).response)
    assert [(i["value"], i["stamp"]) for i in reply["get"]] == [
        ("11:00:01", "2026-01-15T11:00:01,250+01:00"),
        (False, "2026-01-15T11:00:01,250+01:00"),  # 1.25 s into the epoch's 0.5 s periods
        (True, "2026-01-15T11:00:01,250+01:00"),
        (False, "2026-01-15T11:00:01,250+01:00"),
    ]


def test_each_blinker_flips_at_its_own_period_whatever_the_tick() -> None:
    """Blink0.5 flips every 0.25 s, Blink1 every 0.5 s, Blink2 every 1 s: a server that
    wakes at next_blink() sees every flip, also between its 1 s System:Time ticks."""
    clock = StepClock(datetime(2026, 1, 15, 10, 0, 0, tzinfo=UTC))
    engine = Engine(load_plant(), clock=clock)
    session = engine.open_session()
    engine.handle_message(session, {"subscribe": [
        {"path": "System:Blinker", "query": {"maxDepth": 1}}]})
    seen: list[tuple[float, str, bool]] = []
    start = clock.now
    while clock.now < start + timedelta(seconds=2):
        due = engine.next_blink()
        assert due is not None and due > clock.now
        clock.now = due
        for delivery in engine.blink():
            seen += [((clock.now - start).total_seconds(), e.path, e.value)
                     for e in delivery.frame.event]
    by_path: dict[str, list[float]] = {}
    for at, path, _ in seen:
        by_path.setdefault(path.rsplit(":", 1)[1], []).append(at)
    assert by_path["Blink0.5"] == [0.25 * k for k in range(1, 9)]
    assert by_path["Blink1"] == [0.5 * k for k in range(1, 5)]
    assert by_path["Blink2"] == [1.0, 2.0]
    assert by_path["Blink0.25"] == [0.125 * k for k in range(1, 17)]


def test_restart_clears_stamps_and_keeps_values() -> None:
    h = Harness()
    h.engine.restart()
    reply = h.request(h.session(), {"get": ["B:X", "A:Str"]})
    assert reply.response == {"get": [
        {"code": "ok", "path": "B:X", "value": 0, "type": "int", "stamp": None},
        {"code": "ok", "path": "A:Str", "value": "hello", "type": "string", "stamp": None},
    ]}


def test_summer_time_offset_in_server_stamps() -> None:
    h = Harness()
    reply = h.request(h.session(), {"whois": "w", "user": "", "set": [
        {"path": "B:X", "value": 1, "stamp": "2015-04-28T07:10:11Z"}]})
    assert reply.response is not None
    assert reply.response["set"][0]["stamp"] == "2015-04-28T09:10:11,000+02:00"


def test_engine_zone_can_be_overridden() -> None:
    h = Harness(zone="UTC")
    reply = h.request(h.session(), {"get": ["B:X"]})
    assert reply.response is not None
    assert reply.response["get"][0]["stamp"] == "2026-01-15T10:00:00,000+00:00"


def test_demo_plant_loads_deterministically() -> None:
    clock = StepClock(datetime(2026, 3, 1, 12, 7, 30, tzinfo=UTC))
    first = Engine(load_plant(), clock=clock)
    second = Engine(load_plant(demo_plant_path()), clock=clock)
    request = {"get": [{"path": "Plant:AHU1:TempSupply",
                        "histData": {"start": "2026-02-28T00:00:00Z", "format": "detail"}}]}
    a = as_json(first.handle_message(first.open_session(), request).response)
    b = as_json(second.handle_message(second.open_session(), request).response)
    assert a == b and a is not None
    entries = a["get"][0]["histData"]
    assert entries[-1]["stamp"] == "2026-03-01T13:00:00,000+01:00"  # last 15-minute boundary
    assert a["get"][0]["value"] == entries[-1]["value"]


def test_demo_plant_has_the_promised_parts() -> None:
    h = Harness()  # only for its schema check
    engine = Engine(load_plant(), clock=StepClock())
    s = engine.open_session()
    assert len(engine.tree) > 250
    reply = h.view(engine.handle_message(s, {"changelogGetGroups": [], "get": [
        "System:Time", "System:Blinker:Blink0.5", "Plant:AHU1:Filter:Alarm", "Test:Array[2]",
        "Test:Names",
        {"path": "Plant:HC2:Pump:RunHours", "showExtInfos": ["name", "template", "unit"]},
        {"path": "", "query": {"hasAlarmData": True, "maxDepth": 0}},
        {"path": "", "query": {"hasHistData": True, "maxDepth": 0}},
    ]}))
    assert reply.response is not None
    assert reply.response["changelogGetGroups"] == [{"code": "ok",
                                                     "groups": ["ABS1", "ALARMS", "PROT"]}]
    items = reply.response["get"]
    assert [(i["path"], i["type"], i["value"]) for i in items[:5]] == [
        ("System:Time", "string", "11:00:00"), ("System:Blinker:Blink0.5", "bool", True),
        ("Plant:AHU1:Filter:Alarm", "bool", True), ("Test:Array[2]", "int", 12),
        ("Test:Names", "string", "(a,b,c)")]
    assert items[5]["extInfos"] == {"name": "Pump running hours", "template": "HeatingCircuit",
                                    "unit": "h"}
    rest = [i["path"] for i in items[6:]]
    assert {"Plant:AHU1:Filter:Alarm", "Plant:Boiler:Lockout", "Plant:HC1:Pump:Fault"} <= set(
        rest)
    assert len([p for p in rest if p.endswith(":TempFlow")]) == 4  # 3 circuits + boiler
    assert len(engine.tick()) == 0
    assert engine.tree.get("System:Time") is not None


def test_a_plant_file_that_is_not_json_says_so_in_our_words(tmp_path: Path) -> None:
    broken = tmp_path / "plant.json"
    broken.write_text('{"points": {"A": {"type": "int", "value": NaN}}}', encoding="utf-8")
    with pytest.raises(PlantError, match=r"is not a plant file: not JSON: unexpected character"):
        load_plant(broken)
