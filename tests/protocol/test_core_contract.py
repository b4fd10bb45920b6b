"""The core's contract in detail: messages, defaults, flags and counters a caller relies on.

Each test pins one promise of ``ClientCore`` that the transports or users read: which
bad frames are fatal, what a renewal request carries, how overflow is reported at the
point of loss, when the short get form is kept, and the defaults of the constructor.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from dmsproto.errors import ConnectionLost, DMSProtoError, EncodeError, ProtocolError
from dmsproto.protocol import (
    BadFrame,
    CallDone,
    ChangelogGroups,
    ChangelogRead,
    ClientCore,
    Get,
    GetMany,
    Query,
    Set,
    SubscriptionData,
    SubscriptionState,
)
from dmsproto.results import Event, Gap, ItemError
from tests.support.core_frames import FATAL, answer, ok, sent


def change(tag: Any, value: Any = 1, path: str = "A") -> dict[str, Any]:
    return {"code": "onChange", "path": path, "value": value, "tag": tag}


# ------------------------------------------------------------------- bad frames


@pytest.mark.parametrize("data", [b"{nope", b'{"event": [', "{\"tag\": 1, \"get\": [}"])
def test_a_frame_that_is_not_json_is_fatal(data: bytes | str) -> None:
    [bad] = ClientCore().receive(data)
    assert isinstance(bad, BadFrame) and bad.fatal is True
    assert isinstance(bad.error, ProtocolError) and str(bad.error).startswith(
        "frame is not JSON: ")


@pytest.mark.parametrize("data", [b"[1, 2]", b'"text"', b"17"])
def test_json_that_is_not_an_object_is_fatal(data: bytes) -> None:
    [bad] = ClientCore().receive(data)
    assert bad.fatal is True and str(bad.error) == "frame is not a JSON object"


def test_a_frame_without_a_known_member_is_dropped_not_fatal() -> None:
    [bad] = ClientCore().receive(b'{"tag": 99, "unknown": []}')
    assert bad.fatal is False and str(bad.error) == "frame has no known member"


def test_a_schema_breaking_answer_to_no_pending_call_is_reported_not_fatal() -> None:
    core = ClientCore(strict_decoding=True)
    [bad] = core.receive(b'{"tag": 5, "get": [{"code": 3}]}')
    assert bad.fatal is False and "breaks protocol" in str(bad.error)
    [bad] = core.receive(b'{"tag": "x", "get": [{"code": 3}]}')
    assert bad.fatal is False


def test_a_schema_breaking_answer_fails_its_call_and_is_reported() -> None:
    core = ClientCore(strict_decoding=True)
    call = core.start_call([Get("A")])
    # the failed call is the report: one CallDone carrying the error, no BadFrame beside it
    [done] = answer(core, call.frames[0], get=[{"code": 3, "path": "A"}])
    assert done == CallDone(call)
    assert isinstance(call.error, ProtocolError) and "/get/0/code" in str(call.error)
    assert core.pending_calls == 0
    assert core.stats.failed_calls == 1


def test_memoryview_and_bytearray_frames_are_read_like_bytes() -> None:
    core = ClientCore()
    call = core.start_call([Get("A")])
    frame = orjson.dumps({"tag": call.ids[0], "get": [ok("A", 4)]})
    assert core.receive(memoryview(bytearray(frame))) == [CallDone(call)]
    assert call.results()[0].value == 4


# --------------------------------------------------------------- event frames


def test_an_event_frame_not_led_by_its_event_member_is_still_routed() -> None:
    core = ClientCore()
    sub = core.add_subscription("A", tag="s")
    assert core.receive(b'{"x": 1, "event": [' + orjson.dumps(change("s", 3)) + b"]}") == [
        SubscriptionData(sub)]
    item = sub.pop()
    assert isinstance(item, Event) and item.value == 3


def test_events_that_break_the_schema_are_dropped_one_by_one() -> None:
    core = ClientCore(strict_decoding=True)
    sub = core.add_subscription("A", tag="s")
    frame = {"event": [change("s", 1), {"code": "onChange", "path": 5, "tag": "s"},
                       change("s", 2), {"path": "A"}]}
    events = core.receive(orjson.dumps(frame))
    bad = [e for e in events if isinstance(e, BadFrame)]
    assert [str(b.error).split(",")[0] for b in bad] == [
        "event 1 dropped", "event 3 dropped"]
    assert all(not b.fatal for b in bad) and core.invalid_events == 2
    assert events[-1] == SubscriptionData(sub)
    assert [getattr(sub.pop(), "value", None) for _ in range(2)] == [1, 2]


def test_an_event_frame_whose_events_are_no_list_is_reported() -> None:
    core = ClientCore(strict_decoding=True)
    [bad] = core.receive(b'{"event": 5}')
    assert bad.fatal is False and str(bad.error) == "event frame without a list of events"


def test_events_for_no_subscription_are_counted_each() -> None:
    core = ClientCore()
    core.add_subscription("A", tag="s")
    core.receive(orjson.dumps({"event": [change("x"), change(7), {"code": "onChange",
                                                                  "path": "A"}]}))
    core.receive(orjson.dumps({"event": [change("y")]}))
    assert core.unrouted_events == 4


def test_events_are_routed_by_non_text_tags_too() -> None:
    core = ClientCore()
    sub = core.add_subscription("A", tag=[1, {"k": "v"}])
    assert core.receive(orjson.dumps({"event": [change([1, {"k": "v"}], 9)]})) == [
        SubscriptionData(sub)]
    assert core.unrouted_events == 0


def test_one_wake_up_per_subscription_and_frame_in_first_touch_order() -> None:
    core = ClientCore()
    a = core.add_subscription("A", tag="a")
    b = core.add_subscription("B", tag="b")
    events = core.receive(orjson.dumps({"event": [change("b"), change("a"), change("b")]}))
    assert events == [SubscriptionData(b), SubscriptionData(a)]


# ------------------------------------------------------------ subscription buffers


def test_overflow_is_marked_where_the_loss_happened() -> None:
    sub = SubscriptionState("A", "t", None, None, maxlen=2)
    for v in range(4):
        sub.push(Event("onChange", "A", None, None, v, None, None, "t"))  # type: ignore[arg-type]
    assert sub.dropped == 2
    first = sub.pop()
    assert isinstance(first, Event) and first.value == 0
    sub.push(Event("onChange", "A", None, None, 4, None, None, "t"))  # type: ignore[arg-type]
    # room for one: the marker of the two lost takes it, and the new event is lost too
    assert [sub.pop(), sub.pop(), sub.pop(), sub.pop()] == [
        sub_value(1), Gap("overflow", 2), Gap("overflow", 1), None]
    assert sub.dropped == 0


def sub_value(value: int) -> Event:
    return Event("onChange", "A", None, None, value, None, None, "t")  # type: ignore[arg-type]


def test_a_gap_marker_goes_after_the_count_of_events_lost_before_it() -> None:
    sub = SubscriptionState("A", "t", None, None, maxlen=1)
    sub.push(sub_value(1))
    sub.push(sub_value(2))
    sub.push(sub_value(3))
    sub.push_gap("reconnect")
    assert sub.dropped == 0
    assert [sub.pop(), sub.pop(), sub.pop(), sub.pop()] == [
        sub_value(1), Gap("overflow", 2), Gap("reconnect"), None]


def test_the_renewal_request_is_the_original_subscription() -> None:
    core = ClientCore()
    sub = core.add_subscription("A", event="onSet", query={"maxDepth": 1}, tag="t")
    assert (sub.path, sub.event, sub.query, sub.tag, sub.active) == (
        "A", "onSet", {"maxDepth": 1}, "t", True)
    assert sub.dropped == 0 and sub.initial is None and sub.final is None
    renew = core.start_call([sub.subscribe_op()])
    assert sent(renew.frames[0])["subscribe"] == [
        {"path": "A", "query": {"maxDepth": 1}, "event": "onSet", "tag": "t"}]
    stop = core.start_call([sub.unsubscribe_op()])
    assert sent(stop.frames[0])["unsubscribe"] == [{"path": "A", "tag": "t"}]


def test_generated_subscription_tags_are_numbered_from_one() -> None:
    core = ClientCore()
    tags = [core.add_subscription("A").tag for _ in range(3)]
    assert tags == ["dmsproto.sub.1", "dmsproto.sub.2", "dmsproto.sub.3"]
    assert core.add_subscription("B").maxlen == 100_000


def test_subscription_arguments_are_checked() -> None:
    core = ClientCore()
    with pytest.raises(EncodeError, match="path must be a string, got 5"):
        core.add_subscription(5)  # type: ignore[arg-type]
    core.add_subscription("A", tag="t")
    with pytest.raises(ValueError, match="subscription tag 't' already in use"):
        core.add_subscription("B", tag="t")
    with pytest.raises(ValueError, match="subscription buffer size must be >= 1"):
        core.add_subscription("C", maxlen=0)


def test_a_removed_subscription_stays_readable_but_gets_no_more_events() -> None:
    core = ClientCore()
    sub = core.add_subscription("A", tag="t")
    core.receive(orjson.dumps({"event": [change("t", 1)]}))
    core.remove_subscription(sub)
    assert sub.active is False and core.subscriptions == []
    core.receive(orjson.dumps({"event": [change("t", 2)]}))
    assert sub.pop() == sub_value_t(1) and sub.pop() is None
    core.remove_subscription(sub)  # twice: nothing happens
    again = core.add_subscription("A", tag="t")  # the tag is free again
    core.remove_subscription(sub)  # the old one does not remove the new one
    assert core.subscriptions == [again]


def sub_value_t(value: int) -> Event:
    return Event("onChange", "A", None, None, value, None, None, "t")  # type: ignore[arg-type]


# -------------------------------------------------------------- requests and calls


def test_constructor_defaults() -> None:
    core = ClientCore()
    assert (core.whois, core.user, core.chunk_size, core.short_get, core.validate_requests,
            core.strict_decoding) == ("dmsproto", None, 10_000, True, False, False)
    assert (core.unrouted_events, core.invalid_events, core.dropped_responses) == (0, 0, 0)
    with pytest.raises(ValueError, match="chunk_size must be >= 1"):
        ClientCore(chunk_size=0)


def test_a_write_without_a_user_sends_an_empty_one() -> None:
    core = ClientCore(whois=None)
    frame = sent(core.start_call([Set("A", 1)]).frames[0])
    assert frame == {"tag": 1, "user": "", "set": [{"path": "A", "value": 1}]}
    frame = sent(core.start_call([Set("A", 1), Set("B", 2)]).frames[0])
    assert frame["user"] == "" and "whois" not in frame


def test_the_long_get_form_when_asked_or_mixed() -> None:
    long_form = ClientCore(short_get=False)
    assert sent(long_form.start_call([Get("A")]).frames[0])["get"] == [{"path": "A"}]
    assert sent(long_form.start_call([GetMany(("A", "B"))]).frames[0])["get"] == [
        {"path": "A"}, {"path": "B"}]
    mixed = ClientCore()
    frame = sent(mixed.start_call([Get("A"), Get("B", tag=1)]).frames[0])
    assert frame["get"] == [{"path": "A"}, {"path": "B", "tag": 1}]
    assert sent(mixed.start_call([GetMany(("A", "B"))]).frames[0])["get"] == ["A", "B"]


def test_a_single_call_with_a_batch_tag_and_the_ids_after_it() -> None:
    core = ClientCore()
    call = core.start_call([Get("A")], root_tag="batch")
    assert sent(call.frames[0])["tag"] == [1, "batch"]
    assert answer(core, call.frames[0], get=[ok("A")]) == [CallDone(call)]
    assert core.start_call([Get("B")]).ids == [2]
    assert core.start_call([GetMany(("C", "D"))]).ids == [3]


def test_a_single_op_answered_with_the_wrong_number_of_items_fails() -> None:
    core = ClientCore()
    call = core.start_call([Get("A")])
    answer(core, call.frames[0], get=[ok("A"), ok("B")])
    with pytest.raises(ProtocolError, match="'get': 2 response items for 1 request items"):
        call.results()


def test_the_message_names_the_command_as_the_wire_spells_it() -> None:
    core = ClientCore()
    ops = [ChangelogRead("G", start="2026-01-01T00:00:00Z"),
           ChangelogRead("H", start="2026-01-01T00:00:00Z")]
    call = core.start_call(ops)
    answer(core, call.frames[0], changelogRead=[{"code": "ok", "group": "G", "changelog": []}])
    with pytest.raises(ProtocolError, match=r"^'changelogRead': 1 response items"):
        call.results()


def test_an_unanswered_command_is_an_error_per_op_not_a_crash() -> None:
    core = ClientCore()
    call = core.start_call([Get("A"), ChangelogGroups()])
    answer(core, call.frames[0], get=[ok("A")])
    point, groups = call.results()
    assert point.path == "A"
    assert groups == []


def test_results_of_an_unfinished_call_refuse() -> None:
    core = ClientCore(chunk_size=1)
    call = core.start_call([GetMany(("A", "B"))])
    answer(core, call.frames[0], get=[ok("A")])
    with pytest.raises(DMSProtoError, match=r"^call not complete$"):
        call.results()


def test_connection_lost_fails_with_the_given_error_or_its_own() -> None:
    core = ClientCore()
    first = core.start_call([Get("A")])
    first.sent = 1  # the transport wrote its frame: a read that was sent gets the cause
    cause = ProtocolError("garbage from the server")
    assert core.connection_lost(cause) == [first]
    with pytest.raises(ProtocolError) as raised:
        first.results()
    assert raised.value is cause
    second = core.start_call([Get("A")])
    second.sent = 1
    core.connection_lost()
    with pytest.raises(ConnectionLost, match=r"^connection to the DMS lost$"):
        second.results()
    assert core.connection_lost() == []


def test_connection_lost_keeps_the_first_error_of_a_call() -> None:
    core = ClientCore(chunk_size=1)
    call = core.start_call([GetMany(("A", "B"))])
    call.sent = len(call.frames)
    [failed] = core.connection_lost(ProtocolError("first"))
    assert failed is call and str(call.error) == "first"


def test_a_fatal_item_first_still_lets_later_items_find_their_ops() -> None:
    core = ClientCore()
    call = core.start_call([Get("X"), Query("R", {"maxDepth": 0}), GetMany(("Y", "Z"))])
    sent_items = sent(call.frames[0])["get"]
    assert sent_items == [{"path": "X", "tag": 0}, {"path": "R", "query": {"maxDepth": 0},
                                                    "tag": 1},
                          {"path": "Y", "tag": 2}, {"path": "Z", "tag": 2}]
    answer(core, call.frames[0], get=[FATAL, ok("X", tag=0), ok("Y", tag=2), ok("Z", tag=2)])
    x, found, yz = call.results()
    assert x.path == "X" and [p.path for p in yz] == ["Y", "Z"]
    assert isinstance(found, ItemError) and found.message == "Invalid request"


def test_an_empty_command_after_a_full_chunk_does_not_make_a_frame_of_its_own() -> None:
    core = ClientCore(chunk_size=2)
    call = core.start_call([GetMany(("A", "B")), ChangelogGroups()])
    assert [sent(f) for f in call.frames] == [
        {"tag": 1, "get": ["A", "B"], "changelogGetGroups": []}]
    first = ClientCore(chunk_size=2).start_call([ChangelogGroups(), GetMany(("A", "B", "C"))])
    assert [sent(f) for f in first.frames] == [
        {"tag": 1, "changelogGetGroups": [], "get": ["A", "B"]}, {"tag": 2, "get": ["C"]}]
