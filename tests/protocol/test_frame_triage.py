"""Which broken frame fails its call, which is dropped and counted, which closes the
connection; and what a call cut off by a lost connection raises (``ClientCore.failure``)."""

from __future__ import annotations

import json
import logging
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dmsproto.errors import (
    ConnectionLost,
    NotSent,
    OutcomeUnknown,
    ProtocolError,
    WebSocketRefused,
)
from dmsproto.protocol import BadFrame, CallDone, ClientCore, Get, GetMany, Op, Rename, Set
from dmsproto.protocol._triage import noteworthy
from dmsproto.protocol._wire import Wire
from tests.support.fuzz import fuzz_settings

OK = '{"code": "ok", "path": "A", "value": 1}'
EVENT = '{"code": "onChange", "path": "A", "value": 2, "tag": "s"}'

# (name, frame with TAG for the pending call's id, outcome, counter, message)
TABLE: list[tuple[str, str | bytes, str, str, str]] = [
    ("answer", '{"tag": TAG, "get": [' + OK + "]}", "answers", "answers", ""),
    ("bad member type", '{"tag": TAG, "get": [{"code": 1}]}', "fails", "failed_calls",
     "/get/0/code"),
    ("huge float", '{"tag": TAG, "get": [{"code": "ok", "value": 1e999}]}', "fails",
     "failed_calls", r"not JSON: number out of range at position \d+ \(/get/0/value\)"),
    ("huge integer", '{"tag": TAG, "get": [{"code": "ok", "value": ' + "9" * 5000 + "}]}",
     "fails", "failed_calls", r"not JSON: integer with too many digits .* \(/get/0/value\)"),
    ("cut short", '{"tag": TAG, "get": [{"code": "o', "fails", "failed_calls",
     "not JSON: ends too early"),
    ("tag in a list", '{"tag": [TAG, "mine"], "get": 5}', "fails", "failed_calls", "/get"),
    ("not UTF-8", b'{"tag": TAG, "get": [{"code": "ok", "path": "\xff"}]}', "fails",
     "failed_calls", "UTF-8"),
    ("deep value", '{"tag": TAG, "get": [{"code": "ok", "value": ' + "[" * 100_000
     + "]" * 100_000 + "}]}", "fails", "failed_calls", "/get/0/value"),
    ("untagged, breaks the schema", '{"get": [{"code": "error", "message": 5}]}', "fails",
     "failed_calls", "/get/0/message"),
    ("late answer", '{"tag": 999, "get": [' + OK + "]}", "dropped", "dropped_responses", ""),
    ("other call, breaks the schema", '{"tag": 999, "get": 5}', "dropped", "dropped_frames",
     "/get"),
    ("unreadable tag", '{"tag": ' + "9" * 5000 + ', "get": []}', "closes", "fatal_frames",
     "integer with too many digits"),
    ("not JSON, names no call", '{"tag": 999, "get": [[', "closes", "fatal_frames",
     "frame is not JSON: ends too early"),
    ("answer without its command", '{"tag": TAG, "unknown": []}', "fails", "answers",
     "0 response items for 1"),
    ("no known member", '{"tag": 999, "unknown": []}', "dropped", "dropped_frames",
     "no known member"),
    ("event list missing", '{"event": 5}', "dropped", "dropped_frames", "list of events"),
    ("event item bad", '{"event": [{"code": 5, "tag": "s"}, ' + EVENT + "]}", "dropped",
     "invalid_events", "event 0 dropped"),
    ("event after members", '{"x": 1, "event": [{"path": 5}, ' + EVENT + "]}", "dropped",
     "invalid_events", "event 0 dropped"),
    ("not JSON", "{nope", "closes", "fatal_frames", "not JSON"),
    ("random bytes", b"\x00\xff\x13\x80", "closes", "fatal_frames", "not JSON"),
    ("not an object", "[1, 2]", "closes", "fatal_frames", "not a JSON object"),
    ("a string", '"ok"', "closes", "fatal_frames", "not a JSON object"),
    ("nested too deep", '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "closes",
     "fatal_frames", "frame is not JSON: nested too deep"),
    ("not JSON in a skipped member", b'{"x": 1, "\x80": 2}', "closes", "fatal_frames",
     "not UTF-8 at position 10"),
]


@pytest.mark.parametrize(("frame", "outcome", "counter", "message"),
                         [row[1:] for row in TABLE], ids=[row[0] for row in TABLE])
def test_each_broken_frame_lands_where_documented(
    frame: str | bytes, outcome: str, counter: str, message: str
) -> None:
    core = ClientCore()
    sub = core.add_subscription("A", tag="s")
    call = core.start_call([Get("A")])
    tag = str(call.ids[0])
    data = frame.replace("TAG", tag) if isinstance(frame, str) else frame.replace(
        b"TAG", tag.encode())
    events = core.receive(data)
    assert getattr(core.stats, counter) == 1
    assert core.stats.frames == 1
    if outcome in ("answers", "fails"):
        assert events == [CallDone(call)] and core.pending_calls == 0
        if outcome == "fails":
            with pytest.raises(ProtocolError, match=message):
                call.results()
        return
    assert core.pending_calls == 1 and not call.done  # the call is not touched
    bad = [e for e in events if isinstance(e, BadFrame)]
    if counter not in ("dropped_responses",):
        assert len(bad) == 1 and bad[0].fatal == (outcome == "closes")
        assert isinstance(bad[0].error, ProtocolError)
        assert message in str(bad[0].error)
    if counter == "invalid_events":
        assert [e.value for e in sub.buffer] == [2]  # the good item went through


def test_dropped_frames_are_logged_cut_short_and_thinned(caplog: pytest.LogCaptureFixture) -> None:
    core = ClientCore()
    frame = json.dumps({"surprise": "x" * 1000})
    with caplog.at_level(logging.WARNING, "dmsproto.protocol"):
        for _ in range(150):
            core.receive(frame)
    assert core.stats.dropped_frames == 150
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 11  # the first ten, then the hundredth
    assert all("... (1016 chars)" in m for m in logged)
    assert "(100 so far)" in logged[-1]
    assert [n for n in range(1, 10_001) if noteworthy(n)][-3:] == [100, 1000, 10_000]


class Broken(Op, frozen=True):
    """An op whose answer decodes, yet cannot be turned into its result."""

    path: str
    command: ClassVar[str] = "get"
    what: ClassVar[str] = "broken"

    def items(self, wire: Wire) -> list[Any]:
        return [self.path]

    def decode(self, items: list[Any], wire: Wire) -> Any:
        raise KeyError("surprise")


def test_an_answer_that_cannot_become_a_result_is_a_protocol_error() -> None:
    core = ClientCore()
    call = core.start_call([Broken("A")])
    core.receive(json.dumps({"tag": call.ids[0], "get": [json.loads(OK)]}))
    with pytest.raises(ProtocolError, match="answer to broken cannot be read") as caught:
        call.results()
    assert isinstance(caught.value.__cause__, KeyError)


def test_a_bug_in_the_core_closes_the_connection_and_is_logged(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    core = ClientCore()

    def boom(*args: object) -> None:
        raise AttributeError("a bug")

    monkeypatch.setattr(core, "_response", boom)
    [event] = core.receive('{"tag": 1, "get": []}')
    assert isinstance(event, BadFrame) and event.fatal
    assert "AttributeError" in str(event.error)
    assert core.stats.fatal_frames == 1
    assert any(r.levelno == logging.ERROR for r in caplog.records)


# ------------------------------------------------------------------- failure()


def test_not_sent_unknown_and_plain_loss() -> None:
    core = ClientCore()
    lost = ConnectionLost("connection to the DMS lost")
    write = core.start_call([Set("A", 1)])
    error = core.failure(write, lost)
    assert isinstance(error, NotSent) and error.ops == (Set("A", 1),)
    assert "not sent" in str(error) and error.__cause__ is lost
    write.sent = 1
    unknown = core.failure(write, lost)
    assert isinstance(unknown, OutcomeUnknown)
    assert str(unknown) == ("connection to the DMS lost; the set of 'A' was sent and not "
                            "answered: it may or may not have been done")
    read = core.start_call([Get("A")])
    read.sent = 1
    assert core.failure(read, lost) is lost
    refused = WebSocketRefused("refused")
    assert core.failure(write, refused) is refused  # a refused connection did nothing


OPS = st.lists(
    st.one_of(
        st.builds(Set, st.sampled_from("ABCDEFGH"), st.integers(0, 9)),
        st.builds(Get, st.sampled_from("ABCDEFGH")),
        st.builds(lambda n: GetMany(tuple(f"M{i}" for i in range(n))), st.integers(1, 7)),
        st.builds(Rename, st.sampled_from("ABC"), st.sampled_from("XYZ")),
    ),
    min_size=1, max_size=12,
)


@fuzz_settings(200, 5_000)
@given(OPS, st.integers(1, 5), st.data())
def test_outcome_unknown_names_each_op_by_its_frames(
    ops: list[Op], size: int, data: st.DataObject
) -> None:
    """Whatever the split, each op is answered, unknown or not sent by the frames it is in."""
    core = ClientCore(chunk_size=size)
    call = core.start_call(ops)
    chunks = len(call.frames)
    sent = data.draw(st.integers(1, chunks))
    for k in data.draw(st.sets(st.integers(0, sent - 1))):
        call.responses[k] = object()  # answered (its content does not matter here)
    call.sent = sent
    error = core.failure(call, ConnectionLost("lost"))
    in_frame = frames_of(call.frames, ops)
    done = [all(call.responses[k] is not None for k in ks) for ks in in_frame]
    out = [not d and any(k < sent for k in ks) for d, ks in zip(done, in_frame, strict=True)]
    answered = tuple(op for op, d in zip(ops, done, strict=True) if d)
    unknown = tuple(op for op, u in zip(ops, out, strict=True) if u)
    if not any(op.writes for op in unknown):
        assert not isinstance(error, OutcomeUnknown)
        return
    assert isinstance(error, OutcomeUnknown)
    assert (error.answered, error.unknown) == (answered, unknown)
    assert len(error.answered) + len(error.unknown) + len(error.not_sent) == len(ops)
    assert error.chunks == chunks
    assert error.answered_chunks == tuple(k for k in range(chunks)
                                          if call.responses[k] is not None)


def frames_of(frames: list[bytes], ops: list[Op]) -> list[set[int]]:
    """For each op, the frames its items were written into (read back from the frames)."""
    taken: dict[tuple[str, str], list[int]] = {}
    for k, frame in enumerate(frames):
        for command, items in json.loads(frame).items():
            if command in ("tag", "whois", "user"):
                continue
            for item in items:
                path = item if isinstance(item, str) else item["path"]
                taken.setdefault((command, path), []).append(k)
    out: list[set[int]] = []
    for op in ops:
        paths = op.paths if isinstance(op, GetMany) else (op.path,)  # type: ignore[attr-defined]
        out.append({taken[(op.command, p)].pop(0) for p in paths})
    return out
