"""Request framing: fatal errors, root tag, several commands, validator findings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from dmsproto.sim import engine as engine_module
from dmsproto.sim.testing import Harness
from dmsproto.validation import Violation

S0 = "2026-01-15T11:00:00,000+01:00"
FATAL_JSON = "Expected JSON encoded data, but got something else."


@pytest.mark.parametrize("text", ["{nope", "", "\"get\"", "[1, 2]", "null"])
def test_unusable_text_answers_the_documents_fatal_item(text: str) -> None:
    h = Harness()
    reply = h.request(h.session(), text)
    assert reply.response is not None
    assert reply.response["get"][0]["code"] == "error"
    assert "path" not in reply.response["get"][0]
    assert reply.fatal == reply.response["get"][0]["message"]
    assert reply.deliveries == []


def test_broken_json_message_text() -> None:
    h = Harness()
    reply = h.view(h.engine.handle(h.session(), b"\xff\xfe{"))
    assert reply.response == {"get": [{"code": "error", "message": FATAL_JSON}]}
    assert reply.fatal == FATAL_JSON


def test_utf8_bytes_are_accepted() -> None:
    h = Harness()
    reply = h.view(h.engine.handle(h.session(), '{"get": ["A:Dbl"], "tag": "ü"}'.encode()))
    assert reply.response is not None and reply.response["tag"] == "ü"


def test_unknown_root_member_is_fatal_for_every_named_command() -> None:
    h = Harness()
    reply = h.request(h.session(), {"foo": [], "get": ["B:X"], "tag": 3})
    assert reply.response is not None and reply.fatal is not None and "foo" in reply.fatal
    assert reply.response == {"tag": 3, "get": [{"code": "error", "message": reply.fatal}]}


def test_request_without_command_is_fatal_and_keeps_root_tag() -> None:
    h = Harness()
    reply = h.request(h.session(), {"tag": {"a": 1}})
    assert reply.response is not None and reply.fatal is not None
    assert reply.response == {"tag": {"a": 1}, "get": [{"code": "error",
                                                        "message": reply.fatal}]}


def test_engine_frame_checks_without_validator() -> None:
    h = Harness()
    h.engine.validating = False
    s = h.session()
    assert h.handle_message(s, {"foo": 1, "set": []}).fatal == "Unknown command 'foo'"
    assert h.handle_message(s, {"tag": 1}).fatal == "Request contains no command"
    assert h.handle_message(s, {"whois": 5, "get": []}).fatal == "'whois' must be a string"
    reply = h.handle_message(s, {"get": "B:X", "set": []})
    assert reply.fatal is None
    assert reply.response == {"get": [{"code": "error", "message": "'get' must be an array"}],
                              "set": []}


def test_command_that_is_not_an_array_answers_one_fatal_item() -> None:
    h = Harness()
    reply = h.request(h.session(), {"get": "B:X"})
    assert reply.response is not None
    assert len(reply.response["get"]) == 1 and reply.response["get"][0]["code"] == "error"
    assert "path" not in reply.response["get"][0]


def test_several_commands_answer_in_one_response() -> None:
    h = Harness()
    reply = h.request(h.session(), {"whois": "DriverXY", "user": "",
                                    "set": [{"path": "A:Dbl", "value": 4.4444}],
                                    "get": [{"path": "A:Dbl"}]})
    assert reply.response == {
        "set": [{"code": "ok", "path": "A:Dbl", "value": 4.4444, "type": "double",
                 "stamp": S0}],
        "get": [{"code": "ok", "path": "A:Dbl", "value": 4.4444, "type": "double",
                 "stamp": S0}],
    }
    # (the set ran first: the get sees its value)


def fake_validator(found: list[Any]) -> Any:
    def validate(message: object, *, direction: str, protocol: str = "1.4") -> list[Violation]:
        assert direction == "send" and protocol == "1.4"
        return found

    return validate


def test_item_violations_become_that_items_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "validate", fake_validator([
        Violation("/get/1/path", "path-length", "x", "path too long"),
        Violation("/get/1", "type", 1, "second finding of the same item is not repeated"),
    ]))
    h = Harness()
    reply = h.handle_message(h.session(), {"get": ["B:X", {"path": "A:Int", "tag": 2}]})
    assert reply.response == {"get": [
        {"code": "ok", "path": "B:X", "value": 0, "type": "int", "stamp": S0},
        {"code": "error", "path": "A:Int", "message": "Path too long (max. 160 characters)",
         "tag": 2},
    ]}


def test_command_violation_answers_fatal_item(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "validate", fake_validator([
        Violation("/set", "type", {}, "set must be an array")]))
    h = Harness()
    reply = h.handle_message(h.session(), {"get": ["B:X"], "set": []})
    assert reply.fatal is None
    assert reply.response is not None
    assert reply.response["set"] == [{"code": "error",
                                      "message": "Invalid data type of field 'set'"}]
    assert reply.response["get"][0]["code"] == "ok"


def test_root_violation_is_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "validate", fake_validator([
        Violation("/whois", "type", 1, "whois must be a string")]))
    h = Harness()
    reply = h.handle_message(h.session(), {"get": ["B:X"], "set": [], "tag": "t"})
    fatal = "Invalid data type of field 'whois'"
    assert reply.fatal == fatal
    assert reply.response == {"tag": "t", "get": [{"code": "error", "message": fatal}],
                              "set": [{"code": "error", "message": fatal}]}


def test_set_without_user_is_answered_as_a_dms_does() -> None:
    """The set table marks ``user`` mandatory, but a DMS writes without it: the
    validator calls it a warning, and warnings are not refused."""
    h = Harness()
    reply = h.request(h.session(), {"whois": "w", "set": [{"path": "B:X", "value": 1}]})
    assert reply.fatal is None
    node = h.engine.tree.get("B:X")
    assert node is not None and node.value == 1


@dataclass(frozen=True)
class Finding:
    """A validator finding with a severity (as the validator reports them)."""

    pointer: str
    rule: str
    value: Any
    message: str
    severity: str


def test_only_errors_of_the_validator_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "validate", fake_validator([
        Finding("/get", "empty-command", [], "an empty command array", "warning"),
        Finding("/set/0/path", "path-length", "x", "path too long", "error"),
        Finding("/set/1", "odd", {}, "a warning about an item", "warning")]))
    h = Harness()
    reply = h.handle_message(h.session(), {"whois": "w", "user": "", "get": [], "set": [
        {"path": "B:X", "value": 1}, {"path": "A:Int", "value": 2}]})
    assert reply.response == {"get": [], "set": [
        {"code": "error", "path": "B:X", "message": "Path too long (max. 160 characters)"},
        {"code": "ok", "path": "A:Int", "value": 2, "type": "int", "stamp": S0}]}
