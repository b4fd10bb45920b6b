"""Every limit of the engine: the limit itself is accepted, one past it is not.

The cheap limits are reached with their real values; the answer budget is reached
through smaller :class:`Limits` (and its defaults are checked to be the constants).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from dmsproto.sim import limits
from dmsproto.sim.changelog import LogEntry
from dmsproto.sim.engine import Engine
from dmsproto.sim.limits import Limits
from dmsproto.sim.plant import load_plant
from dmsproto.sim.testing import T0, Harness, StepClock, tiny_plant
from dmsproto.sim.wire import as_json


def nested(levels: int) -> str:
    """A get request whose root tag makes the whole request ``levels`` deep."""
    inner = levels - 1  # the root object is level 1
    return '{"get":["B:X"],"tag":' + "[" * inner + "]" * inner + "}"


def test_limits_default_to_the_named_constants() -> None:
    assert Limits() == Limits(
        query_matches=limits.MAX_QUERY_MATCHES, hist_entries=limits.MAX_HIST_ENTRIES,
        changelog_entries=limits.MAX_CHANGELOG_ENTRIES, json_depth=limits.MAX_JSON_DEPTH,
        answer_items=limits.MAX_ANSWER_ITEMS, answer_entries=limits.MAX_ANSWER_ENTRIES,
        subscriptions=limits.MAX_SUBSCRIPTIONS)


def test_nesting_up_to_the_limit_is_answered() -> None:
    h = Harness()
    reply = h.view(h.engine.handle(h.session(), nested(limits.MAX_JSON_DEPTH)))
    assert reply.fatal is None
    assert reply.response is not None and reply.response["get"][0]["code"] == "ok"


@pytest.mark.parametrize("levels", [limits.MAX_JSON_DEPTH + 1, 900, 100_000])
def test_deeper_nesting_answers_a_fatal_item(levels: int) -> None:
    h = Harness()
    reply = h.view(h.engine.handle(h.session(), nested(levels)))
    message = f"Request nested too deep (more than {limits.MAX_JSON_DEPTH} levels)"
    assert reply.fatal == message
    assert reply.response is not None
    assert reply.response["get"] == [{"code": "error", "message": message}]


def test_deep_nesting_inside_an_item_is_fatal_too() -> None:
    h = Harness()
    deep = '{"get":[{"path":"B:X","tag":' + '{"a":' * 100 + "1" + "}" * 100 + "}]}"
    reply = h.view(h.engine.handle(h.session(), deep))
    assert reply.fatal is not None and "too deep" in reply.fatal


def test_query_of_exactly_the_limit_answers_and_one_more_aborts() -> None:
    plant = tiny_plant()
    plant["points"] = {f"Q:P{i:06d}": {"type": "int", "value": i}
                       for i in range(limits.MAX_QUERY_MATCHES + 1)}
    plant["changelog"] = []
    engine = Engine(load_plant(plant), clock=StepClock())
    session = engine.open_session()
    exactly = engine.handle_message(session, {"get": [
        {"path": "Q", "query": {"regExPath": "P0"}}]})
    assert len(exactly.response.get) == limits.MAX_QUERY_MATCHES  # all but P100000
    over = as_json(engine.handle_message(session, {"get": [{"path": "Q", "query": {}}]})
                   .response)
    assert over == {"get": [{"code": "error", "path": "Q", "message":
                             "Aborted: more than 100'000 matching data points; "
                             "refine the request"}]}


def test_changelog_of_exactly_the_limit_comes_back_whole() -> None:
    h = Harness()
    start = T0 - timedelta(days=30)
    for i in range(limits.MAX_CHANGELOG_ENTRIES + 1):
        h.engine.logs.add("ABS1", LogEntry("A:Int", start + timedelta(seconds=i), f"e{i}"))
    reply = h.engine.handle_message(h.session(), {"changelogRead": [
        {"group": "ABS1", "start": "2025-01-01T00:00:00Z"},
        {"group": "ABS1", "start": "2025-12-16T10:00:01Z"}]})
    over, exactly = reply.response.changelog_read
    assert len(over.changelog) == len(exactly.changelog) == limits.MAX_CHANGELOG_ENTRIES
    assert over.changelog[0].text == exactly.changelog[0].text == "e100000"  # newest first
    assert over.changelog[-1].text == "e1" == exactly.changelog[-1].text


def test_answer_items_budget_refuses_the_items_past_it() -> None:
    h = Harness(limits=Limits(answer_items=5))
    reply = h.request(h.session(), {"get": [
        "B:X", {"path": "A", "query": {"maxDepth": 0}}, "B:X", "A:Int"]})
    assert reply.response is not None
    items = reply.response["get"]
    too_large = "Aborted: more than 5 response items; refine the request"
    assert items == [
        {"code": "ok", "path": "B:X", "value": 0, "type": "int",
         "stamp": "2026-01-15T11:00:00,000+01:00"},
        {"code": "error", "path": "A", "message": too_large},
        {"code": "error", "path": "B:X", "message": too_large},
        {"code": "error", "path": "A:Int", "message": too_large},
    ]


def test_answer_items_budget_takes_exactly_its_limit() -> None:
    h = Harness(limits=Limits(answer_items=3))
    reply = h.request(h.session(), {"get": ["B:X", "A:Int", "A:Dbl", "A:Str"]})
    assert reply.response is not None
    assert [i["code"] for i in reply.response["get"]] == ["ok", "ok", "ok", "error"]


def test_writes_past_the_budget_are_not_carried_out() -> None:
    h = Harness(limits=Limits(answer_items=1))
    reply = h.request(h.session(), {"whois": "w", "user": "", "set": [
        {"path": "B:X", "value": 1}, {"path": "A:Int", "value": 2}]})
    assert reply.response is not None
    assert [i["code"] for i in reply.response["set"]] == ["ok", "error"]
    node = h.engine.tree.get("A:Int")
    assert node is not None and node.value == 44


def test_answer_entries_budget() -> None:
    h = Harness(limits=Limits(answer_entries=96 + 2))
    spec = {"start": "2026-01-14T10:00:00Z", "interval": 0}  # A:Dbl: 96 records a day
    reply = h.request(h.session(), {"get": [
        {"path": "A:Dbl", "histData": spec},
        {"path": "A:Int", "changelog": {"start": "2026-01-14T00:00:00Z"}},
        {"path": "A:Int", "changelog": {"start": "2026-01-14T00:00:00Z"}}]})
    assert reply.response is not None
    first, second, third = reply.response["get"]
    assert first["code"] == second["code"] == "ok"
    assert len(first["histData"]) == 96 and len(second["changelog"]) == 2
    assert third == {"code": "error", "path": "A:Int", "message":
                     "Aborted: more than 98 history and change-log entries; refine the request"}


def test_subscriptions_per_connection() -> None:
    h = Harness(limits=Limits(subscriptions=2))
    s = h.session()
    reply = h.request(s, {"subscribe": [
        {"path": "B:X", "tag": 1}, {"path": "B:X", "tag": 2}, {"path": "B:X", "tag": 3},
        {"path": "B:X", "tag": 2, "event": "onSet"}]})
    assert reply.response is not None
    assert [i["code"] for i in reply.response["subscribe"]] == ["ok", "ok", "error", "ok"]
    assert reply.response["subscribe"][2]["message"] == (
        "Too many subscriptions on this connection (max. 2)")
    other = h.session()  # the limit is per connection
    assert h.request(other, {"subscribe": [{"path": "B:X"}]}).response == {
        "subscribe": [{"code": "ok", "path": "B:X", "value": 0, "type": "int",
                       "stamp": "2026-01-15T11:00:00,000+01:00"}]}
