"""get with histData (raw, interpolated, formats, limits) and with changelog."""

from __future__ import annotations

from typing import Any

from dmsproto.sim.history import History
from dmsproto.sim.limits import MAX_HIST_ENTRIES, Limits
from dmsproto.sim.testing import T0, Harness

EPOCH0 = T0.timestamp()


def with_history(h: Harness, path: str = "A:Dbl") -> None:
    node = h.engine.tree.get(path)
    assert node is not None
    node.history = History(
        times=[EPOCH0 - 1800, EPOCH0 - 900, EPOCH0],
        values=[1.0, 2.0, 4.0],
        states=["ok", "comErr", "ok"],
        recs=["cycle", "change", "cycle"],
    )


def hist(h: Harness, path: str, spec: dict[str, Any]) -> Any:
    reply = h.request(h.session(), {"get": [{"path": path, "histData": spec}]})
    assert reply.response is not None
    return reply.response["get"][0]


def test_interval_zero_returns_every_record_compact() -> None:
    h = Harness()
    with_history(h)
    item = hist(h, "A:Dbl", {"start": "2026-01-15T09:00:00Z", "interval": 0})
    assert item["code"] == "ok" and item["value"] == 10.0
    assert item["histData"] == [
        {"2026-01-15T10:30:00,000+01:00": 1.0},
        {"2026-01-15T10:45:00,000+01:00": 2.0},
        {"2026-01-15T11:00:00,000+01:00": 4.0},
    ]


def test_interval_zero_detail_and_range_bounds_inclusive() -> None:
    h = Harness()
    with_history(h)
    item = hist(h, "A:Dbl", {"start": "2026-01-15T09:45:00Z", "end": "2026-01-15T10:45:00+01:00",
                             "interval": 0, "format": "detail"})
    assert item["histData"] == [
        {"stamp": "2026-01-15T10:45:00,000+01:00", "value": 2.0, "state": "comErr",
         "rec": "change"},
    ]


def test_interval_interpolates_linearly_on_a_grid_aligned_to_start() -> None:
    h = Harness()
    with_history(h)
    item = hist(h, "A:Dbl", {"start": "2026-01-15T09:30:00Z", "end": "2026-01-15T10:00:00Z",
                             "interval": 300, "format": "detail"})
    got = [(e["stamp"][11:16], round(e["value"], 6), e["state"], e["rec"])
           for e in item["histData"]]
    assert got == [
        ("10:30", 1.0, "ok", "cycle"),
        ("10:35", round(1 + 1 / 3, 6), "comErr", "cycle"),
        ("10:40", round(1 + 2 / 3, 6), "comErr", "cycle"),
        ("10:45", 2.0, "comErr", "change"),
        ("10:50", round(2 + 2 / 3, 6), "comErr", "cycle"),
        ("10:55", round(2 + 4 / 3, 6), "comErr", "cycle"),
        ("11:00", 4.0, "ok", "cycle"),
    ]


def test_no_extrapolation_outside_recorded_data_and_default_end_is_now() -> None:
    h = Harness()
    with_history(h)
    item = hist(h, "A:Dbl", {"start": "2026-01-15T09:26:40Z", "interval": 1000})
    # grid 09:26:40 (before data, skipped), 09:43:20 (interpolated), 10:00:00 (record)
    assert item["histData"] == [
        {"2026-01-15T10:43:20,000+01:00": 1.0 + 800 / 900},
        {"2026-01-15T11:00:00,000+01:00": 4.0},
    ]


def test_default_interval_is_900_seconds() -> None:
    h = Harness()
    with_history(h)
    item = hist(h, "A:Dbl", {"start": "2026-01-15T09:30:00Z"})
    assert [next(iter(e.values())) for e in item["histData"]] == [1.0, 2.0, 4.0]


def test_int_and_bool_histories_hold_values_and_answer_integers() -> None:
    h = Harness()
    with_history(h, "A:Int")
    item = hist(h, "A:Int", {"start": "2026-01-15T09:30:00Z", "interval": 450})
    assert item["histData"] == [
        {"2026-01-15T10:30:00,000+01:00": 1},
        {"2026-01-15T10:37:30,000+01:00": 1},
        {"2026-01-15T10:45:00,000+01:00": 2},
        {"2026-01-15T10:52:30,000+01:00": 2},
        {"2026-01-15T11:00:00,000+01:00": 4},
    ]
    assert all(isinstance(v, int) for e in item["histData"] for v in e.values())


def test_plant_history_is_generated_up_to_the_clock() -> None:
    h = Harness()
    item = hist(h, "A:Dbl", {"start": "2026-01-14T00:00:00Z", "interval": 0})
    assert len(item["histData"]) == 96  # one day every 15 minutes
    assert item["histData"][-1] == {"2026-01-15T11:00:00,000+01:00": 10.0}
    assert item["histData"][0] == {"2026-01-14T11:15:00,000+01:00": 10.0}


def test_datapoint_without_history_answers_empty_hist_data() -> None:
    h = Harness()
    item = hist(h, "B:X", {"start": "2026-01-01T00:00:00Z"})
    assert item == {"code": "ok", "path": "B:X", "value": 0, "type": "int",
                    "stamp": "2026-01-15T11:00:00,000+01:00", "histData": []}


def test_writes_are_recorded_as_change_records() -> None:
    h = Harness()
    s = h.session()
    h.clock.advance(60)
    h.request(s, {"whois": "w", "user": "", "set": [{"path": "A:Dbl", "value": 12.5}]})
    item = hist(h, "A:Dbl", {"start": "2026-01-15T09:59:00Z", "interval": 0, "format": "detail"})
    assert item["histData"] == [
        {"stamp": "2026-01-15T11:00:00,000+01:00", "value": 10.0, "state": "ok", "rec": "cycle"},
        {"stamp": "2026-01-15T11:01:00,000+01:00", "value": 12.5, "state": "ok", "rec": "change"},
    ]


def test_hist_data_is_cut_to_610000_entries_and_stays_ok() -> None:
    """3.2.3: "the resulting response array is limited to max. 610'000 entries": of one
    record more than the limit, the limit comes back (the oldest) and the last is cut."""
    recorded = MAX_HIST_ENTRIES + 1
    h = Harness()
    node = h.engine.tree.get("A:Dbl")
    assert node is not None
    start = EPOCH0 - recorded
    node.history = History(times=[start + i for i in range(recorded)],
                           values=[float(i % 7) for i in range(recorded)],
                           states=["ok"] * recorded, recs=["cycle"] * recorded)
    reply = h.engine.handle_message(h.session(), {"get": [{"path": "A:Dbl", "histData": {
        "start": "2026-01-01T00:00:00Z", "interval": 0}}]})
    item = reply.response.get[0]
    assert item.code == "ok"
    assert len(item.hist_data) == MAX_HIST_ENTRIES
    assert item.hist_data[0].stamp == h.engine.epoch_stamp(start)
    assert item.hist_data[-1].stamp == h.engine.epoch_stamp(start + MAX_HIST_ENTRIES - 1)


def test_grid_hist_data_is_cut_too() -> None:
    h = Harness(limits=Limits(hist_entries=3))
    with_history(h)
    item = hist(h, "A:Dbl", {"start": "2026-01-15T09:00:00Z", "interval": 60})
    assert item["code"] == "ok"
    assert [next(iter(e)) for e in item["histData"]] == [
        "2026-01-15T10:30:00,000+01:00", "2026-01-15T10:31:00,000+01:00",
        "2026-01-15T10:32:00,000+01:00"]


def test_hist_data_request_errors() -> None:
    h = Harness()
    h.engine.validating = False  # the engine's own checks
    reply = h.handle_message(h.session(), {"get": [
        {"path": "A:Dbl", "histData": {"interval": 10}},
        {"path": "A:Dbl", "histData": {"start": "yesterday"}},
        {"path": "A:Dbl", "histData": {"start": "2026-01-15T09:00:00", "interval": 5}},
        {"path": "A:Dbl", "histData": {"start": "2026-01-15T09:00:00Z", "interval": -5}},
        {"path": "A:Dbl", "histData": {"start": "2026-01-15T09:00:00Z", "format": "wide"}},
        {"path": "A:Dbl", "histData": {"start": "2026-01-15T09:00:00Z", "showPast": True}},
    ]})
    assert reply.response == {"get": [
        {"code": "error", "path": "A:Dbl", "message": "Missing field 'start'"},
        {"code": "error", "path": "A:Dbl",
         "message": "Invalid time stamp 'yesterday' (ISO 8601 with Z or offset needed)"},
        {"code": "error", "path": "A:Dbl",
         "message": "Invalid time stamp '2026-01-15T09:00:00' (ISO 8601 with Z or offset "
                    "needed)"},
        {"code": "error", "path": "A:Dbl", "message": "Invalid value of field 'interval'"},
        {"code": "error", "path": "A:Dbl", "message": "Invalid value 'wide' of field 'format'"},
        {"code": "error", "path": "A:Dbl", "message": "Unknown field 'showPast'"},
    ]}


def test_v15_show_past_adds_empty_hist_data_past() -> None:
    h = Harness(protocol="1.5")
    item = hist(h, "B:X", {"start": "2026-01-15T09:00:00Z", "showPast": True})
    assert item["histData"] == [] and item["histDataPast"] == []


def test_get_changelog_lists_entries_of_that_datapoint_newest_first_without_path() -> None:
    h = Harness()
    reply = h.request(h.session(), {"get": [
        {"path": "A:Int", "changelog": {"start": "2026-01-14T00:00:00Z"}},
        {"path": "A:Alarm", "changelog": {"start": "2026-01-15T09:00:00Z",
                                          "end": "2026-01-15T09:45:00Z"}},
        {"path": "B:X", "changelog": {"start": "2026-01-14T00:00:00Z"}},
    ]})
    assert reply.response is not None
    items = reply.response["get"]
    assert items[0]["changelog"] == [
        {"stamp": "2026-01-15T10:00:00,000+01:00", "text": "Int set to 44"},
        {"stamp": "2026-01-15T09:00:00,000+01:00", "text": "Int set to 43"},
    ]
    assert items[1]["changelog"] == [
        {"stamp": "2026-01-15T10:30:00,000+01:00", "text": "Alarm A gone", "state": "left",
         "priority": 2, "priorityBACnet": 66, "alarmGroup": 1, "alarmCollectGroup": 10,
         "siteGroup": 1, "screen": "Main"},
    ]
    assert items[2]["changelog"] == []
