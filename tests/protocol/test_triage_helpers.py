"""The slow path's helpers (``dmsproto.protocol._triage``) on their own.

``test_frame_triage.py`` sends broken frames through ``ClientCore.receive``; a helper
whose mistake the core happens to mask there (a log line, a reason the core does
not show) is checked here directly.
"""

from __future__ import annotations

import msgspec
import pytest

from dmsproto.errors import NotJSON
from dmsproto.protocol._triage import NO_TAG, SHOWN, problem_of, root_tag, shorten
from dmsproto.protocol._wire import wire_for

WIRE = wire_for("1.4")


def test_a_frame_is_shown_as_text_and_cut_only_past_the_limit() -> None:
    assert shorten(b'{"tag": 1, "x": "\xff"}') == '{"tag": 1, "x": "\ufffd"}'
    exact = "x" * SHOWN
    assert shorten(exact) == exact
    assert shorten(exact.encode()) == exact
    assert shorten(exact + "y") == f"{exact}... ({SHOWN + 1} chars)"


@pytest.mark.parametrize(("data", "reason"), [
    (b'{"tag": 1, ', "not JSON: ends too early"),
    (b'{"a": "\x80"}', "not JSON: not UTF-8 at position 7"),
])
def test_text_that_is_not_json_is_named_in_the_readers_words(data: bytes, reason: str) -> None:
    with pytest.raises(msgspec.DecodeError) as caught:
        msgspec.json.decode(data)
    problem = problem_of(caught.value, data)
    assert isinstance(problem, NotJSON)
    assert problem.reason == reason


def test_the_root_tag_comes_from_the_object_wherever_it_stands() -> None:
    frame = '{"get": [], "tag": "mine"}'
    assert root_tag(frame, WIRE, {"get": [], "tag": "mine"}) == "mine"
    assert root_tag(frame, WIRE, None) is NO_TAG  # no object: only the head is read
    assert root_tag('{"tag": 12, "get": [', WIRE, None) == 12
    assert root_tag(b'{"tag": [12, "u"], "get": [', WIRE, None) == 12
