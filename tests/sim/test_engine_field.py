"""What real clients send, answered the way a DMS answers it (field evidence first).

The frames are the ones the two public field clients send (see the interop tests for
the clients themselves): the vendor's Node-RED nodes and visitoolkit-connector.
"""

from __future__ import annotations

from typing import Any

import pytest

from dmsproto.sim.engine import Delivery
from dmsproto.sim.testing import Harness

S0 = "2026-01-15T11:00:00,000+01:00"

#: the Node-RED handler node's shipped default payload (vendor's nodes, 1.0.2)
NODE_RED_HANDLER_DEFAULT = {
    "whois": "MyServiceName", "user": "", "set": [], "get": [],
    "subscribe": [{"path": "System", "event": "onChange", "query": {"maxDepth": 0}}]}


def codes(deliveries: list[Delivery]) -> list[tuple[str, str, Any]]:
    return [(e["code"], e["path"], e.get("tag")) for d in deliveries for e in d.frame["event"]]


def test_node_red_default_payload_answers_empty_arrays_and_subscribes() -> None:
    h = Harness()
    s = h.session()
    reply = h.request(s, NODE_RED_HANDLER_DEFAULT)
    assert reply.fatal is None
    assert reply.response == {
        "set": [], "get": [],
        "subscribe": [{"code": "ok", "path": "System", "value": None, "type": "none",
                       "stamp": None, "query": {"maxDepth": 0}}]}
    h.clock.advance(1)
    assert ("onChange", "System:Time", None) in codes(h.tick())


@pytest.mark.parametrize("command", ["get", "set", "rename", "delete", "subscribe",
                                     "unsubscribe", "changelogRead"])
def test_an_empty_command_array_is_answered_with_an_empty_array(command: str) -> None:
    h = Harness()
    reply = h.request(h.session(), {"whois": "w", "user": "", command: []})
    assert reply.response == {command: []}


@pytest.mark.parametrize("event", ["onChange", "*"])
def test_single_datapoint_subscribed_with_a_query_gets_its_events(event: str) -> None:
    """Both field clients subscribe one datapoint with a query and expect its events."""
    h = Harness()
    s = h.session()
    node_red = {"path": "System:Time", "event": event, "query": {"maxDepth": 0}}
    visitoolkit = {"path": "B:X", "query": {"maxDepth": 0}, "event": event, "tag": "9f3a"}
    reply = h.request(s, {"subscribe": [node_red, visitoolkit]})
    assert reply.response is not None
    assert [i["code"] for i in reply.response["subscribe"]] == ["ok", "ok"]
    h.clock.advance(1)
    assert ("onChange", "System:Time", None) in codes(h.tick())
    written = h.request(h.session(), {"whois": "w", "user": "", "set": [
        {"path": "B:X", "value": 5}]})
    assert ("onChange", "B:X", "9f3a") in codes(written.deliveries)


def test_a_query_subscription_filters_its_own_datapoint_too() -> None:
    h = Harness()
    s = h.session()
    h.request(s, {"subscribe": [{"path": "B:X", "query": {"isType": "string"}}]})
    written = h.request(h.session(), {"whois": "w", "user": "", "set": [
        {"path": "B:X", "value": 5}]})
    assert written.deliveries == []  # B:X is an int: the query's isType excludes it


def test_a_get_query_still_answers_only_what_lies_below_its_path() -> None:
    h = Harness()
    reply = h.request(h.session(), {"get": [{"path": "B:X", "query": {"maxDepth": 0}}]})
    assert reply.response == {"get": []}


def test_visitoolkit_connector_set_create_double() -> None:
    h = Harness()
    reply = h.request(h.session(), {"whois": "vtk", "user": "", "set": [
        {"create": True, "type": "double", "path": "New:Dbl", "value": 2.5, "tag": "t1"}]})
    assert reply.response == {"set": [{"code": "ok", "path": "New:Dbl", "value": 2.5,
                                       "type": "double", "stamp": S0, "tag": "t1"}]}


def test_node_red_write_node_frame() -> None:
    h = Harness()
    s = h.session()
    h.request(s, {"subscribe": [{"path": "B:X", "event": "onChange", "query": {"maxDepth": 0}}]})
    whois = "WriteToDms_Thu Jan 15 2026 11:00:00 GMT+0100 (Central European Standard Time)"
    reply = h.request(h.session(), {"whois": whois, "user": "", "set": [
        {"path": "B:X", "value": 42}]})
    assert reply.response is not None and reply.response["set"][0]["code"] == "ok"
    event = reply.deliveries[0].frame["event"][0]
    assert event["trigger"] == whois and event["value"] == 42


def test_long_read_path_answers_like_any_missing_path() -> None:
    """3.1.5 limits writes of long paths; a read of one is a read of a missing path."""
    h = Harness()
    long_path = "A:" + "x" * 200
    reply = h.request(h.session(), {"get": [long_path, {"path": long_path, "tag": 1}]})
    assert reply.response == {"get": [
        {"code": "not found", "path": long_path, "message": "Data point doesn't exist"},
        {"code": "not found", "path": long_path, "message": "Data point doesn't exist",
         "tag": 1}]}


def test_long_write_path_is_refused() -> None:
    h = Harness()
    long_path = "A:" + "x" * 159
    reply = h.handle_message(h.session(), {"whois": "w", "user": "", "set": [
        {"path": long_path, "value": 1, "create": True},
        {"path": long_path[:160], "value": 1, "create": True}]}, check=False)
    assert reply.response is not None
    refused, created = reply.response["set"]
    assert refused == {"code": "error", "path": long_path,
                       "message": "Path too long (max. 160 characters)"}
    assert created["code"] == "ok" and len(created["path"]) == 160


@pytest.mark.parametrize("stamp", ["20260115T090000Z", "20260115T100000+0100",
                                   "2026-01-15T08:59:59.5Z", "2026-015T09:00:00Z"])
def test_request_stamps_in_any_iso_8601_form(stamp: str) -> None:
    """2.8: "You can use any valid ISO 8601 format" (with Z or an offset)."""
    h = Harness()
    reply = h.request(h.session(), {"get": [
        {"path": "A:Int", "changelog": {"start": stamp}},
        {"path": "A:Dbl", "histData": {"start": stamp, "interval": 0}}]})
    assert reply.response is not None
    assert [i["code"] for i in reply.response["get"]] == ["ok", "ok"]
    assert [e["text"] for e in reply.response["get"][0]["changelog"]] == ["Int set to 44"]


def test_fractional_interval() -> None:
    """3.2.5: interval is a number of seconds."""
    h = Harness()
    reply = h.request(h.session(), {"get": [{"path": "A:Dbl", "histData": {
        "start": "2026-01-15T09:59:00Z", "interval": 0.5}}]})
    assert reply.response is not None
    item = reply.response["get"][0]
    assert item["code"] == "ok"
    stamps = [next(iter(e)) for e in item["histData"]]  # between the 10:45 and 11:00 records
    assert stamps[:2] == ["2026-01-15T10:59:00,000+01:00", "2026-01-15T10:59:00,500+01:00"]
    assert len(stamps) == 121 and stamps[-1] == "2026-01-15T11:00:00,000+01:00"


def test_rename_and_delete_events_carry_the_time_of_the_event() -> None:
    """3.6.4: stamp is the "time stamp of the event", not the value's old stamp."""
    h = Harness()
    s = h.session()
    h.request(s, {"subscribe": [{"path": "", "query": {"maxDepth": 0}, "event": "*"}]})
    h.clock.advance(90)
    later = "2026-01-15T11:01:30,000+01:00"
    renamed = h.request(h.session(), {"whois": "w", "rename": [
        {"path": "B:X", "newPath": "C:Y"}]})
    stamps = {(e["code"], e["path"]): e["stamp"] for e in renamed.deliveries[0].frame["event"]}
    assert stamps == {("onRename", "B:X"): later, ("onDelete", "B:X"): later,
                      ("onCreate", "C"): None, ("onCreate", "C:Y"): later}
    h.clock.advance(30)
    deleted = h.request(h.session(), {"whois": "w", "delete": [{"path": "C:Y"}]})
    assert [(e["code"], e["stamp"], e["value"]) for e in deleted.deliveries[0].frame["event"]
            ] == [("onDelete", "2026-01-15T11:02:00,000+01:00", 0)]
