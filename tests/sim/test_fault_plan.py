"""The fault interpreter on its own: pure calls of ``Faults.plan``, no sockets."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dmsproto.sim import faults as faults_module
from dmsproto.sim.fault_actions import (
    Action,
    Answer,
    Close,
    Delay,
    Drop,
    End,
    Hold,
    HttpStatus,
    NoAnswer,
    Pad,
    Replace,
    Respond,
    Send,
    SendEvent,
    Transport,
)
from dmsproto.sim.faults import FAULT_KINDS, Faults, describe_fault_kinds, fault

GET = {"get": ["A:Int"]}
SET = {"set": [{"path": "A:Int", "value": 2}]}
EVENT = {"event": [{"code": "onSet", "path": "X", "trigger": "<DMS>", "value": 1,
                    "type": "int", "stamp": None}]}


def test_no_fault_just_answers() -> None:
    faults = Faults()
    assert faults.plan(GET, "websocket") == (Respond(),)
    assert faults.plan("not even JSON", "http") == (Respond(),)


def test_actions_come_phase_by_phase_whatever_the_arming_order() -> None:
    faults = Faults()
    faults.drop_after_response()
    faults.malformed_next("x{")
    faults.inject_event_before_response(EVENT, match=None)
    hold = faults.hold_next()
    faults.delay_next(2.0)
    assert faults.plan(GET, "websocket") == (
        hold, Delay(2.0), Send("x{"), SendEvent(EVENT), Respond(), Drop())
    assert faults.pending == 0


def test_faults_are_used_once() -> None:
    faults = Faults()
    faults.delay_next(1.0, match="get")
    assert faults.plan(GET, "websocket") == (Delay(1.0), Respond())
    assert faults.plan(GET, "websocket") == (Respond(),)


def test_one_answer_per_request_the_other_stays_armed() -> None:
    faults = Faults()
    faults.oversized_next(10)
    faults.malformed_next("y", replace=True)
    assert faults.plan(GET, "websocket") == (Pad(10),)
    assert faults.pending == 1
    assert faults.plan(GET, "websocket") == (Replace("y"),)


def test_one_end_per_request_and_a_fault_is_used_whole() -> None:
    faults = Faults()
    faults.drop_after_response()
    faults.drop_before_response()  # its answer slot is free, its end is not: not used
    faults.close_next(4000, "bye")
    assert faults.plan(GET, "websocket") == (Respond(), Drop())
    assert faults.plan(GET, "websocket") == (NoAnswer(), Drop())
    assert faults.plan(GET, "websocket") == (NoAnswer(), Close(4000, "bye"))
    assert faults.pending == 0


def test_close_after_response() -> None:
    faults = Faults()
    faults.close_next(1011, "Internal error.", after_response=True)
    assert faults.plan(GET, "websocket") == (Respond(), Close(1011, "Internal error."))


def test_websocket_only_faults_stay_armed_for_http() -> None:
    faults = Faults()
    faults.inject_event_before_response(match=None)
    faults.close_next(1011)
    faults.delay_next(3.0)
    assert faults.plan(GET, "http") == (Delay(3.0), Respond())
    assert faults.pending == 2
    assert faults.plan(GET, "websocket") == (SendEvent(None), NoAnswer(), Close(1011, ""))


def test_http_only_faults_stay_armed_for_websocket() -> None:
    faults = Faults()
    faults.http_status_next(403)
    assert faults.plan(GET, "websocket") == (Respond(),)
    assert faults.plan(GET, "http") == (HttpStatus(403, "Forbidden."),)


def test_a_frame_before_the_answer_is_the_body_over_http() -> None:
    faults = Faults()
    faults.malformed_next("first")
    faults.malformed_next("second")
    assert faults.plan(GET, "websocket") == (Send("first"), Send("second"), Respond())
    faults.malformed_next("first")
    faults.malformed_next("second")
    assert faults.plan(GET, "http") == (Replace("first"),)  # one body per POST
    assert faults.plan(GET, "http") == (Replace("second"),)


def test_matching_by_command() -> None:
    faults = Faults()
    faults.drop_after_response(match="get")
    assert faults.plan(json.dumps(SET), "websocket") == (Respond(),)
    assert faults.plan("garbage{", "websocket") == (Respond(),)  # no command at all
    assert faults.plan('["get"]', "websocket") == (Respond(),)  # not a request object
    assert faults.pending == 1
    assert faults.plan(json.dumps({"tag": "t", **GET}), "websocket") == (Respond(), Drop())


def test_without_match_anything_matches_also_garbage() -> None:
    faults = Faults()
    faults.drop_before_response()
    assert faults.plan("garbage{", "http") == (NoAnswer(), Drop())


def test_event_injection_matches_subscribe_by_default() -> None:
    faults = Faults()
    faults.inject_event_before_response()
    assert faults.plan(GET, "websocket") == (Respond(),)
    assert faults.plan({"subscribe": []}, "websocket") == (SendEvent(None), Respond())


def test_arming_returns_the_actions() -> None:
    faults = Faults()
    hold = faults.hold_next(match="set")
    assert isinstance(hold, Hold) and not hold.released
    assert faults.close_next(4000) == (NoAnswer(), Close(4000, ""))
    with pytest.raises(ValueError, match="not an error status"):
        faults.http_status_next(200)
    assert faults.pending == 2  # the refused one was not armed


# --- the command-line form ------------------------------------------------------------


@pytest.mark.parametrize(("spec", "request_", "transport", "plan"), [
    ("hold:get", SET, "websocket", (Respond(),)),
    ("delay:1.5", SET, "http", (Delay(1.5), Respond())),
    ("delay:1.5:*", "garbage", "websocket", (Delay(1.5), Respond())),
    ("close:4000:bye:true:get", GET, "websocket", (Respond(), Close(4000, "bye"))),
    ("close:4000:match=get", GET, "websocket", (NoAnswer(), Close(4000, ""))),
    ("malformed:abc:replace=yes", GET, "websocket", (Replace("abc"),)),
    ("malformed", GET, "websocket", (Send("{this is not JSON"), Respond())),
    ("malformed::1", GET, "websocket", (Replace("{this is not JSON"),)),
    ("oversize:100:get", GET, "http", (Pad(100),)),
    ("drop-before:set", SET, "http", (NoAnswer(), Drop())),
    ("drop-after", GET, "http", (Respond(), Drop())),
    ("inject-event", {"subscribe": []}, "websocket", (SendEvent(None), Respond())),
    ("http-status:403", GET, "http", (HttpStatus(403, "Forbidden."),)),
    ("http-status:503:Busy.:get", GET, "http", (HttpStatus(503, "Busy."),)),
])
def test_arm_from_text(spec: str, request_: Any, transport: Transport,
                       plan: tuple[Action, ...]) -> None:
    faults = Faults()
    faults.arm_from_text(spec)
    assert faults.pending == 1
    assert faults.plan(request_, transport) == plan


def test_hold_from_text_holds_the_matching_command() -> None:
    faults = Faults()
    faults.arm_from_text("hold:get")
    (hold, answer) = faults.plan(GET, "websocket")
    assert isinstance(hold, Hold) and answer == Respond()


@pytest.mark.parametrize(("spec", "message"), [
    ("bogus", "unknown fault 'bogus'"),
    ("delay", "needs SECONDS"),
    ("delay:soon", "SECONDS cannot be 'soon'"),
    ("malformed:x:maybe", "REPLACE cannot be 'maybe'"),
    ("hold:get:set", "too many values"),
    ("close:1000:a:no:get:x", "too many values"),
    ("http-status:200", "not an error status"),
    ("http-status:abc", "STATUS cannot be 'abc'"),
])
def test_arm_from_text_refuses(spec: str, message: str) -> None:
    faults = Faults()
    with pytest.raises(ValueError, match=message):
        faults.arm_from_text(spec)
    assert faults.pending == 0


def test_every_arming_method_is_a_declared_kind() -> None:
    arming = {name for name in vars(Faults) if name.endswith(("_next", "_response"))}
    assert {kind.method.__name__ for kind in FAULT_KINDS.values()} == arming
    listed = describe_fault_kinds()
    for kind in FAULT_KINDS.values():
        assert f"  {kind.usage()}\n      {kind.summary.replace('``', '')}" in listed
    assert "inject-event[:MATCH=subscribe]" in listed
    assert "delay:SECONDS[:MATCH]" in listed


def test_a_new_fault_is_one_declaration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(faults_module, "FAULT_KINDS", dict(FAULT_KINDS))

    class MoreFaults(Faults):
        @fault("garbage")
        def garbage_next(self, size: int = 4, *, match: str | None = None) -> Replace:
            """Answer with SIZE hash signs."""
            return Replace("#" * size)

    faults = MoreFaults()
    faults.arm_from_text("garbage:3:get")
    faults.garbage_next(match="set")
    assert faults.plan(GET, "http") == (Replace("###"),)
    assert faults.plan(SET, "websocket") == (Replace("####"),)
    assert "garbage[:SIZE=4][:MATCH]\n      Answer with SIZE hash signs." in (
        faults_module.describe_fault_kinds())


def test_a_declaration_needs_a_keyword_only_match() -> None:
    with pytest.raises(TypeError, match="keyword-only match"):
        fault("nothing")(lambda faults, match=None: Drop())


# --- properties -----------------------------------------------------------------------

ARMINGS = st.sampled_from([
    lambda f, m: f.drop_before_response(match=m),
    lambda f, m: f.drop_after_response(match=m),
    lambda f, m: f.delay_next(1.0, match=m),
    lambda f, m: f.hold_next(match=m),
    lambda f, m: f.malformed_next("x", match=m),
    lambda f, m: f.malformed_next("y", replace=True, match=m),
    lambda f, m: f.inject_event_before_response(match=m),
    lambda f, m: f.oversized_next(10, match=m),
    lambda f, m: f.close_next(4000, match=m),
    lambda f, m: f.close_next(4001, after_response=True, match=m),
    lambda f, m: f.http_status_next(401, match=m),
])


@given(
    armings=st.lists(st.tuples(ARMINGS, st.sampled_from([None, "get", "set"])), max_size=12),
    requests=st.lists(st.tuples(st.sampled_from([GET, SET, "garbage{"]),
                                st.sampled_from(["websocket", "http"])), max_size=20),
)
def test_every_plan_keeps_the_order(armings: list[Any], requests: list[Any]) -> None:
    faults = Faults()
    for arm, match in armings:
        arm(faults, match)
    for request, transport in requests:
        before = faults.pending
        plan = faults.plan(request, transport)
        phases = [action.phase for action in plan]
        assert phases == sorted(phases)
        assert sum(isinstance(action, Answer) for action in plan) == 1
        assert sum(isinstance(action, End) for action in plan) <= 1
        assert all(action.on(transport) == action for action in plan)
        assert faults.pending <= before
        assert (faults.pending == before) == (plan == (Respond(),))  # used ones act


def test_a_request_nested_too_deep_matches_no_command() -> None:
    faults = Faults()
    faults.drop_after_response(match="get")
    assert faults.plan("[" * 100_000 + "]" * 100_000, "websocket") == (Respond(),)
    assert faults.pending == 1
