"""Error paths of correlation, chunking and renewal in the sans-I/O core, by plain calls.

Everything here goes through ``ClientCore``'s public behaviour (``start_call``,
``receive``, ``Call.results``, the subscription registry), so it holds whatever the
transports above it look like.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from dmsproto.errors import ConnectionLost, NoPermission, NotFound, ProtocolError
from dmsproto.protocol import (
    CallDone,
    ChangelogGroups,
    ClientCore,
    Get,
    GetMany,
    Query,
    Rename,
    Set,
    SubscriptionData,
)
from dmsproto.results import ItemError, Point, SetResult, SubscribeResult
from tests.support.core_frames import FATAL, STAMP, answer, ok, sent


def sub_ok(path: str, tag: Any, value: Any = 1) -> dict[str, Any]:
    return {"code": "ok", "path": path, "value": value, "type": "int", "stamp": STAMP,
            "tag": tag}




def untagged(core: ClientCore, **commands: Any) -> list[Any]:
    return core.receive(orjson.dumps(commands))


# --------------------------------------------------------------- wrong item tags


def _query_call(core: ClientCore) -> Any:
    """A get with a query between two plain reads: its items carry tags 0, 1, 2."""
    call = core.start_call([Get("X"), Query("Root", {"maxDepth": 0}), Get("Y")])
    assert [i["tag"] for i in sent(call.frames[0])["get"]] == [0, 1, 2]
    return call


@pytest.mark.parametrize("tag", [3, -1, "1", 1.0, True, None, [7, "user"], [], {"i": 1}])
def test_an_ok_item_with_a_tag_no_request_item_has_fails_the_call(tag: Any) -> None:
    core = ClientCore()
    call = _query_call(core)
    stray = ok("Root:c", tag=tag)
    assert answer(core, call.frames[0], get=[ok("X", tag=0), ok("Root:a", tag=1), stray,
                                             ok("Y", tag=2)]) == [CallDone(call)]
    with pytest.raises(ProtocolError, match="unknown tag"):
        call.results()


def test_an_ok_item_without_a_tag_in_a_tagged_answer_fails_the_call() -> None:
    core = ClientCore()
    call = _query_call(core)
    answer(core, call.frames[0], get=[ok("X", tag=0), ok("Root:a"), ok("Y", tag=2)])
    with pytest.raises(ProtocolError, match="unknown tag"):
        call.results()


def test_an_error_item_with_a_path_and_a_wrong_tag_fails_the_call() -> None:
    """Only a command-level error (no path) may stand for items it does not name."""
    core = ClientCore()
    call = _query_call(core)
    wrong = {"code": "not found", "path": "Y", "message": "nope", "tag": 9}
    answer(core, call.frames[0], get=[ok("X", tag=0), ok("Root:a", tag=1), wrong])
    with pytest.raises(ProtocolError, match="unknown tag 9"):
        call.results()


def test_a_fatal_item_answers_every_request_item_that_got_nothing() -> None:
    core = ClientCore()
    call = _query_call(core)
    answer(core, call.frames[0], get=[ok("X", tag=0), FATAL])
    x, found, y = call.results()
    assert isinstance(x, Point) and x.path == "X" and x.tag is None
    for missing in (found, y):
        assert isinstance(missing, ItemError)
        assert (missing.code, missing.message, missing.path) == ("error", "Invalid request",
                                                                None)


def test_a_query_that_matches_nothing_is_an_empty_list_not_an_error() -> None:
    core = ClientCore()
    call = _query_call(core)
    answer(core, call.frames[0], get=[ok("X", tag=0), ok("Y", tag=2)])
    x, found, y = call.results()
    assert found == [] and x.path == "X" and y.path == "Y"


def test_user_tags_come_back_on_the_items_of_their_own_query_only() -> None:
    core = ClientCore()
    call = core.start_call([Query("A", {"maxDepth": 0}, tag="mine"), Get("B", tag={"k": 1}),
                            Query("C", {"maxDepth": 0})])
    assert [i["tag"] for i in sent(call.frames[0])["get"]] == [[0, "mine"], [1, {"k": 1}], 2]
    answer(core, call.frames[0], get=[ok("A:1", tag=[0, "mine"]), ok("B", tag=[1, {"k": 1}]),
                                      ok("C:1", tag=2), ok("A:2", tag=[0, "mine"])])
    a, b, c = call.results()
    assert [(p.path, p.tag) for p in a] == [("A:1", "mine"), ("A:2", "mine")]
    assert (b.path, b.tag) == ("B", {"k": 1})
    assert [(p.path, p.tag) for p in c] == [("C:1", None)]


# ----------------------------------------------- untagged answers, several calls pending


def test_an_untagged_fatal_answer_goes_to_the_oldest_call_of_its_command() -> None:
    core = ClientCore(whois="me", user="u")
    write = core.start_call([Set("A", 1)])
    first_read = core.start_call([Get("A")])
    rename = core.start_call([Rename("A", "B")])
    second_read = core.start_call([Get("B")])
    assert untagged(core, get=[FATAL]) == [CallDone(first_read)]
    [error] = first_read.results()
    assert isinstance(error, ItemError) and error.message == "Invalid request"
    assert not write.done and not rename.done and not second_read.done
    assert untagged(core, rename=[FATAL]) == [CallDone(rename)]
    assert untagged(core, set=[FATAL]) == [CallDone(write)]
    assert untagged(core, get=[FATAL]) == [CallDone(second_read)]
    assert core.pending_calls == 0


def test_an_untagged_answer_that_no_pending_call_can_have_is_dropped() -> None:
    core = ClientCore()
    read = core.start_call([Get("A")])
    assert untagged(core, set=[FATAL]) == []
    assert core.dropped_responses == 1 and not read.done
    assert answer(core, read.frames[0], get=[ok("A")]) == [CallDone(read)]


def test_an_untagged_answer_needs_every_command_it_names() -> None:
    """A get+set answer is not for a get-only call, even an older one."""
    core = ClientCore()
    read = core.start_call([Get("A")])
    both = core.start_call([Get("B"), Set("B", 2)])
    assert untagged(core, get=[FATAL], set=[FATAL]) == [CallDone(both)]
    got, written = both.results()
    assert isinstance(got, ItemError) and isinstance(written, ItemError)
    assert not read.done


def test_a_late_tagged_answer_after_an_untagged_one_is_dropped() -> None:
    core = ClientCore()
    read = core.start_call([Get("A")])
    untagged(core, get=[FATAL])
    assert answer(core, read.frames[0], get=[ok("A")]) == []
    assert core.dropped_responses == 1
    assert isinstance(read.results()[0], ItemError)


def test_an_untagged_answer_goes_to_the_frame_of_a_chunked_call_that_has_its_command() -> None:
    core = ClientCore(chunk_size=2)
    call = core.start_call([GetMany(("A", "B")), Set("C", 3)])
    # every frame of a call that writes carries the writer's root members
    assert [sorted(sent(f)) for f in call.frames] == [["get", "tag", "user", "whois"],
                                                      ["set", "tag", "user", "whois"]]
    assert untagged(core, set=[FATAL]) == []  # the get frame is still unanswered
    assert answer(core, call.frames[0], get=[ok("A"), ok("B")]) == [CallDone(call)]
    points, written = call.results()
    assert [p.path for p in points] == ["A", "B"]
    assert isinstance(written, ItemError) and written.message == "Invalid request"


def test_a_tagged_fatal_item_answers_every_op_of_its_command() -> None:
    core = ClientCore()
    call = core.start_call([Get("A"), Get("B"), Set("C", 1)])
    answer(core, call.frames[0], get=[FATAL], set=[ok("C")])
    a, b, c = call.results()
    assert isinstance(a, ItemError) and isinstance(b, ItemError)
    assert a.message == b.message == "Invalid request"
    assert isinstance(c, SetResult) and c.path == "C"


def test_too_many_items_without_a_fatal_one_fail_the_call() -> None:
    core = ClientCore()
    call = core.start_call([Get("A"), Get("B")])
    answer(core, call.frames[0], get=[ok("A"), ok("B"), ok("C")])
    with pytest.raises(ProtocolError, match="3 response items for 2 request items"):
        call.results()


# ------------------------------------------------------------- chunk boundaries


@pytest.mark.parametrize(("items", "frames"), [(1, 1), (4, 1), (5, 2), (8, 2), (9, 3)])
def test_a_frame_holds_exactly_chunk_size_items(items: int, frames: int) -> None:
    core = ClientCore(chunk_size=4)
    call = core.start_call([GetMany(tuple(f"P{i}" for i in range(items)))])
    assert len(call.frames) == frames == len(call.ids)
    sizes = [len(sent(f)["get"]) for f in call.frames]
    assert sizes == [4] * (items // 4) + ([items % 4] if items % 4 else [])
    assert len(set(call.ids)) == frames


def test_items_of_several_commands_split_at_the_boundary_in_request_order() -> None:
    core = ClientCore(chunk_size=3, whois="me", user="op")
    call = core.start_call([
        GetMany(("A", "B")), Set("S1", 1), Set("S2", 2), Get("C"), Rename("R1", "R2"),
    ])
    frames = [sent(f) for f in call.frames]
    # items are grouped by command (get, set, rename), then cut every 3 items
    assert [{k: v for k, v in f.items() if k != "tag"} for f in frames] == [
        {"whois": "me", "user": "op", "get": ["A", "B", "C"]},
        {"whois": "me", "user": "op", "set": [{"path": "S1", "value": 1},
                                              {"path": "S2", "value": 2}],
         "rename": [{"path": "R1", "newPath": "R2"}]},
    ]
    assert call.commands == [frozenset({"get"}), frozenset({"set", "rename"})]
    answer(core, call.frames[1], set=[ok("S1"), ok("S2", 2)],
           rename=[{"code": "ok", "path": "R1", "newPath": "R2"}])
    assert not call.done
    answer(core, call.frames[0], get=[ok("A"), ok("B", 2), ok("C", 3)])
    many, s1, s2, c, renamed = call.results()
    assert [p.value for p in many] == [1, 2]
    assert (s1.path, s2.value, c.value) == ("S1", 2, 3)
    assert not isinstance(renamed, ItemError)


def test_a_command_split_across_frames_is_merged_before_it_is_shared_out() -> None:
    core = ClientCore(chunk_size=2)
    call = core.start_call([Get("A"), GetMany(("B", "C")), Get("D")])
    assert [sent(f)["get"] for f in call.frames] == [["A", "B"], ["C", "D"]]
    answer(core, call.frames[1], get=[ok("C", 3), ok("D", 4)])
    answer(core, call.frames[0], get=[ok("A", 1), ok("B", 2)])
    a, bc, d = call.results()
    assert (a.value, [p.value for p in bc], d.value) == (1, [2, 3], 4)


def test_an_empty_command_rides_in_the_current_frame() -> None:
    core = ClientCore(chunk_size=2)
    call = core.start_call([GetMany(("A", "B", "C")), ChangelogGroups()])
    assert [sorted(sent(f)) for f in call.frames] == [["get", "tag"],
                                                      ["changelogGetGroups", "get", "tag"]]
    answer(core, call.frames[0], get=[ok("A"), ok("B")])
    answer(core, call.frames[1], get=[ok("C")],
           changelogGetGroups=[{"code": "ok", "groups": ["G"]}])
    points, groups = call.results()
    assert [p.path for p in points] == ["A", "B", "C"] and groups == ["G"]


def test_a_chunked_call_is_done_only_when_every_frame_is_answered_once() -> None:
    core = ClientCore(chunk_size=1)
    call = core.start_call([GetMany(("A", "B"))])
    assert answer(core, call.frames[0], get=[ok("A")]) == []
    assert call.remaining == 1 and not call.done
    assert answer(core, call.frames[0], get=[ok("A")]) == []  # a repeated answer: dropped
    assert core.dropped_responses == 1
    assert answer(core, call.frames[1], get=[ok("B")]) == [CallDone(call)]


def test_a_chunked_call_abandoned_drops_the_answers_of_all_its_frames() -> None:
    core = ClientCore(chunk_size=1)
    call = core.start_call([GetMany(("A", "B", "C"))])
    answer(core, call.frames[0], get=[ok("A")])
    core.abandon(call)
    assert core.pending_calls == 0
    assert answer(core, call.frames[1], get=[ok("B")]) == []
    assert answer(core, call.frames[2], get=[ok("C")]) == []
    assert core.dropped_responses == 2


def test_the_root_tag_of_every_frame_carries_the_batch_tag() -> None:
    core = ClientCore(chunk_size=1)
    call = core.start_call([GetMany(("A", "B"))], root_tag={"batch": 1})
    tags = [sent(f)["tag"] for f in call.frames]
    assert tags == [[call.ids[0], {"batch": 1}], [call.ids[1], {"batch": 1}]]
    for frame, path in zip(call.frames, "AB", strict=True):
        answer(core, frame, get=[ok(path)])
    assert [p.path for p in call.results()[0]] == ["A", "B"]


def test_frame_ids_keep_counting_across_calls() -> None:
    core = ClientCore(chunk_size=2)
    first = core.start_call([GetMany(("A", "B", "C"))])
    second = core.start_call([Get("D")])
    assert first.ids == [1, 2] and second.ids == [3]
    assert core.pending_calls == 2


# ------------------------------------------------------------- subscription renewal


def _renewal(core: ClientCore) -> tuple[list[Any], Any]:
    subs = [core.add_subscription(path, tag=f"t{n}") for n, path in enumerate("ABC")]
    call = core.start_call([s.subscribe_op() for s in subs])
    assert [i["tag"] for i in sent(call.frames[0])["subscribe"]] == ["t0", "t1", "t2"]
    return subs, call


def test_a_renewal_refused_for_some_subscriptions_answers_each_on_its_own() -> None:
    core = ClientCore()
    _, call = _renewal(core)
    answer(core, call.frames[0], subscribe=[
        sub_ok("A", "t0"),
        {"code": "not found", "path": "B", "message": "Data point doesn't exist", "tag": "t1"},
        {"code": "no perm", "path": "C", "message": "No permission", "tag": "t2"},
    ])
    renewed, missing, forbidden = call.results()
    assert isinstance(renewed, SubscribeResult) and renewed.path == "A"
    assert isinstance(missing, ItemError) and isinstance(missing.exception(), NotFound)
    assert isinstance(forbidden, ItemError)
    assert isinstance(forbidden.exception(), NoPermission)
    assert [s.path for s in core.subscriptions] == ["A", "B", "C"]  # the transport decides


def test_a_renewal_refused_as_a_whole_gives_every_subscription_the_error() -> None:
    core = ClientCore()
    _, call = _renewal(core)
    assert untagged(core, subscribe=[FATAL]) == [CallDone(call)]
    results = call.results()
    assert len(results) == 3
    assert all(isinstance(r, ItemError) and r.message == "Invalid request" for r in results)


def test_a_renewal_answered_short_fails_the_call() -> None:
    core = ClientCore()
    _, call = _renewal(core)
    answer(core, call.frames[0], subscribe=[sub_ok("A", "t0")])
    with pytest.raises(ProtocolError, match="1 response items for 3 request items"):
        call.results()


def test_a_renewal_cut_off_by_a_lost_connection_fails_but_keeps_the_registry() -> None:
    core = ClientCore()
    subs, call = _renewal(core)
    assert core.connection_lost() == [call]
    with pytest.raises(ConnectionLost):
        call.results()
    # the subscriptions stay registered: their events are still routed
    [data] = core.receive(orjson.dumps({"event": [{"code": "onChange", "path": "B",
                                                   "tag": "t1", "value": 5}]}))
    assert data == SubscriptionData(subs[1])


def test_a_renewal_answer_that_breaks_the_schema_fails_only_its_call() -> None:
    core = ClientCore(strict_decoding=True)
    _, call = _renewal(core)
    other = core.start_call([Get("X")])
    got = answer(core, call.frames[0], subscribe=[{"code": 17, "path": "A", "tag": "t0"}])
    assert got == [CallDone(call)]  # the failed call is the report, the link stays
    with pytest.raises(ProtocolError, match="breaks protocol"):
        call.results()
    assert answer(core, other.frames[0], get=[ok("X")]) == [CallDone(other)]


def test_events_for_a_subscription_removed_after_a_failed_renewal_are_counted() -> None:
    core = ClientCore()
    subs, call = _renewal(core)
    answer(core, call.frames[0], subscribe=[
        sub_ok("A", "t0"), FATAL | {"path": "B", "tag": "t1"}, sub_ok("C", "t2")])
    results = call.results()
    core.remove_subscription(subs[1])
    assert isinstance(results[1], ItemError)
    events = core.receive(orjson.dumps({"event": [
        {"code": "onChange", "path": "B", "tag": "t1"},
        {"code": "onChange", "path": "C", "tag": "t2"}]}))
    assert events == [SubscriptionData(subs[2])]
    assert core.unrouted_events == 1 and not subs[1].active
