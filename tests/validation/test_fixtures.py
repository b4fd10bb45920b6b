"""Every example of the manufacturer's document validates and round-trips; every
hand-made invalid message gets exactly the expected verdicts (pointer, rule, severity);
every frame of the two field clients gives no error, only the warnings it expects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

import dmsproto

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "v1.4"
EXAMPLES = sorted((FIXTURES / "examples").glob("*.json"))
INVALID = sorted((FIXTURES / "invalid").glob("*.json"))
FIELD = sorted((FIXTURES.parent / "field").glob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def test_fixture_sets_are_complete() -> None:
    assert len(EXAMPLES) >= 25
    assert len(INVALID) >= 40
    assert len(FIELD) >= 15


def verdicts(violations: list[dmsproto.Violation]) -> list[tuple[str, str, str]]:
    return sorted((v.pointer, v.rule, v.severity) for v in violations)


def expected(fx: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((w["pointer"], w["rule"], w["severity"]) for w in fx["expect"])


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("protocol", ["1.4", "1.5"])
def test_example_validates(path: Path, protocol: str) -> None:
    """Neither errors nor warnings (v1.5 has no examples of its own: it keeps v1.4's)."""
    fx = _load(path)
    violations = dmsproto.validate(fx["message"], direction=fx["direction"], protocol=protocol)
    assert violations == [], [str(v) for v in violations]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_round_trips(path: Path) -> None:
    fx = _load(path)
    text = json.dumps(fx["message"])
    frame = dmsproto.decode(text, direction=fx["direction"])
    again = orjson.loads(dmsproto.encode(frame))
    assert again == fx["message"]
    # the types survive too: ints stay ints, floats stay floats
    assert _types(again) == _types(fx["message"])


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_is_rejected(path: Path) -> None:
    fx = _load(path)
    message = fx["message"]
    violations = dmsproto.validate(message, direction=fx["direction"])
    assert verdicts(violations) == expected(fx), (fx.get("why"), [str(v) for v in violations])
    for v in violations:
        assert v.message and "\n" not in v.message


@pytest.mark.parametrize("path", FIELD, ids=lambda p: p.stem)
def test_field_client_frames_give_no_error(path: Path) -> None:
    fx = _load(path)
    for protocol in fx["protocols"]:
        violations = dmsproto.validate(fx["message"], direction="send", protocol=protocol)
        assert verdicts(violations) == expected(fx), (protocol, [str(v) for v in violations])
        assert all(v.severity == "warning" for v in violations)
