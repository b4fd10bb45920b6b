"""Cross-message rules, one scripted conversation each."""

from __future__ import annotations

from typing import Any

from dmsproto.capture import Message, Report, validate_records

OK = {"code": "ok", "value": 1, "type": "int", "stamp": None}


def run(*frames: tuple[str, Any], stream: str = "s") -> Report:
    report = Report(files=["t"], protocol="1.4", max_examples=10)
    records = [Message(d, f, "t", i, None, stream, 0)  # type: ignore[arg-type]
               for i, (d, f) in enumerate(frames, 1)]
    validate_records(records, report)
    return report


def found(report: Report) -> list[tuple[str, str, str]]:
    return sorted((g.rule, e.position, e.pointer) for g in report.rules.values()
                  for e in g.examples)


def item(path: str, **extra: Any) -> dict[str, Any]:
    return {**OK, "path": path, **extra}


def test_tagged_responses_pair_out_of_order() -> None:
    report = run(("send", {"get": ["A"], "tag": 1}), ("send", {"get": ["B"], "tag": 2}),
                 ("recv", {"get": [item("B")], "tag": 2}), ("recv", {"get": [item("A")],
                                                                     "tag": 1}))
    assert report.clean, report.to_text()


def test_untagged_responses_pair_in_order() -> None:
    report = run(("send", {"get": ["A"]}), ("send", {"get": ["B"]}),
                 ("recv", {"get": [item("B")]}), ("recv", {"get": [item("A")]}))
    assert found(report) == [("path-echo", "t:3", "/get/0/path"),
                             ("path-echo", "t:4", "/get/0/path")]


def test_items_in_wrong_order_and_lost_item_tag() -> None:
    # reordered items keep their own tags: the order is the one fault
    report = run(("send", {"get": [{"path": "A", "tag": "a"}, {"path": "B"}], "tag": 1}),
                 ("recv", {"get": [item("B"), item("A", tag="a")], "tag": 1}),
                 ("send", {"get": [{"path": "A", "tag": "a"}], "tag": 2}),
                 ("recv", {"get": [item("A", tag="b")], "tag": 2}))
    assert found(report) == [("item-order", "t:2", "/get"), ("item-tag", "t:4", "/get/0/tag")]


def test_missing_root_tag_and_commands() -> None:
    report = run(("send", {"get": ["A"], "tag": "x"}), ("recv", {"set": [item("A")]}))
    assert found(report) == [("command-echo", "t:2", "/get"), ("command-echo", "t:2", "/set"),
                             ("tag-echo", "t:2", "/tag")]


def test_query_answers_with_any_number_of_items() -> None:
    report = run(("send", {"get": [{"path": "A", "query": {"maxDepth": 0}, "tag": "q"}]}),
                 ("recv", {"get": [item("A:1", tag="q"), item("A:2", tag="q"),
                                   item("A:3", tag="other")]}),
                 ("send", {"get": [{"path": "A", "query": {}}]}), ("recv", {"get": []}))
    assert found(report) == [("item-tag", "t:2", "/get/2/tag")]


def test_changelog_groups_items_carry_no_tag() -> None:
    report = run(("send", {"changelogGetGroups": [], "tag": 5}),
                 ("recv", {"changelogGetGroups": [{"code": "ok", "groups": ["A", "B"]}],
                           "tag": 5}))
    assert report.clean, report.to_text()


def test_fatal_item_without_path_stands_for_the_request_item() -> None:
    report = run(("send", {"get": ["A", "B"]}),
                 ("recv", {"get": [{"code": "error", "message": "bad"}, item("B")]}))
    assert report.clean, report.to_text()


def test_writes_need_whois() -> None:
    report = run(("send", {"rename": [{"path": "A", "newPath": "B"}]}),
                 ("recv", {"rename": [{"code": "ok", "path": "A", "newPath": "B"}]}),
                 ("send", {"delete": [{"path": "B"}], "whois": "me"}),
                 ("recv", {"delete": [{"code": "ok", "path": "B"}]}))
    assert found(report) == [("whois", "t:1", "/whois")]


def test_events_follow_subscriptions() -> None:
    event = {"code": "onChange", "trigger": "x", "value": 1, "type": "int", "stamp": None}
    report = run(
        ("send", {"subscribe": [{"path": "A", "tag": "s"}]}),
        ("recv", {"event": [{**event, "path": "A", "tag": "s"}]}),  # before the response: ok
        ("recv", {"subscribe": [item("A", tag="s")]}),
        ("recv", {"event": [{**event, "path": "B", "tag": "s"}]}),  # path not subscribed
        ("recv", {"event": [{**event, "path": "A"}]}),  # no tag: never subscribed
        ("send", {"unsubscribe": [{"path": "A", "tag": "s"}]}),
        ("recv", {"event": [{**event, "path": "A", "tag": "s"}]}),  # in flight: ok
        ("recv", {"unsubscribe": [item("A", tag="s")]}),
        ("recv", {"event": [{**event, "path": "A", "tag": "s"}]}),
    )
    assert found(report) == [("event-after-unsubscribe", "t:9", "/event/0/tag"),
                             ("event-unsubscribed", "t:4", "/event/0/path"),
                             ("event-unsubscribed", "t:5", "/event/0")]


def test_query_subscription_accepts_other_paths() -> None:
    event = {"code": "onCreate", "trigger": "x", "value": 1, "type": "int", "stamp": None}
    report = run(("send", {"subscribe": [{"path": "A", "query": {"maxDepth": 0},
                                          "event": "*", "tag": 1}]}),
                 ("recv", {"subscribe": [item("A", tag=1)]}),
                 ("recv", {"event": [{**event, "path": "A:New:Deep", "tag": 1}]}))
    assert report.clean, report.to_text()


def test_streams_are_separate() -> None:
    report = Report(files=["t"], protocol="1.4")
    validate_records([Message("send", {"get": ["A"]}, "t", 1, None, "one", 0),
                      Message("recv", {"get": [item("A")]}, "t", 2, None, "two", 0)], report)
    assert sorted(report.rules) == ["orphan-request", "orphan-response"]


def test_examples_are_capped_but_all_counted() -> None:
    frames = [("send", {"set": [{"path": "A", "value": 1}], "user": "", "tag": i})
              for i in range(20)]
    frames += [("recv", {"set": [item("A")], "tag": i}) for i in range(20)]
    report = run(*frames)
    assert report.rules["whois"].count == 20
    assert len(report.examples("whois")) == 10
