"""Where each named rule applies is read from the schema's ``x-rules``, and only there;
every rule has one severity; the array-element table is schema data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import dmsproto
from dmsproto.validation import RULES, array_elements, placements
from dmsproto.validation.plan import apply_plan, compile_plan
from dmsproto.validation.rules import ANNOTATION_RULES, SCHEMA_RULE, found, rule
from dmsproto.versions import get_version

SCHEMA = Path(__file__).resolve().parents[2] / "schema"
REQ, RESP, EVT = "request", "response", "event"
PLACEMENT_14 = {
    "path-length": (REQ,), "array-index": (REQ,), "regex": (REQ,), "empty-command": (REQ,),
    "changelog-groups-item": (REQ,), "set-user": (REQ,),
    "timestamp": (REQ, RESP, EVT), "value-type": (REQ, RESP, EVT),
    "stamp-form": (RESP, EVT), "none-type": (RESP, EVT),
}


@pytest.mark.parametrize("protocol", ["1.3", "1.4", "1.5"])
def test_placements_follow_the_schema(protocol: str) -> None:
    want = dict(PLACEMENT_14)
    if protocol == "1.3":
        del want["changelog-groups-item"]  # no change-log commands in v1.3
    assert placements(protocol) == dict(sorted(want.items()))


def test_every_x_rules_name_in_the_schema_files_is_a_rule() -> None:
    def names(node: Any) -> set[str]:
        if isinstance(node, dict):
            own = set(node.get("x-rules", []))
            return own.union(*(names(v) for v in node.values()))
        if isinstance(node, list):
            return set().union(*(names(v) for v in node))
        return set()

    used = set().union(*(names(json.loads(p.read_text())) for p in SCHEMA.glob("*/*.json")))
    assert used == ANNOTATION_RULES


def test_a_rule_moves_with_its_annotation() -> None:
    """The same path rule on a response member, by schema alone (no pointer list)."""
    schema = {"type": "object", "properties": {"path": {"$ref": "#/$defs/P"}},
              "$defs": {"P": {"type": "string", "x-rules": ["path-length"],
                              "x-dms-maxLength": 3}}}
    plan = compile_plan(schema, schema["$defs"])
    out: list[dmsproto.Violation] = []
    apply_plan(plan, {"path": "ABCD", "other": "ABCD"}, [], None, out)
    assert [(v.pointer, v.rule) for v in out] == [("/path", "path-length")]
    with pytest.raises(ValueError, match="unknown rule"):
        compile_plan({"x-rules": ["no-such-rule"]}, {})


def test_parameters_come_from_the_referring_schema() -> None:
    """WritePath gives array-index its write range; a read path has none."""
    assert dmsproto.validate({"get": ["A[5000]"]}, direction="send") == []
    [v] = dmsproto.validate({"whois": "w", "rename": [{"path": "A", "newPath": "A[5000]"}]},
                            direction="send")
    assert (v.pointer, v.rule) == ("/rename/0/newPath", "array-index")


def test_every_rule_has_one_severity() -> None:
    assert {r.severity for r in RULES.values()} == {"error", "warning"}
    warnings = {n for n, r in RULES.items() if r.severity == "warning"}
    assert warnings == {"stamp-form", "empty-command", "changelog-groups-item", "set-user",
                        "binary-frame", "whois"}
    assert rule("enum") is SCHEMA_RULE and SCHEMA_RULE.severity == "error"
    assert found("whois", "/whois", None, "x").severity == "warning"
    for v in dmsproto.validate({"get": [], "set": [{"path": 1}]}, direction="send"):
        assert v.severity == rule(v.rule).severity
        assert ("warning" in str(v)) == (v.severity == "warning")


@pytest.mark.parametrize("protocol", ["1.3", "1.4", "1.5"])
def test_element_table_is_schema_data(protocol: str) -> None:
    suffix = get_version(protocol).schemas["request"]["$defs"]["ArrayIndexSuffix"]
    table = array_elements(protocol)
    assert set(table) == {"", *suffix["enum"]}
    assert {e.type for e in table.values()} <= {"int", "double", "string", "bool"}
    if protocol == "1.5":
        assert (table[""].minimum, table[""].maximum) == (0, 2**32 - 1)  # "uint" (DWU)
        assert table["BYS"] == type(table["BYS"])("int", -128, 127)


def test_the_simulator_reads_the_element_table() -> None:
    from dmsproto.sim.arrays import parse_ref

    for protocol in ("1.4", "1.5"):
        for name, element in array_elements(protocol).items():
            ref = parse_ref(f"A:Arr[1]{name}", protocol)
            assert ref is not None and ref.type == element.type
            bounds = None if element.minimum is None else (element.minimum, element.maximum)
            assert ref.bounds == bounds


def test_the_proxys_framing_rule_is_declared_with_the_others() -> None:
    from dmsproto.proxy import FRAMING_RULE, LiveChecker

    declared = RULES[FRAMING_RULE]
    assert (declared.name, declared.severity, declared.kind) == ("websocket", "error", "live")
    finding = LiveChecker().framing("send", "c1", 0.0, "no mask")
    assert (finding.rule, finding.severity) == ("websocket", declared.severity)
