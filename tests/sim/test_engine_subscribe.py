"""subscribe/unsubscribe and the events of set, create, rename and delete."""

from __future__ import annotations

from typing import Any

import pytest

from dmsproto.errors import DMSError
from dmsproto.sim import Reply, Session
from dmsproto.sim.testing import Harness

S0 = "2026-01-15T11:00:00,000+01:00"


def subscribe(h: Harness, session: Session, *items: dict[str, Any]) -> list[dict[str, Any]]:
    reply = h.request(session, {"subscribe": list(items)})
    assert reply.response is not None and reply.deliveries == []
    result: list[dict[str, Any]] = reply.response["subscribe"]
    return result


def write(h: Harness, session: Session, *items: dict[str, Any], whois: str = "tester") -> Reply:
    return h.request(session, {"whois": whois, "user": "", "set": list(items)})


def events(reply: Reply, session: Session) -> list[dict[str, Any]]:
    frames = [d.frame for d in reply.deliveries if d.session is session]
    assert len(frames) <= 1, "one frame per session and request"
    return frames[0]["event"] if frames else []


def test_subscribe_answers_current_state_and_echoes_query_and_tag() -> None:
    h = Harness()
    s = h.session()
    assert subscribe(h, s, {"path": "B:X", "tag": "x"},
                     {"path": "A", "event": "onChange", "query": {"maxDepth": 0}}) == [
        {"code": "ok", "path": "B:X", "value": 0, "type": "int", "stamp": S0, "tag": "x"},
        {"code": "ok", "path": "A", "query": {"maxDepth": 0}, "value": None, "type": "none",
         "stamp": None},
    ]
    assert len(h.engine.subscriptions) == 2


def test_default_event_is_on_change_for_that_datapoint_only() -> None:
    h = Harness()
    s = h.session()
    subscribe(h, s, {"path": "B:X"})
    reply = write(h, s, {"path": "B:X", "value": 1})
    assert reply.deliveries[0].frame == {"event": [
        {"code": "onChange", "path": "B:X", "trigger": "tester", "value": 1, "type": "int",
         "stamp": S0}]}
    assert write(h, s, {"path": "B:X", "value": 1}).deliveries == []  # onSet only
    assert write(h, s, {"path": "A:Int", "value": 1}).deliveries == []


def test_all_events_give_on_change_then_on_set_batched_per_request() -> None:
    h = Harness()
    s = h.session()
    subscribe(h, s, {"path": "B:X", "event": "*", "tag": {"k": 1}})
    reply = write(h, s, {"path": "B:X", "value": 5}, {"path": "B:X", "value": 5})
    assert [(e["code"], e["value"], e["tag"]) for e in events(reply, s)] == [
        ("onChange", 5, {"k": 1}), ("onSet", 5, {"k": 1}), ("onSet", 5, {"k": 1})]


def test_event_list_may_hold_several_names_but_no_spaces() -> None:
    h = Harness()
    h.engine.validating = False  # the document's example has a space; our schema refuses it,
    s = h.session()              # and so does the generated SubscribeItem without a validator
    reply = h.handle_message(s, {"subscribe": [{"path": "B:X", "event": "onSet, onDelete"}]})
    assert reply.response is not None and reply.response["subscribe"][0]["code"] == "error"
    reply = h.handle_message(s, {"subscribe": [{"path": "B:X", "event": "onSet,onDelete"}]})
    assert reply.response is not None and reply.response["subscribe"][0]["code"] == "ok"
    reply = h.request(s, {"whois": "w", "user": "", "set": [{"path": "B:X", "value": 3}],
                          "delete": [{"path": "B:X"}]})
    assert [(e["code"], e["value"]) for e in events(reply, s)] == [("onSet", 3),
                                                                   ("onDelete", 3)]


def test_every_subscribed_session_gets_its_own_frame_and_writer_included() -> None:
    h = Harness()
    writer, other, idle = h.session(), h.session(), h.session()
    subscribe(h, writer, {"path": "B:X"})
    subscribe(h, other, {"path": "B:X", "tag": 1}, {"path": "B:X", "tag": 2})
    reply = write(h, writer, {"path": "B:X", "value": 9})
    assert [d.session for d in reply.deliveries] == [writer, other]
    assert [e.get("tag") for e in events(reply, other)] == [1, 2]
    assert events(reply, idle) == []


def test_same_path_and_tag_replaces_the_subscription() -> None:
    h = Harness()
    s = h.session()
    subscribe(h, s, {"path": "B:X", "tag": "t", "event": "onSet"})
    subscribe(h, s, {"path": "B:X", "tag": "t", "event": "onChange"})
    assert len(h.engine.subscriptions) == 1
    reply = write(h, s, {"path": "B:X", "value": 0})
    assert reply.deliveries == []


def test_whois_is_the_trigger_also_on_an_authenticated_connection() -> None:
    """3.6.4: the trigger is "the whois field from the request"."""
    h = Harness()
    s = h.session(user="alice")
    subscribe(h, s, {"path": "B:X"})
    reply = write(h, s, {"path": "B:X", "value": 2}, whois="bob")
    assert events(reply, s)[0]["trigger"] == "bob"


def test_authenticated_user_is_the_trigger_when_whois_is_absent() -> None:
    """3.1.1: authenticated, whois is optional and the user name is used instead."""
    h = Harness()
    s = h.session(user="alice")
    subscribe(h, s, {"path": "B:X"})
    reply = h.request(s, {"user": "", "set": [{"path": "B:X", "value": 3}]})
    assert reply.response is not None and reply.response["set"][0]["code"] == "ok"
    assert events(reply, s)[0]["trigger"] == "alice"
    unauthenticated = h.session()
    refused = h.request(unauthenticated, {"user": "", "set": [{"path": "B:X", "value": 4}]})
    assert refused.response is not None
    assert refused.response["set"][0]["message"] == (
        "Identification required: send 'whois' with set, rename and delete")


def test_unsubscribe_stops_events_and_answers_current_state() -> None:
    h = Harness()
    s = h.session()
    subscribe(h, s, {"path": "B:X", "tag": 4})
    reply = h.request(s, {"unsubscribe": [{"path": "B:X", "tag": 4}, {"path": "B:X", "tag": 5}]})
    assert reply.response == {"unsubscribe": [
        {"code": "ok", "path": "B:X", "value": 0, "type": "int", "stamp": S0, "tag": 4},
        {"code": "not found", "path": "B:X",
         "message": "No subscription on this path with this tag", "tag": 5},
    ]}
    assert write(h, s, {"path": "B:X", "value": 1}).deliveries == []


def test_subscribe_errors() -> None:
    h = Harness()
    s = h.session()
    assert subscribe(h, s, {"path": "Nope"}, {"path": "A:Hidden"}) == [
        {"code": "not found", "path": "Nope", "message": "Data point doesn't exist"},
        {"code": "no perm", "path": "A:Hidden", "message": "No permission to read this data point"},
    ]
    h.engine.validating = False
    reply = h.handle_message(s, {"subscribe": [
        {"path": "B:X", "event": "onFoo"}, {"path": "B:X", "query": {"maxDepth": "x"}}]})
    assert reply.response is not None
    bad_event, bad_depth = reply.response["subscribe"]
    assert bad_event == {"code": "error", "path": "B:X",
                         "message": "Invalid value of field 'event'"}
    assert bad_depth == {"code": "error", "path": "B:X",
                         "message": "Invalid data type of field 'maxDepth'"}


def test_http_sessions_cannot_subscribe() -> None:
    h = Harness()
    s = h.session(websocket=False)
    message = "Monitoring is only possible on WebSocket connections"
    reply = h.request(s, {"subscribe": [{"path": "B:X"}], "unsubscribe": [{"path": "B:X"}]})
    assert reply.response == {
        "subscribe": [{"code": "error", "path": "B:X", "message": message}],
        "unsubscribe": [{"code": "error", "path": "B:X", "message": message}],
    }


def test_query_subscription_filters_at_event_time_below_its_path() -> None:
    h = Harness()
    s = h.session()
    subscribe(h, s, {"path": "A", "query": {"isType": "int", "maxDepth": 0}})
    subscribe(h, s, {"path": "A:Sub", "query": {}, "event": "onSet", "tag": "shallow"})
    reply = write(h, s, {"path": "A:Int", "value": 1}, {"path": "A:Dbl", "value": 2.0},
                  {"path": "A:Sub:Deep:Leaf", "value": 7}, {"path": "B:X", "value": 3})
    assert [(e["code"], e["path"], e.get("tag")) for e in events(reply, s)] == [
        ("onChange", "A:Int", None), ("onChange", "A:Sub:Deep:Leaf", None)]


def test_query_subscription_sees_the_node_as_it_is_at_event_time() -> None:
    h = Harness()
    s = h.session()
    subscribe(h, s, {"path": "", "query": {"regExValue": "^big$", "maxDepth": 0}})
    reply = write(h, s, {"path": "A:Str", "value": "small"}, {"path": "A:Str", "value": "big"})
    assert [e["value"] for e in events(reply, s)] == ["big"]


def test_create_raises_on_create_for_new_parents_and_the_datapoint() -> None:
    h = Harness()
    s = h.session()
    subscribe(h, s, {"path": "", "query": {"maxDepth": 0}, "event": "*"})
    reply = write(h, s, {"path": "N:P:Q", "value": 1.5, "create": True})
    assert events(reply, s) == [
        {"code": "onCreate", "path": "N", "trigger": "tester", "value": None, "type": "none",
         "stamp": None},
        {"code": "onCreate", "path": "N:P", "trigger": "tester", "value": None, "type": "none",
         "stamp": None},
        {"code": "onCreate", "path": "N:P:Q", "trigger": "tester", "value": 1.5,
         "type": "double", "stamp": S0},
    ]


def test_rename_raises_on_rename_on_delete_and_on_create() -> None:
    h = Harness()
    s = h.session()
    subscribe(h, s, {"path": "", "query": {"maxDepth": 0}, "event": "*"})
    reply = h.request(s, {"whois": "w", "rename": [{"path": "A:Sub", "newPath": "C:S"}]})
    assert [(e["code"], e["path"], e.get("newPath")) for e in events(reply, s)] == [
        ("onRename", "A:Sub", "C:S"),
        ("onRename", "A:Sub:Deep", "C:S:Deep"),
        ("onRename", "A:Sub:Deep:Leaf", "C:S:Deep:Leaf"),
        ("onDelete", "A:Sub:Deep:Leaf", None),
        ("onDelete", "A:Sub:Deep", None),
        ("onDelete", "A:Sub", None),
        ("onCreate", "C", None),
        ("onCreate", "C:S", None),
        ("onCreate", "C:S:Deep", None),
        ("onCreate", "C:S:Deep:Leaf", None),
    ]
    assert all(e["trigger"] == "w" for e in events(reply, s))


def test_exact_subscription_on_a_renamed_datapoint_sees_rename_and_delete() -> None:
    h = Harness()
    s = h.session()
    subscribe(h, s, {"path": "B:X", "event": "*"})
    reply = h.request(s, {"whois": "w", "rename": [{"path": "B:X", "newPath": "B:Y"}]})
    assert events(reply, s) == [
        {"code": "onRename", "path": "B:X", "newPath": "B:Y", "trigger": "w", "value": 0,
         "type": "int", "stamp": S0},
        {"code": "onDelete", "path": "B:X", "trigger": "w", "value": 0, "type": "int",
         "stamp": S0},
    ]


def test_delete_raises_on_delete_children_first_with_old_values() -> None:
    h = Harness()
    s = h.session()
    subscribe(h, s, {"path": "A", "query": {"maxDepth": 0}, "event": "onDelete"})
    reply = h.request(s, {"whois": "w", "delete": [{"path": "A:Sub", "recursive": True}]})
    assert [(e["path"], e["value"]) for e in events(reply, s)] == [
        ("A:Sub:Deep:Leaf", 1), ("A:Sub:Deep", None), ("A:Sub", None)]


def test_close_session_drops_its_subscriptions() -> None:
    h = Harness()
    gone, stays = h.session(), h.session()
    subscribe(h, gone, {"path": "B:X"}, {"path": "A", "query": {}})
    subscribe(h, stays, {"path": "B:X"})
    h.engine.close_session(gone)
    assert len(h.engine.subscriptions) == 1 and gone.subscriptions == {}
    reply = write(h, stays, {"path": "B:X", "value": 1})
    assert [d.session for d in reply.deliveries] == [stays]


def test_engine_write_helper_raises_events_and_errors() -> None:
    h = Harness()
    s = h.session()
    subscribe(h, s, {"path": "B:X", "event": "onSet"})
    deliveries = h.write("B:X", 8)
    assert [d.frame for d in deliveries] == [{"event": [
        {"code": "onSet", "path": "B:X", "trigger": "<SYS>", "value": 8, "type": "int",
         "stamp": S0}]}]
    with pytest.raises(DMSError) as caught:
        h.engine.write("B:X", "text")
    assert (caught.value.code, caught.value.message) == ("error", "Data type doesn't match")


def test_routing_does_not_scan_unrelated_subscriptions(monkeypatch: pytest.MonkeyPatch) -> None:
    """An event looks up its own path and its ancestors, never the other subscriptions."""
    h = Harness()
    s = h.session()
    h.handle_message(s, {"subscribe": [{"path": "B:X", "tag": n} for n in range(20_000)]})
    h.handle_message(s, {"subscribe": [{"path": "A:Sub", "tag": n, "query": {}}
                                              for n in range(2_000)]})
    assert len(h.engine.subscriptions) == 22_000
    looked_up: list[str] = []

    class Recording(dict[str, Any]):
        def get(self, key: str, default: Any = None) -> Any:
            looked_up.append(key)
            return super().get(key, default)

    index = h.engine.subscriptions
    monkeypatch.setattr(index, "_exact", Recording(index._exact))
    monkeypatch.setattr(index, "_scoped", Recording(index._scoped))
    for n in range(3):
        reply = h.handle_message(s, {"whois": "w", "user": "",
                                            "set": [{"path": "A:Int", "value": n}]})
        assert reply.deliveries == []
    # each event looks up the path itself and, for scoped queries, its ancestors: the
    # 20,000 subscriptions of B:X and the 2,000 of A:Sub are never visited
    assert looked_up and set(looked_up) == {"A:Int", "", "A"}
