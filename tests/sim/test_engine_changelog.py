"""changelogGetGroups, changelogRead, and entries written by value changes."""

from __future__ import annotations

from typing import Any

from dmsproto.sim.limits import Limits
from dmsproto.sim.testing import Harness
from dmsproto.sim.wire import as_json

ALARM = {"priority": 2, "priorityBACnet": 66, "alarmGroup": 1, "alarmCollectGroup": 10,
         "siteGroup": 1, "screen": "Main"}


def read(h: Harness, *items: dict[str, Any]) -> list[dict[str, Any]]:
    reply = h.request(h.session(), {"changelogRead": list(items)})
    assert reply.response is not None
    result: list[dict[str, Any]] = reply.response["changelogRead"]
    return result


def test_get_groups_answers_one_item_without_tag() -> None:
    h = Harness()
    reply = h.request(h.session(), {"tag": 7, "changelogGetGroups": []})
    assert reply.response == {"tag": 7, "changelogGetGroups": [
        {"code": "ok", "groups": ["ABS1", "ALARMS", "PROT"]}]}


def test_get_groups_answers_each_item_as_visitoolkit_connector_expects() -> None:
    """One tagless item per call, the frame tagged with the items' tags (field evidence):
    one answer item per request item, in order, and the root tag echoed unchanged."""
    h = Harness()
    tag = {"changelogGetGroups": ["6d1f-a", "6d1f-b"]}
    reply = h.engine.handle_message(h.session(), {
        "whois": "visitoolkit", "user": "", "tag": tag,
        "changelogGetGroups": [{"changelogGetGroups": []}, {"changelogGetGroups": []}]})
    assert as_json(reply.response) == {"tag": tag, "changelogGetGroups": [
        {"code": "ok", "groups": ["ABS1", "ALARMS", "PROT"]},
        {"code": "ok", "groups": ["ABS1", "ALARMS", "PROT"]}]}


def test_read_group_newest_first_with_path_and_tag() -> None:
    h = Harness()
    assert read(h, {"group": "PROT", "start": "2026-01-15T00:00:00Z", "tag": "p"}) == [{
        "code": "ok", "group": "PROT", "tag": "p", "changelog": [
            {"path": "A:Int", "stamp": "2026-01-15T10:00:00,000+01:00", "text": "Int set to 44"},
            {"path": "A:Int", "stamp": "2026-01-15T09:00:00,000+01:00", "text": "Int set to 43"},
        ]}]


def test_read_alarm_group_carries_alarm_fields_and_range_is_inclusive() -> None:
    h = Harness()
    got = read(h, {"group": "ALARMS", "start": "2026-01-15T08:30:00Z",
                   "end": "2026-01-15T09:30:00Z"})
    assert got == [{"code": "ok", "group": "ALARMS", "changelog": [
        {"path": "A:Alarm", "stamp": "2026-01-15T10:30:00,000+01:00", "text": "Alarm A gone",
         "state": "left", **ALARM},
        {"path": "A:Alarm", "stamp": "2026-01-15T09:30:00,000+01:00", "text": "Alarm A",
         "state": "occurred", **ALARM},
    ]}]
    assert read(h, {"group": "ALARMS", "start": "2026-01-15T09:00:00Z"})[0]["changelog"][0][
        "text"] == "Alarm A gone"
    assert read(h, {"group": "ABS1", "start": "2026-01-01T00:00:00Z"})[0]["changelog"] == []


def test_unknown_group_and_bad_items() -> None:
    h = Harness()
    assert read(h, {"group": "NOPE", "start": "2026-01-15T00:00:00Z", "tag": 1}) == [
        {"code": "error", "group": "NOPE", "message": "Unknown change log group 'NOPE'",
         "tag": 1}]
    h.engine.validating = False
    reply = h.handle_message(h.session(), {"changelogRead": [
        {"group": "PROT"}, {"start": "2026-01-15T00:00:00Z"}]})
    assert reply.response == {"changelogRead": [
        {"code": "error", "group": "PROT", "message": "Missing field 'start'"},
        {"code": "error", "message": "Missing field 'group'"}]}


def test_value_changes_of_logged_datapoints_write_entries() -> None:
    h = Harness()
    h.clock.advance(60)
    h.request(h.session(), {"whois": "w", "user": "", "set": [
        {"path": "A:Int", "value": 1}, {"path": "A:Int", "value": 2},
        {"path": "A:Int", "value": 2}, {"path": "A:Alarm", "value": True}]})
    prot = read(h, {"group": "PROT", "start": "2026-01-15T10:00:30Z"})[0]["changelog"]
    assert prot == [
        {"path": "A:Int", "stamp": "2026-01-15T11:01:00,000+01:00", "text": "A:Int: 1 -> 2"},
        {"path": "A:Int", "stamp": "2026-01-15T11:01:00,000+01:00", "text": "Int is one"},
    ]
    alarms = read(h, {"group": "ALARMS", "start": "2026-01-15T10:00:30Z"})[0]["changelog"]
    assert alarms == [{"path": "A:Alarm", "stamp": "2026-01-15T11:01:00,000+01:00",
                       "text": "Alarm A", "state": "occurred", **ALARM}]


def test_more_entries_than_the_limit_are_cut_to_the_newest() -> None:
    h = Harness(limits=Limits(changelog_entries=1))
    assert read(h, {"group": "PROT", "start": "2026-01-15T00:00:00Z"}) == [
        {"code": "ok", "group": "PROT", "changelog": [
            {"path": "A:Int", "stamp": "2026-01-15T10:00:00,000+01:00",
             "text": "Int set to 44"}]}]
    reply = h.request(h.session(), {"get": [{"path": "A:Int",
                                             "changelog": {"start": "2026-01-15T00:00:00Z"}}]})
    assert reply.response is not None
    assert reply.response["get"][0]["code"] == "ok"
    assert reply.response["get"][0]["changelog"] == [
        {"stamp": "2026-01-15T10:00:00,000+01:00", "text": "Int set to 44"}]
    # reading on with an earlier end gives the next older entry
    older = read(h, {"group": "PROT", "start": "2026-01-15T00:00:00Z",
                     "end": "2026-01-15T08:59:59Z"})
    assert [e["text"] for e in older[0]["changelog"]] == ["Int set to 43"]
