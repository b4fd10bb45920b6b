"""Fuzzing the client's receive path on the sans-I/O core.

A core with calls in flight (single and multi-op, chunked, writes) and live
subscriptions is fed random bytes, random JSON and mutated answers and events (members
dropped or replaced, hostile numbers such as ``1e999`` and 5,000 digits, invalid UTF-8,
100,000 levels of nesting, text cut short).  Whatever comes: ``receive`` never raises,
every event it returns is typed, every error a ``DMSProtoError``, and the state adds up:
each frame is counted once in ``stats``, a call is pending exactly while it is not done,
each call is completed at most once, every event queued is counted, and once the
connection is lost no call is left pending.

Cost: see ``tests.support.fuzz`` (a few seconds by default, ``DMSPROTO_FUZZ=long`` for
a long exploring run).
"""

from __future__ import annotations

import json
import logging
from copy import deepcopy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from dmsproto.errors import DMSProtoError, ProtocolError
from dmsproto.protocol import (
    BadFrame,
    Call,
    CallDone,
    ClientCore,
    Delete,
    Get,
    GetMany,
    Op,
    Query,
    Set,
    SubscriptionData,
)
from dmsproto.results import Event
from tests.support.client import log_handler
from tests.support.fuzz import fuzz_settings
from tests.support.hostile import STAMP, good_answer

RUN = fuzz_settings(120, 20_000)
SERIES = fuzz_settings(40, 5_000)

CALLS: list[list[Op]] = [
    [Get("A")],
    [GetMany(("A", "B", "C", "D", "E"))],  # two frames with chunk_size 3
    [Set("S", 1), Get("B"), Query("Q", {"max_depth": 0})],
    [Set("T", 2.5, type="double")],
    [Delete("D", recursive=True)],
]
SUB_TAGS: list[Any] = ["s1", 7, {"k": [1, 2]}]

#: placeholders for tokens no Python value encodes to (swapped in after encoding)
RAW_TOKENS = {
    "\x00INF\x00": b"1e999",
    "\x00NEGINF\x00": b"-1e999",
    "\x00DIGITS\x00": b"9" * 5000,
    "\x00NOTUTF8\x00": b'"\xff\xfe\xc3"',
    "\x00DEEP\x00": b"[" * 100_000 + b"]" * 100_000,
    "\x00DEEPOBJ\x00": b'{"a":' * 3000 + b"1" + b"}" * 3000,
}
HOSTILE = st.sampled_from([
    None, True, False, 0, -1, 2**63, -(2**63) - 1, 2**64, 1.5, -0.0, 1e308, "", "x" * 500,
    "ok", "error", "not found", "onChange", [], {}, [[[]]], {"code": "ok"},
    *RAW_TOKENS,
])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20) | HOSTILE,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["tag", "get", "set", "event", "code", "path", "value", "type", "stamp",
                         "subscribe", "delete", "message", "newPath"]) | st.text(max_size=6),
        inner, max_size=4),
    max_leaves=8,
)


def encode(value: Any) -> bytes:
    data = json.dumps(value).encode()
    for marker, token in RAW_TOKENS.items():
        data = data.replace(json.dumps(marker).encode(), token)
    return data


def seeds(calls: list[Call]) -> list[Any]:
    """Good frames for this core: an answer per frame of each call, and events."""
    out: list[Any] = []
    for call in calls:
        for frame in call.frames:
            out.append(good_answer(json.loads(frame)))
    event = {"code": "onChange", "path": "A", "value": 2, "type": "int", "stamp": STAMP,
             "trigger": "w"}
    out.append({"event": [{**event, "tag": tag} for tag in [*SUB_TAGS, "nobody"]]})
    out.append({"x": 1, "event": [{**event, "tag": "s1"}]})  # event member not first
    return out


def slots(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) inside a JSON value."""
    found: list[tuple[Any, Any]] = []
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            found.extend((item, k) for k in item)
            todo.extend(item.values())
        elif isinstance(item, list):
            found.extend((item, i) for i in range(len(item)))
            todo.extend(item)
    return found


@st.composite
def frames(draw: st.DrawFn, good: list[Any]) -> bytes | str:
    """One frame from the DMS: good, mutated, cut, random JSON, random text or bytes."""
    kind = draw(st.sampled_from(["good", "mutated", "mutated", "mutated", "cut", "json",
                                 "text", "bytes", "spliced"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "text":
        return draw(st.text(max_size=300))
    if kind == "json":
        return encode(draw(JSON))
    value = deepcopy(draw(st.sampled_from(good)))  # (drawn values may be shared: never mutated)
    if kind in ("mutated", "cut", "spliced"):
        for _ in range(draw(st.integers(1, 3))):
            places = slots(value)
            if not places:
                break
            container, key = draw(st.sampled_from(places))
            action = draw(st.sampled_from(["replace", "replace", "drop", "add"]))
            if action == "replace":
                container[key] = deepcopy(draw(JSON))
            elif action == "drop":
                del container[key]
            elif isinstance(container, dict):
                container[draw(st.text(max_size=6))] = deepcopy(draw(JSON))
            else:
                container.append(deepcopy(draw(JSON)))
    data = encode(value)
    if kind == "cut":
        return data[: draw(st.integers(0, len(data)))]
    if kind == "spliced":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    return data if draw(st.booleans()) else data.decode("utf-8", "replace")


class Errors(logging.Handler):
    """Collects the ERROR records of the core (an unexpected exception inside it)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def new_core(strict: bool) -> tuple[ClientCore, list[Call]]:
    core = ClientCore(chunk_size=3, strict_decoding=strict)
    calls = [core.start_call(ops) for ops in CALLS]
    for call in calls:
        call.sent = len(call.frames)  # all written
    for tag in SUB_TAGS:
        core.add_subscription(f"P:{tag}", tag=tag, maxlen=10**9)
    return core, calls


def check_state(core: ClientCore, calls: list[Call], completed: dict[int, int], fed: int) -> None:
    pending = set(core._pending)
    for call in calls:
        unanswered = {i for k, i in enumerate(call.ids) if call.responses[k] is None}
        if call.done:
            assert not pending & set(call.ids), "a done call is still pending"
        else:
            assert unanswered <= pending, "a call in flight lost its pending frames"
        assert completed.get(id(call), 0) <= 1, "a call was completed twice"
    stats = core.stats
    assert stats.frames == fed
    assert stats.failed_calls <= stats.answers
    assert stats.events == sum(len(sub.buffer) for sub in core.subscriptions)
    for sub in core.subscriptions:
        assert all(type(item) is Event for item in sub.buffer)


def feed(core: ClientCore, calls: list[Call], sequence: list[bytes | str]) -> None:
    completed: dict[int, int] = {}
    errors = Errors()
    with log_handler(errors, "dmsproto.protocol"):
        for n, data in enumerate(sequence, 1):
            events = core.receive(data)
            for event in events:
                assert type(event) in (CallDone, SubscriptionData, BadFrame)
                if type(event) is BadFrame:
                    assert isinstance(event.error, ProtocolError)
                elif type(event) is CallDone:
                    assert event.call.done
                    completed[id(event.call)] = completed.get(id(event.call), 0) + 1
            check_state(core, calls, completed, n)
    assert errors.records == [], [r.getMessage() for r in errors.records]
    for call in calls:
        if call.done:
            read_results(call)


def lose_connection(core: ClientCore, calls: list[Call]) -> None:
    """After the connection is lost no call is left pending, and each says why."""
    core.connection_lost()
    assert core.pending_calls == 0
    for call in calls:
        assert call.done
        read_results(call)


def read_results(call: Call) -> None:
    """A done call gives one result per op, or raises a ``DMSProtoError``, nothing else."""
    try:
        results = call.results()
    except DMSProtoError:
        return
    assert len(results) == len(call.ops)


@st.composite
def scenario(draw: st.DrawFn) -> tuple[bool, list[bytes | str]]:
    strict = draw(st.booleans())
    _, calls = new_core(strict)
    good = seeds(calls)
    return strict, draw(st.lists(frames(good), min_size=1, max_size=8))


@RUN
@given(scenario())
def test_any_frame_sequence_leaves_a_consistent_core(case: tuple[bool, list[bytes | str]]) -> None:
    strict, sequence = case
    core, calls = new_core(strict)
    feed(core, calls, sequence)
    lose_connection(core, calls)


@SERIES
@given(st.data())
def test_good_answers_among_broken_frames_still_complete_their_calls(data: st.DataObject) -> None:
    """Broken frames between good ones hurt only the calls they name, never the others."""
    core, calls = new_core(strict=False)
    good = seeds(calls)
    answers = good[: sum(len(c.frames) for c in calls)]
    sequence: list[bytes | str] = []
    for answer in answers:
        sequence.extend(data.draw(st.lists(frames(good), max_size=2)))
        sequence.append(encode(answer))
    feed(core, calls, sequence)
    assert all(call.done for call in calls)  # answered, or failed by a broken answer naming it
    assert core.pending_calls == 0
