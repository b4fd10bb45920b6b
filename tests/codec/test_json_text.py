"""What is JSON: one reader for the validator, the capture tools, the proxy and the simulator.

- each edge case is judged as :mod:`dmsproto.jsontext` documents, in our own words with
  the position (never the reader's wording);
- for any text, the validator, the capture reader and runner, the proxy's live checker
  and the simulator reach the same verdict as :func:`~dmsproto.jsontext.parse_json`, and
  none of them (nor the client core or ``dmsproto.decode``) raises anything but our
  typed results.

``DMSPROTO_FUZZ=long`` for a long exploring run (random seeds, thousands of examples).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dmsproto
from dmsproto.capture import CaptureError, validate_files
from dmsproto.capture.jsonl import read_jsonl
from dmsproto.capture.model import BadRecord, Message
from dmsproto.capture.report import Report
from dmsproto.capture.runner import validate_records
from dmsproto.errors import DecodeError, NotJSON
from dmsproto.jsontext import TOO_DEEP, parse_json
from dmsproto.protocol.core import BadFrame, ClientCore
from dmsproto.proxy.live import LiveChecker
from dmsproto.proxy.refusal import refusal
from dmsproto.sim.messages import FATAL_JSON
from dmsproto.sim.messages import TOO_DEEP as SIM_TOO_DEEP
from dmsproto.sim.testing import Harness
from dmsproto.validation import validate
from dmsproto.versions import DEFAULT_VERSION

LONG = os.environ.get("DMSPROTO_FUZZ") == "long"
_COMMON = {"deadline": None, "suppress_health_check": list(HealthCheck)}
AGREEMENT_RUN = (settings(max_examples=5000, **_COMMON) if LONG else
                 settings(max_examples=300, derandomize=True, database=None, **_COMMON))

DEEP = 100_000  # past any interpreter's recursion limit
SHALLOW = 200  # within it, whatever the caller's stack

#: (text, the problem in our words) for text that is not JSON
REFUSED: list[tuple[str | bytes, str]] = [
    ('{"a": NaN}', "unexpected character at position 6"),
    ("[Infinity]", "unexpected character at position 1"),
    ("[-Infinity]", "unexpected character at position 2"),
    ("[1e999]", "number out of range at position 1"),
    ('{"get": [{"value": -1e400}]}', "number out of range at position 19"),
    ('["1e999", 1.8e308]', "number out of range at position 10"),
    ("[" + "9" * 5000 + "]", "integer with too many digits at position 1"),
    ('["\\ud800"]', "lone surrogate escape at position 2"),
    ('["x\\udc00"]', "lone surrogate escape at position 3"),
    ('["\\ud800\\u0041"]', "lone surrogate escape at position 2"),
    ('["\\ud83d\\ude00", "\\ud800"]', "lone surrogate escape at position 18"),
    ('["é\ud800"]', "lone surrogate at position 3"),
    (b'["\xff"]', "not UTF-8 at position 2"),
    (b'["a\xed\xa0\x80"]', "not UTF-8 at position 3"),  # a surrogate encoded as UTF-8
    (b"\xef\xbb\xbf{}", "unexpected character at position 0"),  # byte order mark
    ("", "empty text"),
    ("  \n", "empty text"),
    ("{} x", "more text after the value at position 3"),
    ("[1,]", "trailing comma at position 3"),
    ('{"a": 1,}', "trailing comma at position 8"),
    ('{"a": 1', "ends too early"),
    ("[01]", "malformed number at position 2"),
    ('{"a" 1}', "':' missing at position 5"),
    ("[1 2]", "',' or ']' missing at position 3"),
    ("{1: 2}", "member name that is not a string at position 1"),
    ('["\\x"]', "bad escape in a string at position 4"),
    ("[1] // comment", "more text after the value at position 4"),
    ('{"é": x}', "unexpected character at position 6"),  # characters of a str
    ('{"é": x}'.encode(), "unexpected character at position 7"),  # bytes of bytes
    ("[" * DEEP + "]" * DEEP, TOO_DEEP),
    ('{"a":' * DEEP + "1" + "}" * DEEP, TOO_DEEP),
]

#: (text, its value) for edge cases that are JSON
ACCEPTED: list[tuple[str | bytes, Any]] = [
    ("[1e-999]", [0.0]),  # underflows to zero, as a double does
    ("[99999999999999999999]", [99999999999999999999]),  # integers are exact
    ("[-18446744073709551617]", [-18446744073709551617]),
    ("[" + "9" * 400 + "]", [int("9" * 400)]),
    ("[1.7976931348623157e308, -0.0, 1E2]", [1.7976931348623157e308, -0.0, 100.0]),
    ('{"a": 1, "a": 2}', {"a": 2}),  # the last duplicate wins
    ('["\\ud83d\\ude00", "\\\\ud800"]', ["\U0001f600", "\\ud800"]),
    ("[" * SHALLOW + "]" * SHALLOW, json.loads("[" * SHALLOW + "]" * SHALLOW)),
]


@pytest.mark.parametrize(("text", "problem"), REFUSED, ids=lambda v: repr(v)[:30])
def test_not_json_is_worded_by_us(text: str | bytes, problem: str) -> None:
    with pytest.raises(NotJSON) as caught:
        parse_json(text)
    assert caught.value.problem == problem
    assert caught.value.reason == f"not JSON: {problem}"
    assert caught.value.pointer == ""
    assert caught.value.too_deep == (problem == TOO_DEEP)
    assert isinstance(caught.value, DecodeError) and isinstance(caught.value, ValueError)


@pytest.mark.parametrize(("text", "value"), ACCEPTED, ids=lambda v: repr(v)[:30])
def test_edge_cases_that_are_json(text: str | bytes, value: Any) -> None:
    assert parse_json(text) == value


def test_the_digit_limit_is_the_interpreters() -> None:
    before = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        assert parse_json("[" + "9" * 640 + "]") == [int("9" * 640)]
        with pytest.raises(NotJSON) as caught:
            parse_json("[" + "9" * 641 + "]")
        assert caught.value.problem == "integer with too many digits at position 1"
    finally:
        sys.set_int_max_str_digits(before)


# --------------------------------------------------------------- every reader agrees

LEAVES = (st.none() | st.booleans() | st.integers() | st.text(max_size=12)
          | st.floats(allow_nan=False, allow_infinity=False))
VALUES = st.recursive(
    LEAVES, lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)
EDGES = st.sampled_from([
    "NaN", "Infinity", "-Infinity", "1e999", "-1e400", "1e-999", "9" * 5000, "9" * 30,
    '"\\ud800"', '"\\udc00"', '"\\ud83d\\ude00"', '"\ud800"', '{"a":1,"a":2}',
    "[" * DEEP, "[" * SHALLOW + "]" * SHALLOW, "[1,]", "{}", "", "\ufeff", "tru", "-",
])
PIECES = st.sampled_from(list('[]{}",:\\ 0123456789eE.+-tfnul')) | EDGES


@st.composite
def texts(draw: st.DrawFn) -> str | bytes:
    """Requests and captured messages: frames and values, broken a little or a lot."""
    value = draw(VALUES)
    if draw(st.booleans()):
        value = {"get": [{"path": "A:Int", "tag": value}], "tag": draw(LEAVES)}
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:at] + draw(PIECES) + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 8)):]
    if not draw(st.booleans()):
        return text
    raw = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=3)) + raw[at:]
    return raw


ANY_TEXT = texts() | st.text(max_size=40) | st.binary(max_size=40)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("json") / "capture.jsonl"


def _verdict(text: str | bytes) -> NotJSON | None:
    try:
        parse_json(text)
    except NotJSON as exc:
        return exc
    return None


def _validator(text: str | bytes) -> list[str]:
    return [v.message for v in validate(text, direction="send") if v.rule == "json"]


def _runner(text: str | bytes) -> tuple[int, list[str]]:
    report = Report(files=["t"], protocol=DEFAULT_VERSION)
    validate_records([Message("send", text, "t", 1, None, "t", len(text))], report)
    return (report.counts["send", "(not JSON)"],
            [e.message for e in report.examples("json")])


def _live(text: str | bytes) -> list[str]:
    checker = LiveChecker()
    return [f.message for f in checker.check("send", text, "c1", 0.0) if f.rule == "json"]


def _line(line: bytes, path: Path) -> list[str]:
    """The capture reader's verdict on ``line`` as a whole line of a JSON Lines file.

    The line is the file's second: a byte order mark that starts a file is the file's
    (see ``tests/capture/test_file_encodings.py``), one inside it is the line's.
    """
    path.write_bytes(b"\n" + line)
    return [r.reason for r in read_jsonl(path) if isinstance(r, BadRecord)
            and r.reason.startswith("line is not JSON")]


HARNESS = Harness()
SESSION = HARNESS.session()


def _simulator(text: str | bytes) -> str | None:
    return HARNESS.engine.handle(SESSION, text).fatal


def _check_agreement(text: str | bytes, path: Path) -> None:
    refused = _verdict(text)
    reason = None if refused is None else refused.reason
    assert _validator(text) == ([] if reason is None else [reason])
    assert _runner(text) == ((0, []) if reason is None else (1, [reason]))
    assert _live(text) == ([] if reason is None else [reason])
    sim = _simulator(text)
    if refused is None:
        assert sim != FATAL_JSON
    elif refused.too_deep:
        assert sim == SIM_TOO_DEEP.format(HARNESS.engine.limits.json_depth)
    else:
        assert sim == FATAL_JSON
    raw = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    line = raw.replace(b"\n", b" ") + b"\n"
    if line.strip():
        whole = _verdict(line)
        assert _line(line, path) == ([] if whole is None else [f"line is {whole.reason}"])
    # the client's typed readers skip unknown members unchecked (numbers, escapes), so they
    # may accept more; what they call not JSON, the reader calls not JSON too
    fatal = [e.error for e in ClientCore().receive(text) if isinstance(e, BadFrame) and e.fatal]
    if any(str(error).startswith("frame is not JSON") for error in fatal):
        assert refused is not None
    try:
        dmsproto.decode(text, direction="recv")
    except NotJSON:
        assert refused is not None
    except DecodeError:
        pass  # schema errors: the codec's business
    assert isinstance(json.loads(refusal(text, [])), dict)


@AGREEMENT_RUN
@given(ANY_TEXT)
def test_every_reader_agrees_on_what_is_json(scratch: Path, text: str | bytes) -> None:
    _check_agreement(text, scratch)


@pytest.mark.parametrize("text", [t for t, _ in REFUSED] + [t for t, _ in ACCEPTED],
                         ids=lambda v: repr(v)[:30])
def test_every_reader_agrees_on_the_edge_cases(scratch: Path, text: str | bytes) -> None:
    _check_agreement(text, scratch)


# --------------------------------------------------------- where a refusal is shown

def test_the_validator_names_the_position() -> None:
    [violation] = validate('{"get": NaN}', direction="send")
    assert (violation.rule, violation.pointer, violation.message) == (
        "json", "", "not JSON: unexpected character at position 8")


def test_capture_files_that_are_not_json(tmp_path: Path) -> None:
    har = tmp_path / "x.har"
    har.write_text("{not json")
    with pytest.raises(CaptureError) as caught:
        validate_files([har])
    assert str(caught.value) == (
        f"{har} is not a HAR file (not JSON: member name that is not a string at position 1)")
    export = tmp_path / "x.json"  # a tshark -T ek export: one object per line
    export.write_text('{"index": {}}\n{"layers": NaN}\n')
    with pytest.raises(CaptureError) as caught:
        validate_files([export])
    assert str(caught.value) == (
        f"{export} is not a tshark JSON export: not JSON: unexpected character at position 11")


@pytest.mark.parametrize(("frame", "problem"), [
    (b'{"tag": 1, "get": [[1', "ends too early"),  # a schema error first, then cut off
    (b'{"event": [[1', "ends too early"),
    (b'{"tag": 1, "get": ' + b"[" * DEEP, TOO_DEEP),
    (b'{"event": [' + b"[" * DEEP, TOO_DEEP),
    (b'{"x": 1, "\x80": 2}', "not UTF-8 at position 10"),  # a member the typed reader skips
    (b'{"tag": 1, "get": [{"code": "ok", "path": "A", "value": 1e999}]}',
     "number out of range at position 56"),
    ('{"get": ["\ud800"]}', "lone surrogate at position 10"),
])
def test_the_client_core_calls_a_broken_frame_fatal(frame: str | bytes, problem: str) -> None:
    events = ClientCore().receive(frame)
    assert [(type(e), str(getattr(e, "error", "")), getattr(e, "fatal", None))
            for e in events] == [(BadFrame, f"frame is not JSON: {problem}", True)]


def test_decode_words_text_that_is_not_json() -> None:
    with pytest.raises(NotJSON) as caught:
        dmsproto.decode('{"get": ["\ud800"]}', direction="recv")
    assert caught.value.problem == "lone surrogate at position 10"
    with pytest.raises(NotJSON) as caught:
        dmsproto.decode(b'{"tag": ' + b"[" * DEEP, direction="recv")
    assert caught.value.too_deep


@pytest.mark.parametrize("text", ['""', '"{\\"get\\": [\\"A\\"]}"', "[1]", "null"])
def test_a_json_string_is_read_once(text: str) -> None:
    """A message whose JSON is a string is no frame, even when that string is frame text."""
    expected = [v.message for v in validate(text, direction="send")]
    assert len(expected) == 1 and expected[0].startswith("a frame is a JSON object, not ")
    report = Report(files=["t"], protocol=DEFAULT_VERSION)
    validate_records([Message("send", text, "t", 1, None, "t", len(text))], report)
    assert [e.message for e in report.examples("frame")] == expected
    assert report.counts["send", "(not an object)"] == 1
    assert [f.message for f in LiveChecker().check("send", text, "c1", 0.0)] == expected
