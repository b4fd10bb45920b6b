"""Exact verdicts (pointer, rule, severity) for fresh messages in both directions and all
three versions: the false alarms and missed violations of the earlier validator, and more."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import dmsproto
from dmsproto.versions import VERSIONS

VERDICTS = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "verdicts").glob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


CASES = [(path, protocol) for path in VERDICTS for protocol in _load(path)["protocols"]]


def test_the_set_covers_both_directions_all_versions_and_both_severities() -> None:
    fixtures = [_load(p) for p in VERDICTS]
    assert len([f for f in fixtures if f["source"] == "ours"]) >= 30
    assert {f["direction"] for f in fixtures} == {"send", "recv"}
    assert {v for f in fixtures for v in f["protocols"]} == {"1.3", "1.4", "1.5"} <= set(VERSIONS)
    severities = {w["severity"] for f in fixtures for w in f["expect"]}
    assert severities == {"error", "warning"}
    assert any(not f["expect"] for f in fixtures)


@pytest.mark.parametrize(("path", "protocol"), CASES, ids=[f"{p.stem}@{v}" for p, v in CASES])
def test_verdict(path: Path, protocol: str) -> None:
    fx = _load(path)
    violations = dmsproto.validate(fx["message"], direction=fx["direction"], protocol=protocol)
    got = sorted((v.pointer, v.rule, v.severity) for v in violations)
    want = sorted((w["pointer"], w["rule"], w["severity"]) for w in fx["expect"])
    assert got == want, (fx["why"], [str(v) for v in violations])
    # the same verdict from the JSON text as from the parsed frame
    text = json.dumps(fx["message"])
    assert dmsproto.validate(text, direction=fx["direction"], protocol=protocol) == violations
