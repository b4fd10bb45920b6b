"""Every JSON Schema keyword the validator can report is said in our words, never jsonschema's.

Each case breaks one keyword of a small schema; the violation keeps the keyword as its
rule and the pointer and value of the failure, and its message is ours.
"""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

import dmsproto
from dmsproto.validation.schema_errors import DESCENDING, WORDING, schema_violations

#: phrases of jsonschema's own messages (4.x): none may reach a report
LIBRARY_PHRASES = ("is not of type", "is not one of [", "is a required property",
                   "Additional properties", "was unexpected", "were unexpected",
                   "was expected", "should not be valid under", "is not valid under any",
                   "is valid under each of", "is too long", "is too short",
                   "should be non-empty", "is expected to be empty", "does not have enough",
                   "has too many properties", "of the minimum of", "than the maximum of",
                   "has non-unique elements", "does not contain items", "is a dependency of",
                   "Expected at most", "Unevaluated", "is not a 'date'",
                   "does not match '", "Too few items match", "Too many items match")

CASES: list[tuple[str, dict[str, Any], Any, str, str]] = [
    # (keyword, schema, instance, pointer, our message)
    ("type", {"properties": {"p": {"type": "string"}}}, {"p": 5}, "/p", "5 is not a string"),
    ("type", {"type": ["string", "null"]}, 5, "", "5 is not a string or null"),
    ("enum", {"enum": ["ok", "error"]}, "fine", "",
     '"fine" is not an allowed value; allowed: "ok", "error"'),
    ("const", {"const": "x"}, "y", "", '"y" is not "x", the one value allowed here'),
    ("required", {"required": ["user"]}, {}, "/user", "missing required member 'user'"),
    ("additionalProperties", {"properties": {"a": {}}, "additionalProperties": False},
     {"a": 1, "bogus": 2}, "/bogus", "unknown member 'bogus' is not allowed"),
    ("additionalProperties", {"patternProperties": {"^x-": {}}, "additionalProperties": False},
     {"x-ok": 1, "bad": 2}, "/bad", "unknown member 'bad' is not allowed"),
    ("pattern", {"pattern": "^a"}, "b", "", '"b" does not match the pattern ^a'),
    ("minimum", {"minimum": 1}, 0, "", "0 is below the minimum 1"),
    ("maximum", {"maximum": 1}, 2, "", "2 is above the maximum 1"),
    ("exclusiveMinimum", {"exclusiveMinimum": 1}, 1, "", "1 is not above 1"),
    ("exclusiveMaximum", {"exclusiveMaximum": 1}, 1, "", "1 is not below 1"),
    ("multipleOf", {"multipleOf": 2}, 3, "", "3 is not divisible by 2"),
    ("minLength", {"minLength": 2}, "a", "", '"a" has 1 character; at least 2 needed'),
    ("maxLength", {"maxLength": 1}, "abc", "", '"abc" has 3 characters; at most 1 allowed'),
    ("minItems", {"minItems": 1}, [], "", "[] has 0 items; at least 1 needed"),
    ("maxItems", {"maxItems": 0}, [1], "", "[1] has 1 item; at most 0 allowed"),
    ("minProperties", {"minProperties": 1}, {}, "", "{} has 0 members; at least 1 needed"),
    ("maxProperties", {"maxProperties": 1}, {"a": 1, "b": 2}, "",
     '{"a":1,"b":2} has 2 members; at most 1 allowed'),
    ("uniqueItems", {"uniqueItems": True}, [1, 1], "", "[1,1] holds the same item more than once"),
    ("contains", {"contains": {"const": 1}}, [2], "", "[2] has no item of the form required here"),
    ("minContains", {"contains": {"const": 1}, "minContains": 2}, [1], "",
     "[1] has too few items of the form required here; at least 2 needed"),
    ("maxContains", {"contains": {"const": 1}, "maxContains": 1}, [1, 1], "",
     "[1,1] has too many items of the form required here; at most 1 allowed"),
    ("items", {"prefixItems": [{}], "items": False}, [1, 2, 3], "",
     "[1,2,3] has 3 items; at most 1 allowed"),
    ("type", {"prefixItems": [{"type": "string"}]}, [5], "/0", "5 is not a string"),
    ("not", {"not": {"type": "null"}}, None, "", "null is not allowed here"),
    ("not", {"not": {"const": 3}}, 3, "", "3 is not allowed here"),
    ("anyOf", {"anyOf": [{"minimum": 5}, {"maximum": 1}]}, 3, "",
     "3 fits none of the forms allowed here"),
    ("oneOf", {"oneOf": [{"minimum": 1}, {"maximum": 5}]}, 3, "",
     "3 fits more than one of the forms allowed here (one is needed)"),
    ("type", {"anyOf": [{"type": "string"}, {"type": "null"}]}, 5, "",
     "5 is not a string or null"),
    ("format", {"format": "date"}, "later", "", '"later" is not a valid date'),
    ("dependentRequired", {"dependentRequired": {"a": ["b"]}}, {"a": 1}, "",
     "member 'a' needs member 'b'"),
    ("unevaluatedProperties", {"unevaluatedProperties": False}, {"a": 1}, "",
     '{"a":1} has members not allowed here'),
    ("unevaluatedItems", {"unevaluatedItems": False}, [1], "", "[1] has items not allowed here"),
]


def _report(schema: dict[str, Any], instance: Any) -> tuple[list[dmsproto.Violation], list[str]]:
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors = list(validator.iter_errors(instance))
    out: list[dmsproto.Violation] = []
    for error in errors:
        schema_violations(error, out)
    return out, [e.message for e in errors]


@pytest.mark.parametrize(("rule", "schema", "instance", "pointer", "message"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_keyword_in_our_words(rule: str, schema: dict[str, Any], instance: Any,
                                   pointer: str, message: str) -> None:
    found, theirs = _report(schema, instance)
    assert [(v.rule, v.pointer, v.message) for v in found] == [(rule, pointer, message)]
    assert found[0].severity == "error"
    for phrase in LIBRARY_PHRASES:
        assert phrase not in message
    assert message not in theirs


def test_every_keyword_of_the_validator_is_worded_or_descends() -> None:
    keywords = set(Draft202012Validator.VALIDATORS) | {"minContains", "maxContains"}
    assert keywords == set(WORDING) | DESCENDING
    assert not set(WORDING) & DESCENDING
    assert {case[0] for case in CASES} >= set(WORDING) - {"required", "additionalProperties"}


def test_a_keyword_without_wording_still_gets_ours() -> None:
    validator = Draft202012Validator({"type": "string"})
    error = next(validator.iter_errors(5))
    error.validator = "x-future"  # type: ignore[assignment]
    out: list[dmsproto.Violation] = []
    schema_violations(error, out)
    assert out[0].message == "5 breaks the schema's 'x-future' keyword"


def test_frames_of_the_protocol_read_in_our_words() -> None:
    bad = {"tag": None, "whois": 5, "get": [{"path": 5, "bogus": 1}]}
    found = {(v.pointer, v.rule): v.message
             for v in dmsproto.validate(bad, direction="send")}
    assert found == {
        ("/tag", "not"): "null is not allowed here",
        ("/whois", "type"): "5 is not a string",
        ("/get/0/path", "type"): "5 is not a string",
        ("/get/0/bogus", "additionalProperties"): "unknown member 'bogus' is not allowed",
    }
    answer = {"get": [{"path": "A", "code": "fine", "value": 1, "type": "int"}]}
    (enum,) = [v for v in dmsproto.validate(answer, direction="recv") if v.rule == "enum"]
    assert enum.message == ('"fine" is not an allowed value; allowed: "ok", "no perm", '
                            '"not found", "error"')


@pytest.mark.parametrize(("text", "kind"), [
    ("[1]", "an array"), ('"x"', "a string"), ("1", "a number"), ("1.5", "a number"),
    ("true", "true or false"), ("null", "null")])
def test_a_frame_that_is_no_object_is_named_in_json_words(text: str, kind: str) -> None:
    for direction in ("send", "recv"):
        [v] = dmsproto.validate(text, direction=direction)  # type: ignore[arg-type]
        assert (v.rule, v.message) == ("frame", f"a frame is a JSON object, not {kind}")
