"""Property tests: generated valid messages round-trip; junk never escapes as a crash."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

import dmsproto
from dmsproto.validation.rules import ANNOTATION_RULES
from dmsproto.versions import get_version
from tests.support.schemas import for_hypothesis

NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)
NAMED_RULES = set(ANNOTATION_RULES)
STAMPS = st.sampled_from(["2015-04-28T07:10:11,023Z", "2016-05-23T10:00:00+02:00",
                          "2015-03-20T08:49:19.5-05:30"])
SETTINGS = settings(max_examples=25, deadline=None, database=None, phases=NO_SHRINK,
                    suppress_health_check=list(HealthCheck))


def _closed(schema: Any) -> Any:
    """The schema with unknown members forbidden everywhere: decode drops unknown
    response members by design, so only closed messages can round-trip exactly."""
    if isinstance(schema, dict):
        out = {k: _closed(v) for k, v in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_closed(v) for v in schema]
    return schema


def _strategy(kind: str) -> st.SearchStrategy[Any]:
    schema = for_hypothesis(_closed(copy.deepcopy(get_version("1.4").schemas[kind])))
    return from_schema(schema, custom_formats={"dms-timestamp": STAMPS})


@pytest.mark.parametrize(("kind", "direction"),
                         [("request", "send"), ("response", "recv"), ("event", "recv")])
def test_generated_messages_round_trip(kind: str, direction: str) -> None:
    @SETTINGS
    @given(_strategy(kind))
    def check(message: dict[str, Any]) -> None:
        violations = dmsproto.validate(message, direction=direction)  # type: ignore[arg-type]
        # hypothesis-jsonschema ignores if/then (e.g. onRename needs newPath): skip those
        assume(all(v.rule in NAMED_RULES | {"frame"} for v in violations))
        frame = dmsproto.decode(json.dumps(message), direction=direction)  # type: ignore[call-overload]
        assert json.loads(dmsproto.encode(frame)) == message

    check()


@settings(max_examples=300, deadline=None, database=None, phases=NO_SHRINK)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200),
                 st.recursive(st.none() | st.booleans() | st.integers() | st.floats()
                              | st.text(max_size=10),
                              lambda c: st.lists(c, max_size=4)
                              | st.dictionaries(st.sampled_from(
                                  ["get", "set", "event", "path", "code", "value", "tag",
                                   "histData", "stamp", "x"]), c, max_size=4),
                              max_leaves=20).map(json.dumps)),
       st.sampled_from(["send", "recv"]))
def test_junk_only_raises_decode_error(data: bytes | str, direction: str) -> None:
    try:
        dmsproto.decode(data, direction=direction)  # type: ignore[call-overload]
    except dmsproto.DecodeError as exc:
        assert exc.pointer == "" or exc.pointer.startswith("/")
    violations = dmsproto.validate(data, direction=direction)  # type: ignore[arg-type]
    assert all(isinstance(v, dmsproto.Violation) for v in violations)
