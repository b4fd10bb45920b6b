"""The sans-I/O core with plain function calls: frames out, frames in, no sockets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from dmsproto.errors import ConnectionLost, EncodeError, NotFound, ProtocolError
from dmsproto.protocol import (
    BadFrame,
    CallDone,
    ChangelogGroups,
    ClientCore,
    Get,
    GetMany,
    Query,
    Set,
    SubscriptionData,
)
from dmsproto.results import Gap, History, ItemError, Point
from dmsproto.tags import tag_key

STAMP = "2015-03-20T08:49:19,000+01:00"


def ok(path: str, value: Any = 1, **extra: Any) -> dict[str, Any]:
    return {"code": "ok", "path": path, "value": value, "type": "int", "stamp": STAMP, **extra}


def answer(proto: ClientCore, frame: bytes, **commands: Any) -> list[Any]:
    tag = orjson.loads(frame)["tag"]
    return proto.receive(orjson.dumps({"tag": tag, **commands}))


def test_get_uses_root_tag_and_short_form() -> None:
    proto = ClientCore()
    call = proto.start_call([Get("A:B")])
    [frame] = call.frames
    assert orjson.loads(frame) == {"tag": 1, "get": ["A:B"]}
    events = answer(proto, frame, get=[ok("A:B", 5, hasChild=True)])
    assert events == [CallDone(call)]
    [point] = call.results()
    assert isinstance(point, Point)
    assert (point.path, point.value, point.has_child) == ("A:B", 5, True)
    assert point.stamp == datetime(2015, 3, 20, 7, 49, 19, tzinfo=UTC)
    with pytest.raises(AttributeError):
        point.value = 6  # type: ignore[misc]  # frozen


def test_writes_carry_whois_and_user() -> None:
    proto = ClientCore(whois="me", user="operator")
    call = proto.start_call([Set("A", 1.5, type="double", create=True)])
    assert orjson.loads(call.frames[0]) == {
        "tag": 1, "whois": "me", "user": "operator",
        "set": [{"path": "A", "value": 1.5, "type": "double", "create": True}],
    }
    with pytest.raises(EncodeError):
        proto.start_call([Set("A", object())])
    with pytest.raises(EncodeError):
        proto.start_call([Set("A", 1, stamp=datetime(2020, 1, 1))])


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_number_json_cannot_write_is_refused_not_sent_as_null(value: float) -> None:
    proto = ClientCore()
    with pytest.raises(EncodeError, match="finite"):
        proto.start_call([Set("A", value, type="double")])
    assert proto.start_call([Get("A")]).frames  # nothing half-sent blocks the next call


def test_responses_out_of_order_and_interleaved_with_events() -> None:
    proto = ClientCore()
    sub = proto.add_subscription("A", tag="s")
    first = proto.start_call([Get("A")])
    second = proto.start_call([Get("B")])
    events = proto.receive(orjson.dumps({"event": [{"code": "onChange", "path": "A", "tag": "s"}]}))
    assert events == [SubscriptionData(sub)]
    assert answer(proto, second.frames[0], get=[ok("B", 2)]) == [CallDone(second)]
    assert answer(proto, first.frames[0], get=[ok("A", 1)]) == [CallDone(first)]
    assert first.results()[0].value == 1 and second.results()[0].value == 2
    item = sub.pop()
    assert item is not None and not isinstance(item, Gap) and item.path == "A"


def test_chunking_merges_in_order() -> None:
    proto = ClientCore(chunk_size=3)
    paths = tuple(f"P{i}" for i in range(8))
    call = proto.start_call([GetMany(paths)])
    frames = [orjson.loads(f) for f in call.frames]
    assert [f["get"] for f in frames] == [["P0", "P1", "P2"], ["P3", "P4", "P5"], ["P6", "P7"]]
    assert len({f["tag"] for f in frames}) == 3
    # answers arrive in reverse order; results keep request order
    for raw, frame in reversed(list(zip(call.frames, frames, strict=True))):
        answer(proto, raw, get=[ok(p, i) for i, p in enumerate(frame["get"])])
    [points] = call.results()
    assert [p.path for p in points] == list(paths)
    assert call.done


def test_query_items_are_separated_by_item_tags() -> None:
    proto = ClientCore()
    ops = [Get("X"), Query("Root", {"maxDepth": 0}, tag="user"), Get("Y")]
    call = proto.start_call(ops)
    sent = orjson.loads(call.frames[0])["get"]
    assert [i["tag"] for i in sent] == [0, [1, "user"], 2]
    answer(proto, call.frames[0], get=[
        ok("X", tag=0), ok("Root:a", tag=[1, "user"]), ok("Root:b", tag=[1, "user"]),
        {"code": "not found", "path": "Y", "message": "nope", "tag": 2},
    ])
    x, found, y = call.results()
    assert x.path == "X" and x.tag is None
    assert [p.path for p in found] == ["Root:a", "Root:b"] and found[0].tag == "user"
    assert isinstance(y, ItemError) and isinstance(y.exception(), NotFound)


def test_changelog_groups_correlate_by_root_tag() -> None:
    proto = ClientCore()
    call = proto.start_call([ChangelogGroups()])
    assert orjson.loads(call.frames[0]) == {"tag": 1, "changelogGetGroups": []}
    answer(proto, call.frames[0], changelogGetGroups=[{"code": "ok", "groups": ["A", "B"]}])
    assert call.results() == [["A", "B"]]


def test_late_response_after_abandon_is_dropped() -> None:
    proto = ClientCore()
    call = proto.start_call([Get("A")])
    proto.abandon(call)
    assert answer(proto, call.frames[0], get=[ok("A")]) == []
    assert proto.dropped_responses == 1 and not call.done


def test_untagged_fatal_error_matches_oldest_call() -> None:
    proto = ClientCore()
    call = proto.start_call([Get("A")])
    events = proto.receive(orjson.dumps({"get": [{"code": "error", "message": "bad input"}]}))
    assert events == [CallDone(call)]
    [error] = call.results()
    assert isinstance(error, ItemError) and error.message == "bad input" and error.path is None


def test_malformed_frames() -> None:
    proto = ClientCore()
    [violation] = proto.receive(b"{nope")
    assert isinstance(violation, BadFrame) and violation.fatal
    [violation] = proto.receive(b"[1, 2]")
    assert isinstance(violation, BadFrame) and violation.fatal
    [violation] = proto.receive(b'{"tag": 99, "unknown": []}')
    assert isinstance(violation, BadFrame) and not violation.fatal
    call = proto.start_call([Get("A"), Get("B")])
    answer(proto, call.frames[0], get=[ok("A")])  # one item short
    with pytest.raises(ProtocolError, match="1 response items for 2"):
        call.results()


def test_connection_lost_fails_pending_calls() -> None:
    proto = ClientCore()
    calls = [proto.start_call([Get("A")]) for _ in range(3)]
    failed = proto.connection_lost()
    assert {id(c) for c in failed} == {id(c) for c in calls}
    for call in calls:
        with pytest.raises(ConnectionLost):
            call.results()
    assert proto.pending_calls == 0


def test_overflow_is_counted_and_reported_in_place() -> None:
    proto = ClientCore()
    sub = proto.add_subscription("A", tag=7, maxlen=2)
    frame = {"event": [{"code": "onChange", "path": "A", "value": v, "tag": 7} for v in range(5)]}
    proto.receive(orjson.dumps(frame))
    got = [sub.pop() for _ in range(4)]
    assert [getattr(g, "value", g) for g in got] == [0, 1, Gap("overflow", 3), None]
    sub.push_gap("reconnect")
    assert sub.pop() == Gap("reconnect")


def test_tags_route_by_json_identity() -> None:
    assert len({tag_key(1), tag_key(1.0), tag_key(True), tag_key("1")}) == 4
    assert tag_key({"a": 1, "b": 2}) == tag_key({"b": 2, "a": 1})
    proto = ClientCore()
    proto.add_subscription("A", tag={"x": 1})
    with pytest.raises(ValueError):
        proto.add_subscription("B", tag={"x": 1})
    auto = proto.add_subscription("C")
    assert isinstance(auto.tag, str)


def test_compact_history_is_columnar() -> None:
    history = History.from_wire("A", [{STAMP: 1.0}, {"2015-03-20T09:04:19,000+01:00": 2.5}])
    assert history.values == [1.0, 2.5]
    assert len(history) == 2 and history[1].value == 2.5
    assert [e.value for e in history] == [1.0, 2.5]
    assert history.stamps()[0] == datetime(2015, 3, 20, 7, 49, 19, tzinfo=UTC)
