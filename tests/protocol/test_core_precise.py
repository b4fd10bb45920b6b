"""The core's answers compared whole: messages, frames, counters and the request check.

``test_core_contract.py`` pins the promises a transport relies on; the tests here
pin the details next to them that a looser assertion lets slip: the exact text of
each error (a regular expression also matches a message with words around it),
the frame of a multi-op call, the counters after the second event, and
``validate_requests`` on the core itself (the client's tests reach it only
through a transport).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import orjson
import pytest

from dmsproto.errors import (
    ConnectionLost,
    EncodeError,
    NotInVersionError,
    OutcomeUnknown,
    ProtocolError,
)
from dmsproto.protocol import (
    BadFrame,
    Call,
    CallDone,
    ChangelogGroups,
    ChangelogRead,
    ClientCore,
    Delete,
    Get,
    GetMany,
    Query,
    ReadHistory,
    Rename,
    Set,
    SubscriptionState,
)
from dmsproto.results import Event, Gap
from tests.protocol.test_frame_triage import Broken
from tests.support.core_frames import answer, ok, sent

ANCHOR = datetime(2024, 1, 1, tzinfo=UTC)
INDEX_ZERO = "[array-index] array index starts at 1"


def message_of(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    return str(excinfo.value)


def results_error(call: Call) -> str:
    """The message of the ``ProtocolError`` that ``call.results()`` raises."""
    with pytest.raises(ProtocolError) as caught:
        call.results()
    return str(caught.value)


# ------------------------------------------------------------- validate_requests


def test_a_checked_request_names_its_violation_and_is_not_registered() -> None:
    core = ClientCore(validate_requests=True)
    with pytest.raises(EncodeError) as one:
        core.start_call([Get("A:B[0]")])
    assert message_of(one) == f"request breaks protocol 1.4: /get/0: {INDEX_ZERO}"
    with pytest.raises(EncodeError) as several:
        core.start_call([Get("A"), Set("B[0]", 1)])
    assert message_of(several) == f"request breaks protocol 1.4: /set/0/path: {INDEX_ZERO}"
    assert core.pending_calls == 0


@pytest.mark.parametrize(("bad", "more"), [(5, ""), (6, " (+1 more)"), (8, " (+3 more)")])
def test_a_checked_request_lists_five_violations_and_counts_the_rest(bad: int,
                                                                     more: str) -> None:
    core = ClientCore(validate_requests=True)
    with pytest.raises(EncodeError) as caught:
        core.start_call([Get(f"P{i}[0]") for i in range(bad)])
    listed = "; ".join(f"/get/{i}: {INDEX_ZERO}" for i in range(5))
    assert message_of(caught) == f"request breaks protocol 1.4: {listed}{more}"


def test_a_checked_request_passes_with_warnings_and_in_its_own_version() -> None:
    core = ClientCore(validate_requests=True)
    call = core.start_call([GetMany(())])  # an empty command: a warning only
    assert sent(call.frames[0]) == {"tag": 1, "get": []}
    several = core.start_call([Get("A"), Set("B", 1)])
    assert len(several.frames) == 1
    # showPast exists in 1.5 only: the frame is checked against the core's version
    v15 = ClientCore(protocol="1.5", validate_requests=True)
    history = v15.start_call([ReadHistory("A", ANCHOR, show_past=True)])
    assert sent(history.frames[0])["get"][0]["histData"]["showPast"] is True
    assert core.pending_calls == 2 and v15.pending_calls == 1


# ------------------------------------------------------------- building requests


def test_refused_requests_say_why_in_full() -> None:
    core = ClientCore()
    with pytest.raises(EncodeError) as empty:
        core.start_call([])
    assert message_of(empty) == "a request needs at least one operation"
    with pytest.raises(EncodeError) as twice:
        core.start_call([ChangelogGroups(), ChangelogGroups()])
    assert message_of(twice) == "only one changelog_groups per request"
    with pytest.raises(ValueError) as chunk:
        ClientCore(chunk_size=0)
    assert message_of(chunk) == "chunk_size must be >= 1"
    with pytest.raises(ValueError) as buffer:
        SubscriptionState("A", "t", None, None, 0)
    assert message_of(buffer) == "subscription buffer size must be >= 1"


def test_a_command_the_version_lacks_is_named_by_its_operation() -> None:
    v13 = ClientCore(protocol="1.3")
    expected = "changelog_groups is not part of protocol 1.3 (it has no such command)"
    for ops in ([ChangelogGroups()], [Get("A"), ChangelogGroups()]):
        with pytest.raises(NotInVersionError) as caught:
            v13.start_call(ops)
        assert message_of(caught) == expected


def test_only_a_call_with_a_set_sends_the_user() -> None:
    core = ClientCore(user="ann")
    frame = sent(core.start_call([Rename("A", "X"), Delete("B")]).frames[0])
    assert frame == {"tag": 1, "whois": "dmsproto", "rename": [{"path": "A", "newPath": "X"}],
                     "delete": [{"path": "B"}]}
    frame = sent(core.start_call([Rename("A", "X"), Set("B", 1)]).frames[0])
    assert frame["user"] == "ann"


def test_item_tags_only_where_two_operations_share_a_command() -> None:
    core = ClientCore()
    alone = sent(core.start_call([Query("A", {"maxDepth": 0}), Set("B", 1)]).frames[0])
    assert alone["get"] == [{"path": "A", "query": {"maxDepth": 0}}]
    call = core.start_call([Query("A", {"maxDepth": 0}), Query("B", {"maxDepth": 0})])
    assert [i["tag"] for i in sent(call.frames[0])["get"]] == [0, 1]
    answer(core, call.frames[0], get=[ok("B:y", tag=1), ok("A:x", tag=0), ok("A:z", tag=0)])
    first, second = call.results()
    assert [p.path for p in first] == ["A:x", "A:z"]
    assert [p.path for p in second] == ["B:y"]


# ----------------------------------------------------------------- reading results


def test_one_operation_over_several_frames_is_merged_not_read_from_the_first() -> None:
    core = ClientCore(chunk_size=2)
    call = core.start_call([GetMany(("A", "B", "C"))])
    assert len(call.frames) == 2
    answer(core, call.frames[0], get=[ok("A"), ok("B"), ok("C")])  # one item too many
    answer(core, call.frames[1], get=[ok("C")])
    assert results_error(call) == "'get': 4 response items for 3 request items"


def test_an_answer_without_its_command_is_short_of_items() -> None:
    core = ClientCore()
    single = core.start_call([Get("A")])
    assert answer(core, single.frames[0]) == [CallDone(single)]
    assert results_error(single) == "'get': 0 response items for 1 request items"

    query = core.start_call([Query("A", {"maxDepth": 0})])
    answer(core, query.frames[0])
    assert query.results() == [[]]  # a query with no answer items found nothing

    several = core.start_call([Get("A"), Set("B", 1)])
    answer(core, several.frames[0], get=[ok("A")])
    assert results_error(several) == "'set': 0 response items for 1 request items"


def test_an_unknown_item_tag_is_named_with_its_command() -> None:
    core = ClientCore()
    call = core.start_call([Query("A", {"maxDepth": 0}), Get("B")])
    answer(core, call.frames[0], get=[ok("A:x", tag=0), ok("B", tag=9)])
    assert results_error(call) == "'get': response item with unknown tag 9"


def test_an_unreadable_answer_names_every_kind_of_operation_and_the_failure() -> None:
    core = ClientCore()
    call = core.start_call([Broken("A"), Get("B"), Broken("C")])
    answer(core, call.frames[0], get=[ok("A"), ok("B"), ok("C")])
    assert results_error(call) == ("the answer to broken, get cannot be read as its result "
                                  "(KeyError)")


# ------------------------------------------------------------------- subscriptions


def event(value: int) -> Event:
    return Event("onChange", "A", None, None, value, None, None, "t")  # type: ignore[arg-type]


def test_after_an_overflow_gap_the_count_starts_again_from_zero() -> None:
    sub = SubscriptionState("A", "t", None, None, 3)
    for value in (1, 2, 3, 4):  # 4 is dropped
        sub.push(event(value))
    assert sub.pop() == event(1) and sub.pop() == event(2)
    sub.push(event(5))  # the gap goes in first, and 5 still fits
    assert sub.dropped == 0
    assert sub.pop() == event(3)
    sub.push(event(6))  # room for 6: no second gap
    assert [sub.pop() for _ in range(4)] == [Gap("overflow", 1), event(5), event(6), None]


# ------------------------------------------------------------------ bad frames


def test_each_bug_of_ours_and_each_failed_call_is_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    core = ClientCore()
    for _ in range(2):
        call = core.start_call([Get("A")])
        core.receive(orjson.dumps({"tag": call.ids[0], "get": [{"code": 1}]}))
    assert core.stats.failed_calls == 2

    def bug(*args: object) -> None:
        raise AttributeError("a bug")

    monkeypatch.setattr(core, "_response", bug)
    core.receive(b'{"tag": 1, "get": []}')
    core.receive(b'{"tag": 1, "get": []}')
    assert core.stats.fatal_frames == 2


def test_a_broken_answer_fails_the_call_its_tag_names_wherever_the_tag_is() -> None:
    core = ClientCore()
    first = core.start_call([Get("A")])
    second = core.start_call([Get("B")])
    events = core.receive(orjson.dumps({"get": [{"code": 1}], "tag": second.ids[0]}))
    assert events == [CallDone(second)] and not first.done
    assert str(second.error) == ("the answer breaks protocol 1.4: /get/0/code: Expected `str`, "
                                 "got `int`")


def test_an_answer_cut_short_before_any_member_names_no_pointer() -> None:
    core = ClientCore()
    call = core.start_call([Get("A")])
    assert core.receive(b'{"tag": 1, ') == [CallDone(call)]
    assert str(call.error) == "the answer is not JSON: ends too early"


def test_not_utf8_in_a_skipped_member_fails_the_call_named_at_the_head() -> None:
    """The typed decoder takes the last of two root tags; the head names the first."""
    core = ClientCore()
    call = core.start_call([Get("A")])
    events = core.receive(b'{"tag": 1, "tag": 99, "x": "\x80"}')
    assert events == [CallDone(call)]
    assert str(call.error) == "the answer is not JSON: not UTF-8 at position 28"


def test_an_untagged_broken_answer_finds_its_call_by_the_wire_name_of_its_command() -> None:
    core = ClientCore()
    older = core.start_call([Get("A")])
    changelog = core.start_call([ChangelogRead("group", ANCHOR)])
    events = core.receive(b'{"changelogRead": 5}')
    assert events == [CallDone(changelog)] and not older.done
    assert str(changelog.error) == (
        "the answer breaks protocol 1.4: /changelogRead: Expected `array`, got `int`")


def test_a_dropped_event_and_a_dropped_frame_are_logged_with_their_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    core = ClientCore(strict_decoding=True)
    core.add_subscription("A", tag="s")
    items = [{"code": "onChange", "path": "A", "value": 1, "tag": "s"},
             {"code": "onExplode", "path": "A", "value": 2, "tag": "s"}]
    with caplog.at_level(logging.WARNING, "dmsproto.protocol"):
        events = core.receive(orjson.dumps({"event": items}))
        core.receive(b'{"tag": 5, "surprise": 1}')
    [bad] = [e for e in events if isinstance(e, BadFrame)]
    reason = "event 1 dropped, it breaks the schema: /code: Invalid enum value 'onExplode'"
    assert str(bad.error) == reason
    logged = [r.getMessage() for r in caplog.records]
    assert logged[0].startswith(f"{reason} (1 so far), dropped: ")
    assert logged[1] == 'frame has no known member (1 so far), dropped: {"tag": 5, "surprise": 1}'


# ------------------------------------------------------------------ failure()


def test_a_lost_write_names_its_operations_and_keeps_the_cause() -> None:
    lost = ConnectionLost("lost")
    core = ClientCore(chunk_size=1)
    ops = [Set("A", 1), Set("B", 2)]
    call = core.start_call(ops)
    call.sent = 2
    call.responses[0] = object()  # the first frame was answered
    error = core.failure(call, lost)
    assert isinstance(error, OutcomeUnknown)
    assert (error.ops, error.answered, error.unknown, error.not_sent) == (
        tuple(ops), (ops[0],), (ops[1],), ())
    assert error.__cause__ is lost
    assert str(error) == ("lost; 1 of 2 operations were sent and not answered: they may or "
                          "may not have been done (frames answered: 1 of 2)")

    one_frame = ClientCore().start_call(ops)
    one_frame.sent = 1
    assert str(ClientCore().failure(one_frame, lost)) == (
        "lost; 2 of 2 operations were sent and not answered: they may or may not have been "
        "done")


def test_an_empty_operation_after_full_frames_belongs_to_the_last_frame() -> None:
    core = ClientCore(chunk_size=1)
    ops = [Set("A", 1), GetMany(())]
    call = core.start_call(ops)
    assert len(call.frames) == 1
    call.sent = 1
    error = core.failure(call, ConnectionLost("lost"))
    assert isinstance(error, OutcomeUnknown)
    assert (error.unknown, error.not_sent) == (tuple(ops), ())
