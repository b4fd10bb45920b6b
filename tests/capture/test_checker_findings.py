"""The cross-message checker's findings, field by field.

Each test feeds a short conversation to :class:`dmsproto.capture.checker.Checker`
and compares every finding it reports -- rule, the message it is attached to
(its position), JSON pointer, value and wording -- with what a report must
show. ``tests/capture/test_checker.py`` checks the same rules through
``validate_records``, by rule and position only.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from dmsproto.capture import Message
from dmsproto.capture.checker import Checker

OK = {"code": "ok", "value": 1, "type": "int", "stamp": None}
EVENT = {"code": "onChange", "trigger": "x", "value": 1, "type": "int", "stamp": None}


class Finding(NamedTuple):
    rule: str
    position: str
    pointer: str
    value: Any
    text: str


class Talk:
    """A conversation on one or more streams; each message is numbered ``t:N`` in order."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.checker = Checker(self._sink)
        self._n = 0

    def _sink(self, rule: str, message: Message, pointer: str, value: Any, text: str) -> None:
        self.findings.append(Finding(rule, message.position, pointer, value, text))

    def _feed(self, direction: str, frame: dict[str, Any], stream: str) -> str:
        self._n += 1
        message = Message(direction, frame, "t", self._n, None, stream, 0)  # type: ignore[arg-type]
        self.checker.feed(message, frame)
        return message.position

    def send(self, frame: dict[str, Any], stream: str = "s") -> str:
        return self._feed("send", frame, stream)

    def recv(self, frame: dict[str, Any], stream: str = "s") -> str:
        return self._feed("recv", frame, stream)

    def finish(self) -> list[Finding]:
        self.checker.finish()
        return self.findings


def item(path: str, **extra: Any) -> dict[str, Any]:
    return {**OK, "path": path, **extra}


def event(path: str | None, **extra: Any) -> dict[str, Any]:
    return {**EVENT, **({} if path is None else {"path": path}), **extra}


# --- requests without a response ------------------------------------------------------


def test_orphan_requests_name_their_tag_or_its_absence() -> None:
    talk = Talk()
    talk.send({"get": ["A"], "tag": 7})
    talk.send({"get": ["B"]})
    talk.send({"get": ["C"], "tag": None})
    talk.send({"get": ["D"], "tag": "abc"})
    assert talk.finish() == [
        Finding("orphan-request", "t:1", "", 7, "request (tag 7) never got a response"),
        Finding("orphan-request", "t:2", "", None, "request (no tag) never got a response"),
        Finding("orphan-request", "t:3", "", None, "request (tag null) never got a response"),
        Finding("orphan-request", "t:4", "", "abc", 'request (tag "abc") never got a response'),
    ]


def test_a_long_tag_is_cut_in_the_message_but_whole_in_the_value() -> None:
    tag = "x" * 300
    talk = Talk()
    talk.send({"get": ["A"], "tag": tag})
    [found] = talk.finish()
    assert found.value == tag
    shown = '"' + "x" * 196 + "..."  # 200 characters of the tag's JSON text
    assert found.text == f"request (tag {shown}) never got a response"


def test_finish_reports_each_open_request_once() -> None:
    talk = Talk()
    talk.send({"get": ["A"], "tag": 1}, stream="one")
    talk.send({"get": ["A"], "tag": 1}, stream="two")
    assert [f.position for f in talk.finish()] == ["t:1", "t:2"]
    talk.findings.clear()
    assert talk.finish() == []
    # and the checker starts afresh: a response to a request fed before finish() is an orphan
    talk.recv({"get": [item("A")], "tag": 1}, stream="one")
    assert [f.rule for f in talk.findings] == ["orphan-response"]


# --- writes without whois -------------------------------------------------------------


def test_each_write_command_without_whois_is_named() -> None:
    talk = Talk()
    talk.send({"set": [{"path": "A", "value": 1}], "tag": 1})
    talk.send({"rename": [{"path": "A", "newPath": "B"}], "tag": 2})
    talk.send({"delete": [{"path": "B"}], "tag": 3})
    talk.send({"set": [{"path": "A", "value": 1}], "whois": "me", "tag": 4})
    talk.send({"get": ["A"], "tag": 5})
    why = "(required for writes on unauthenticated connections)"
    assert talk.findings == [
        Finding("whois", "t:1", "/whois", None, f"set request without 'whois' {why}"),
        Finding("whois", "t:2", "/whois", None, f"rename request without 'whois' {why}"),
        Finding("whois", "t:3", "/whois", None, f"delete request without 'whois' {why}"),
    ]


def test_a_request_of_several_writes_without_whois_is_one_finding_and_still_pairs() -> None:
    talk = Talk()
    talk.send({"delete": [{"path": "B"}], "set": [{"path": "A", "value": 1}], "tag": 1})
    talk.recv({"delete": [{"code": "ok", "path": "B"}], "set": [item("A")], "tag": 1})
    assert [(f.rule, f.text.split()[0]) for f in talk.finish()] == [("whois", "set")]


# --- pairing responses with requests --------------------------------------------------


def test_orphan_responses_with_and_without_a_tag() -> None:
    talk = Talk()
    talk.recv({"get": [item("A")], "tag": 9})
    talk.recv({"get": [item("A")]})
    talk.recv({"get": [item("A")], "tag": None})
    assert talk.finish() == [
        Finding("orphan-response", "t:1", "/tag", 9, "response (tag 9) answers no open request"),
        Finding("orphan-response", "t:2", "", None, "response (no tag) answers no open request"),
        Finding("orphan-response", "t:3", "/tag", None,
                "response (tag null) answers no open request"),
    ]


def test_an_untagged_response_answers_the_oldest_tagged_request() -> None:
    talk = Talk()
    talk.send({"get": ["A"], "tag": 1})
    talk.send({"get": ["B"], "tag": 2})
    talk.recv({"get": [item("A")]})
    talk.recv({"get": [item("B")], "tag": 2})
    assert talk.finish() == [
        Finding("tag-echo", "t:3", "/tag", None,
                "response lacks the root tag of its request at t:1"),
    ]


def test_a_response_tagged_for_an_untagged_request_is_one_tag_echo() -> None:
    talk = Talk()
    talk.send({"get": ["A"]})
    talk.recv({"get": [item("A")], "tag": 3})
    assert talk.finish() == [
        Finding("tag-echo", "t:2", "/tag", 3,
                "response carries tag 3, its request at t:1 sent no root tag"),
    ]


def test_untagged_requests_and_responses_pair_in_order() -> None:
    talk = Talk()
    talk.send({"get": ["A"]})
    talk.send({"get": ["B"]})
    talk.recv({"get": [item("A")]})
    talk.recv({"get": [item("B")]})
    assert talk.finish() == []


def test_a_tagged_response_pairs_while_an_untagged_request_waits() -> None:
    talk = Talk()
    talk.send({"get": ["A"]})
    talk.send({"get": ["B"], "tag": 1})
    talk.recv({"get": [item("B")], "tag": 1})
    talk.recv({"get": [item("A")]})
    assert talk.finish() == []


def test_tags_pair_by_json_value() -> None:
    talk = Talk()
    talk.send({"get": ["A"], "tag": {"a": 1, "b": [1, 2]}})
    talk.send({"get": ["B"], "tag": 1})
    talk.send({"get": ["C"], "tag": "1"})
    talk.recv({"get": [item("C")], "tag": "1"})
    talk.recv({"get": [item("A")], "tag": {"b": [1, 2], "a": 1}})
    talk.recv({"get": [item("B")], "tag": 1})
    assert talk.finish() == []


def test_a_response_lacking_or_adding_a_command() -> None:
    talk = Talk()
    talk.send({"get": ["A"], "subscribe": [{"path": "B"}], "whois": "me", "tag": 1})
    # members that are no command ("tag", "message") are no part of the echo check
    talk.recv({"tag": 1, "message": "m", "set": [item("A")], "subscribe": [item("B")]})
    assert talk.finish() == [
        Finding("command-echo", "t:2", "/get", None, "response lacks 'get' of its request at t:1"),
        Finding("command-echo", "t:2", "/set", None,
                "response has 'set', its request at t:1 did not ask for it"),
    ]


def test_commands_after_other_members_and_an_added_command_are_still_checked() -> None:
    talk = Talk()
    talk.send({"get": ["A", "B"], "tag": 1})
    talk.recv({"tag": 1, "set": [item("A")], "get": [item("A")]})
    assert [(f.rule, f.pointer) for f in talk.finish()] == [
        ("command-echo", "/set"), ("item-count", "/get")]


def test_a_command_that_is_not_an_array_on_either_side_is_left_to_the_frame_rules() -> None:
    talk = Talk()
    talk.send({"get": ["A"], "tag": 1})
    talk.recv({"get": "oops", "tag": 1})
    talk.send({"get": "A", "tag": 2})
    talk.recv({"get": [item("A"), item("B")], "tag": 2})
    assert talk.finish() == []


# --- items ----------------------------------------------------------------------------


def test_item_count_says_both_numbers() -> None:
    talk = Talk()
    talk.send({"get": ["A"], "tag": 1})
    talk.recv({"get": [item("A"), item("B")], "tag": 1})
    talk.send({"set": [{"path": "A", "value": 1}, {"path": "B", "value": 2}], "whois": "w",
               "tag": 2})
    talk.recv({"set": [item("A")], "tag": 2})
    talk.send({"get": [{"path": "A"}], "tag": 3})  # an item object without a query
    talk.recv({"get": [], "tag": 3})
    assert talk.finish() == [
        Finding("item-count", "t:2", "/get", 2, "2 response items for 1 request item"),
        Finding("item-count", "t:4", "/set", 1, "1 response item for 2 request items"),
        Finding("item-count", "t:6", "/get", 0, "0 response items for 1 request item"),
    ]


def test_changelog_groups_answer_with_any_number_of_items() -> None:
    talk = Talk()
    talk.send({"changelogGetGroups": [], "tag": 1})
    talk.recv({"changelogGetGroups": [{"code": "ok", "groups": ["A"]}], "tag": 1})
    assert talk.finish() == []


def test_a_query_answers_with_any_items_but_only_the_tags_it_sent() -> None:
    talk = Talk()
    talk.send({"subscribe": [{"path": "A", "query": {}, "tag": "q"}, {"path": "B"}, "C"],
               "tag": 1})
    talk.recv({"subscribe": [item("A:1", tag="q"), item("A:2"), "broken", item("B"),
                             item("A:3", tag="r")], "tag": 1})
    assert talk.finish() == [
        Finding("item-tag", "t:2", "/subscribe/4/tag", "r",
                "tag was not sent with any item of the request"),
    ]


def test_a_query_of_a_command_other_than_get_or_subscribe_is_counted() -> None:
    talk = Talk()
    talk.send({"unsubscribe": [{"path": "A", "query": {}}], "tag": 1})
    talk.recv({"unsubscribe": [item("A"), item("B")], "tag": 1})
    assert [(f.rule, f.value) for f in talk.finish()] == [("item-count", 2)]


def test_wrong_paths_name_what_was_asked() -> None:
    talk = Talk()
    talk.send({"get": ["A", {"path": "B"}, 5], "tag": 1})
    talk.recv({"get": [item("A"), item("C"), item("D")], "tag": 1})
    assert talk.finish() == [
        Finding("path-echo", "t:2", "/get/1/path", "C",
                "answers request item 1, which asked for 'B'"),
        Finding("path-echo", "t:2", "/get/2/path", "D",
                "answers request item 2, which asked for None"),
    ]


def test_items_in_another_order() -> None:
    talk = Talk()
    talk.send({"get": ["A", "B", "C"], "tag": 1})
    talk.recv({"get": [item("A"), item("C"), item("B")], "tag": 1})
    assert talk.finish() == [
        Finding("item-order", "t:2", "/get", None,
                "response items are not in the order of the request items"),
    ]


def test_one_fatal_item_answers_a_whole_command() -> None:
    # the DMS (and the simulator) answer a request it cannot take with one fatal item
    talk = Talk()
    talk.send({"get": ["A", "B"], "colour": 1, "tag": 1})
    talk.recv({"get": [{"code": "error", "message": "Unknown command 'colour'"}], "tag": 1})
    talk.send({"changelogRead": [{"group": "A", "start": "2016-02-29T00:00:00Z"},
                                 {"group": "B", "start": "2016-02-29T00:00:00Z"}], "tag": 2})
    talk.recv({"changelogRead": [{"code": "error", "message": "bad"}], "tag": 2})
    talk.send({"get": ["A", "B"], "tag": 3})
    talk.recv({"get": [{"code": "not found", "message": "gone"}], "tag": 3})
    talk.send({"get": ["A", "B"], "tag": 4})
    talk.recv({"get": [item("A")], "tag": 4})
    assert talk.finish() == [
        Finding("item-count", "t:6", "/get", 1, "1 response item for 2 request items"),
        Finding("item-count", "t:8", "/get", 1, "1 response item for 2 request items"),
    ]


def test_a_fatal_item_stands_for_any_request_item_but_others_are_still_checked() -> None:
    talk = Talk()
    talk.send({"get": ["A", "B", "C"], "tag": 1})
    talk.recv({"get": [{"code": "error", "message": "bad"}, item("X"), "broken"], "tag": 1})
    assert talk.finish() == [
        Finding("path-echo", "t:2", "/get/1/path", "X",
                "answers request item 1, which asked for 'B'"),
    ]


def test_item_tags_lost_or_changed() -> None:
    talk = Talk()
    talk.send({"get": ["A", {"path": "B"}, {"path": "C", "tag": "c"}, {"path": "D", "tag": 4},
                      {"path": "E", "tag": "e"}], "tag": 1})
    talk.recv({"get": [item("A", tag="x"), item("B", tag="y"), item("C"), item("D", tag="4"),
                       {"code": "error", "message": "bad"}], "tag": 1})
    assert talk.finish() == [
        Finding("item-tag", "t:2", "/get/0/tag", "x",
                'request item 0 was sent with no tag, answered with tag "x"'),
        Finding("item-tag", "t:2", "/get/1/tag", "y",
                'request item 1 was sent with no tag, answered with tag "y"'),
        Finding("item-tag", "t:2", "/get/2/tag", None,
                'request item 2 was sent with tag "c", answered with no tag'),
        Finding("item-tag", "t:2", "/get/3/tag", "4",
                'request item 3 was sent with tag 4, answered with tag "4"'),
        Finding("item-tag", "t:2", "/get/4/tag", None,
                'request item 4 was sent with tag "e", answered with no tag'),
    ]


def test_item_tags_echoed_are_clean_and_a_null_tag_is_a_tag() -> None:
    talk = Talk()
    talk.send({"get": [{"path": "A", "tag": {"k": [1]}}, {"path": "B"}, {"path": "C", "tag": None}],
               "tag": 1})
    talk.recv({"get": [item("A", tag={"k": [1]}), item("B"), item("C")], "tag": 1})
    talk.send({"get": [{"path": "A", "tag": "a"}], "tag": 2})
    talk.recv({"get": ["broken"], "tag": 2})
    assert talk.finish() == [
        Finding("item-tag", "t:2", "/get/2/tag", None,
                "request item 2 was sent with tag null, answered with no tag"),
    ]


# --- subscriptions and events ---------------------------------------------------------


def test_events_for_no_subscription() -> None:
    talk = Talk()
    talk.recv({"event": [event("A", tag="zz"), 5, event("A")]})
    talk.recv({"event": "not a list"})
    assert talk.finish() == [
        Finding("event-unsubscribed", "t:1", "/event/0/tag", "zz",
                'event for tag "zz", which was never subscribed'),
        Finding("event-unsubscribed", "t:1", "/event/2", None,
                "event for no tag, which was never subscribed"),
    ]


def test_events_on_paths_not_subscribed() -> None:
    talk = Talk()
    talk.send({"subscribe": [{"path": "A", "tag": "s"}, {"path": "B"}], "tag": 1})
    talk.recv({"subscribe": [item("A", tag="s"), item("B")], "tag": 1})
    talk.recv({"event": [event("A", tag="s"), event("B"), event("C", tag="s"), event("A"),
                         event(None, tag="s")]})
    assert talk.finish() == [
        Finding("event-unsubscribed", "t:3", "/event/2/path", "C",
                'event path is not among the paths subscribed with tag "s"'),
        Finding("event-unsubscribed", "t:3", "/event/3/path", "A",
                "event path is not among the paths subscribed with no tag"),
        Finding("event-unsubscribed", "t:3", "/event/4/path", None,
                'event path is not among the paths subscribed with tag "s"'),
    ]


def test_subscribe_items_without_a_path_subscribe_nothing() -> None:
    talk = Talk()
    talk.send({"subscribe": ["A", {"path": 5, "tag": "n"}, {"tag": "m"}, {"path": "B", "tag": "b"}],
               "tag": 1})
    talk.send({"subscribe": "not a list", "tag": 2})
    talk.recv({"event": [event("B", tag="b"), event("A", tag="n"), event("A", tag="m")]})
    assert [(f.rule, f.pointer, f.value) for f in talk.findings] == [
        ("event-unsubscribed", "/event/1/tag", "n"), ("event-unsubscribed", "/event/2/tag", "m")]


def test_one_query_item_makes_its_tag_accept_any_path() -> None:
    talk = Talk()
    talk.send({"subscribe": [{"path": "A", "query": {}, "tag": 1}, {"path": "B", "tag": 1}]})
    talk.send({"subscribe": [{"path": "C", "tag": 1}]})
    talk.recv({"event": [event("A:New", tag=1), event("Z", tag=1)]})
    assert talk.findings == []


def test_unsubscribing_every_path_of_a_tag_ends_its_subscription() -> None:
    talk = Talk()
    talk.send({"subscribe": [{"path": "A", "tag": "s"}, {"path": "B", "tag": "s"},
                             {"path": "C"}], "tag": 1})
    talk.recv({"subscribe": [item("A", tag="s"), item("B", tag="s"), item("C")], "tag": 1})
    talk.send({"unsubscribe": [{"path": "A", "tag": "s"}], "tag": 2})
    talk.recv({"unsubscribe": [item("A", tag="s")], "tag": 2})
    talk.recv({"event": [event("A", tag="s"), event("B", tag="s")]})
    talk.send({"unsubscribe": [{"path": "B", "tag": "s"}, {"path": "C"}], "tag": 3})
    talk.recv({"unsubscribe": [item("B", tag="s"), item("C")], "tag": 3})
    talk.recv({"event": [event("B", tag="s"), event("C")]})
    assert talk.finish() == [
        Finding("event-unsubscribed", "t:5", "/event/0/path", "A",
                'event path is not among the paths subscribed with tag "s"'),
        Finding("event-after-unsubscribe", "t:8", "/event/0/tag", "s",
                'event for the subscription with tag "s", which was already unsubscribed'),
        Finding("event-after-unsubscribe", "t:8", "/event/1", None,
                "event for the subscription with no tag, which was already unsubscribed"),
    ]


def test_a_refused_unsubscribe_keeps_the_subscription() -> None:
    talk = Talk()
    talk.send({"subscribe": [{"path": "A", "tag": "a"}, {"path": "B", "tag": "b"}], "tag": 1})
    talk.recv({"subscribe": [item("A", tag="a"), item("B", tag="b")], "tag": 1})
    talk.send({"unsubscribe": [{"path": "A", "tag": "a"}, {"path": "B", "tag": "b"}], "tag": 2})
    talk.recv({"unsubscribe": [{"code": "error", "message": "no", "path": "A", "tag": "a"},
                               {"path": "B", "tag": "b"}], "tag": 2})
    talk.recv({"event": [event("A", tag="a"), event("B", tag="b")]})
    assert [(f.rule, f.pointer) for f in talk.finish()] == [
        ("event-after-unsubscribe", "/event/1/tag")]


def test_a_refused_subscribe_subscribes_nothing() -> None:
    talk = Talk()
    talk.send({"subscribe": [{"path": "A", "tag": "a"}, {"path": "B"}, {"path": "C"}], "tag": 1})
    talk.recv({"subscribe": [{"code": "not found", "path": "A", "tag": "a",
                              "message": "Data point doesn't exist"},
                             {"code": "no perm", "path": "B"}, item("C")], "tag": 1})
    talk.recv({"event": [event("A", tag="a"), event("B"), event("C")]})
    assert talk.finish() == [
        Finding("event-unsubscribed", "t:3", "/event/0/tag", "a",
                'event for tag "a", which was never subscribed'),
        Finding("event-unsubscribed", "t:3", "/event/1/path", "B",
                "event path is not among the paths subscribed with no tag"),
    ]


def test_a_refused_subscribe_again_keeps_the_live_subscription() -> None:
    talk = Talk()
    talk.send({"subscribe": [{"path": "A", "tag": "a"}], "tag": 1})
    talk.recv({"subscribe": [item("A", tag="a")], "tag": 1})
    talk.send({"subscribe": [{"path": "A", "tag": "a", "event": "*"}], "tag": 2})
    talk.recv({"subscribe": [{"code": "error", "path": "A", "tag": "a", "message": "no"}],
               "tag": 2})
    talk.recv({"event": [event("A", tag="a")]})
    assert talk.finish() == []


def test_unsubscribe_items_that_match_nothing_do_not_stop_the_others() -> None:
    talk = Talk()
    talk.send({"subscribe": [{"path": "A", "tag": "a"}], "tag": 1})
    talk.recv({"subscribe": [item("A", tag="a")], "tag": 1})
    talk.send({"unsubscribe": ["junk", {"path": "Q", "tag": "never"}, {"path": "A", "tag": "a"}],
               "tag": 2})
    talk.recv({"unsubscribe": ["junk", item("Q", tag="never"), item("A", tag="a")], "tag": 2})
    talk.recv({"event": [event("A", tag="a")]})
    assert [(f.rule, f.position) for f in talk.finish()] == [("event-after-unsubscribe", "t:5")]


def test_an_unsubscribe_answered_with_fewer_items_still_ends_the_rest() -> None:
    talk = Talk()
    talk.send({"subscribe": [{"path": "A", "tag": "a"}, {"path": "B", "tag": "b"}], "tag": 1})
    talk.recv({"subscribe": [item("A", tag="a"), item("B", tag="b")], "tag": 1})
    talk.send({"unsubscribe": [{"path": "A", "tag": "a"}, {"path": "B", "tag": "b"}], "tag": 2})
    talk.recv({"unsubscribe": [item("A", tag="a")], "tag": 2})
    talk.recv({"event": [event("B", tag="b")]})
    assert [(f.rule, f.pointer) for f in talk.finish()] == [
        ("item-count", "/unsubscribe"), ("event-after-unsubscribe", "/event/0/tag")]


def test_subscribing_again_after_unsubscribing_takes_events_again() -> None:
    talk = Talk()
    talk.send({"subscribe": [{"path": "A", "tag": "s"}], "tag": 1})
    talk.recv({"subscribe": [item("A", tag="s")], "tag": 1})
    talk.send({"unsubscribe": [{"path": "A", "tag": "s"}], "tag": 2})
    talk.recv({"unsubscribe": [item("A", tag="s")], "tag": 2})
    talk.send({"subscribe": [{"path": "B", "tag": "s"}], "tag": 3})
    talk.recv({"subscribe": [item("B", tag="s")], "tag": 3})
    talk.recv({"event": [event("B", tag="s"), event("A", tag="s")]})
    assert [(f.rule, f.pointer) for f in talk.finish()] == [
        ("event-unsubscribed", "/event/1/path")]


def test_a_new_tagged_subscription_does_not_revive_an_ended_untagged_one() -> None:
    talk = Talk()
    talk.send({"subscribe": [{"path": "A"}], "tag": 1})
    talk.recv({"subscribe": [item("A")], "tag": 1})
    talk.send({"unsubscribe": [{"path": "A"}], "tag": 2})
    talk.recv({"unsubscribe": [item("A")], "tag": 2})
    talk.send({"subscribe": [{"path": "B", "tag": "s"}], "tag": 3})
    talk.recv({"subscribe": [item("B", tag="s")], "tag": 3})
    talk.recv({"event": [event("A")]})
    assert [(f.rule, f.pointer) for f in talk.finish()] == [
        ("event-after-unsubscribe", "/event/0")]


def test_streams_keep_their_own_subscriptions() -> None:
    talk = Talk()
    talk.send({"subscribe": [{"path": "A", "tag": "s"}], "tag": 1}, stream="one")
    talk.recv({"subscribe": [item("A", tag="s")], "tag": 1}, stream="one")
    talk.recv({"event": [event("A", tag="s")]}, stream="two")
    talk.recv({"event": [event("A", tag="s")]}, stream="one")
    assert [(f.rule, f.position) for f in talk.finish()] == [("event-unsubscribed", "t:3")]


def test_a_changelog_read_answer_echoes_its_group() -> None:
    talk = Talk()
    talk.send({"changelogRead": [{"group": "ABS1", "start": "2016-02-29T00:00:00Z"},
                                 {"group": "PROT", "start": "2016-02-29T00:00:00Z"}], "tag": 1})
    talk.recv({"changelogRead": [{"code": "ok", "group": "ABS1", "changelog": []},
                                 {"code": "ok", "group": "ALARMS", "changelog": []}], "tag": 1})
    talk.send({"changelogRead": [{"group": "A", "start": "2016-02-29T00:00:00Z"},
                                 {"group": "B", "start": "2016-02-29T00:00:00Z"}], "tag": 2})
    talk.recv({"changelogRead": [{"code": "ok", "group": "B"}, {"code": "ok", "group": "A"}],
               "tag": 2})
    assert talk.finish() == [
        Finding("path-echo", "t:2", "/changelogRead/1/group", "ALARMS",
                "answers request item 1, which asked for 'PROT'"),
        Finding("item-order", "t:4", "/changelogRead", None,
                "response items are not in the order of the request items"),
    ]


def test_a_rename_answer_echoes_the_new_path() -> None:
    talk = Talk()
    talk.send({"rename": [{"path": "A", "newPath": "B"}, {"path": "C", "newPath": "D"},
                          {"path": "E", "newPath": "F"}], "whois": "w", "tag": 1})
    talk.recv({"rename": [{"code": "ok", "path": "A", "newPath": "B"},
                          {"code": "ok", "path": "C", "newPath": "X"},
                          {"code": "not found", "path": "E", "message": "gone"}], "tag": 1})
    assert talk.finish() == [
        Finding("path-echo", "t:2", "/rename/1/newPath", "X",
                "answers request item 1, which renames to 'D'"),
    ]
