"""What the validator says at its limits, and the declared binary-frame finding.

A frame with one violation goes the slow way through every rule: there a path of
exactly the limit must still pass, and the finding for a longer one names the value
and the limit in the words users read.
"""

from __future__ import annotations

import orjson

from dmsproto import validate
from dmsproto.sim.items import ItemRefused
from dmsproto.validation.rules import binary_frame, rule
from dmsproto.versions import DEFAULT_VERSION


def test_a_path_of_exactly_the_limit_passes_beside_one_that_is_too_long() -> None:
    at_limit, too_long = "A" * 160, "B" * 161
    frame = {"whois": "w", "user": "", "set": [{"path": at_limit, "value": 1},
                                               {"path": too_long, "value": 2}]}
    [v] = validate(orjson.dumps(frame), direction="send", protocol=DEFAULT_VERSION)
    assert (v.pointer, v.rule, v.value) == ("/set/1/path", "path-length", too_long)
    assert v.message == ("path has 161 characters; a DMS stores at most 160 and rejects "
                         "longer writes (3.1.5)")
    assert v.severity == rule("path-length").severity


def test_the_highest_index_passes_beside_one_past_it() -> None:
    frame = {"whois": "w", "user": "", "set": [{"path": "A:B[1024]", "value": 1},
                                               {"path": "A:B[1025]", "value": 2}]}
    [v] = validate(orjson.dumps(frame), direction="send", protocol=DEFAULT_VERSION)
    assert (v.pointer, v.rule, v.value) == ("/set/1/path", "array-index", "A:B[1025]")
    assert v.message == "array index 1025 outside 1..1024 for a write (3.1.4)"


def test_the_binary_frame_finding_is_about_the_whole_message() -> None:
    v = binary_frame()
    assert (v.pointer, v.rule, v.value) == ("", "binary-frame", None)
    assert v.message == "message sent in a binary WebSocket frame; JSON goes in text frames"
    assert v.severity == rule("binary-frame").severity
    assert str(v).startswith("/: ")


def test_a_refused_item_carries_its_message_and_code() -> None:
    refused = ItemRefused("Data point doesn't exist", "not found")
    assert (str(refused), refused.message, refused.code) == (
        "Data point doesn't exist", "Data point doesn't exist", "not found")
    assert ItemRefused("x").code == "error"
