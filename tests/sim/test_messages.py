"""Validator findings and decoding errors become DMS-style messages, never library words."""

from __future__ import annotations

from typing import Any

import pytest

from dmsproto.sim.messages import for_decoding, for_violation
from dmsproto.sim.testing import Harness

LIBRARY_WORDS = ("should", "is not of type", "Expected `", "`", "[]", "does not match",
                 "jsonschema", "msgspec", "is not valid under")


@pytest.mark.parametrize(("rule", "pointer", "value", "message"), [
    ("required", "/get/0/path", None, "Missing field 'path'"),
    ("additionalProperties", "/foo", 1, "Unknown command 'foo'"),
    ("additionalProperties", "/get/0/colour", "red", "Unknown field 'colour'"),
    ("type", "/get/0/histData/interval", "x", "Invalid data type of field 'interval'"),
    ("type", "/get/3", 5, "Invalid request item"),
    ("enum", "/get/0/histData/format", "wide", "Invalid value 'wide' of field 'format'"),
    ("pattern", "/subscribe/0/event", "onFoo", "Invalid value 'onFoo' of field 'event'"),
    ("minimum", "/get/0/query/maxDepth", -1, "Value of field 'maxDepth' out of range"),
    ("minItems", "/set", [], "Wrong number of items in 'set'"),
    ("not", "/tag", None, "Field 'tag' must not be null"),
    ("path-length", "/set/0/path", "x" * 200, "Path too long (max. 160 characters)"),
    ("array-index", "/set/0/path", "A[x]", "Invalid array index in 'A[x]'"),
    ("timestamp", "/get/0/histData/start", "soon",
     "Invalid time stamp 'soon' (ISO 8601 with Z or offset needed)"),
    ("value-type", "/set/0", {}, "Data type doesn't match"),
    ("regex", "/get/0/query/regExPath", "(", "Invalid regular expression in regExPath"),
    ("json", "", None, "Expected JSON encoded data, but got something else."),
    ("frame", "", {}, "Request contains no command"),
    ("frame", "", [1], "A request must be a JSON object"),
])
def test_each_rule_has_a_dms_style_message(rule: str, pointer: str, value: Any,
                                            message: str) -> None:
    assert for_violation(rule, pointer, value, max_path=160) == message


@pytest.mark.parametrize(("text", "message"), [
    ("Object missing required field `start` - at `$.histData`", "Missing field 'start'"),
    ("Object contains unknown field `colour` - at `$.query`", "Unknown field 'colour'"),
    ("Expected `int`, got `str` - at `$.query.maxDepth`",
     "Invalid data type of field 'maxDepth'"),
    ("Expected `int` >= 0 - at `$.histData.interval`", "Invalid value of field 'interval'"),
    ("Invalid enum value 'wide' - at `$.histData.format`",
     "Invalid value 'wide' of field 'format'"),
    ("Expected `str`, got `int` - at `$.showExtInfos[0]`",
     "Invalid data type of field 'showExtInfos'"),
    ("Expected `object`, got `int`", "Invalid request item"),
])
def test_decoding_errors_name_the_field(text: str, message: str) -> None:
    assert for_decoding(text) == message


def test_no_answer_of_a_broken_request_carries_library_wording() -> None:
    h = Harness()
    s = h.session()
    requests: list[Any] = [
        {"get": [5, {"path": 3}, {"path": "A", "showExtInfos": ["x"]},
                 {"path": "A", "query": {"maxDepth": -1, "isType": "x"}},
                 {"path": "A", "histData": {"start": "x", "interval": "y"}}]},
        {"whois": "w", "user": "", "set": [{"path": "B:X"}, {"value": 1},
                                           {"path": "B:X", "value": [1]}]},
        {"subscribe": [{"path": "B:X", "event": "never"}], "tag": None},
        {"get": "B:X"}, {"rename": [{}]}, {"delete": [{"path": "B:X", "recursive": "no"}]},
    ]
    for request in requests:
        reply = h.handle_message(s, request, check=False)
        assert reply.response is not None
        texts = [i.get("message", "") for items in reply.response.values()
                 if isinstance(items, list) for i in items]
        for text in texts:
            assert not any(word in text for word in LIBRARY_WORDS), text
