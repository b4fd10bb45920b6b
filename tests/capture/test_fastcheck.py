"""The strict fast check never changes a verdict: same violations as dmsproto.validate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import dmsproto
from dmsproto.capture.fastcheck import FrameValidator

EXAMPLES = Path(__file__).parents[1] / "fixtures" / "v1.4"
CASES: list[tuple[str, Any, str]] = []
for file in sorted((EXAMPLES / "invalid").glob("*.json")):
    case = json.loads(file.read_text())
    CASES.append((case["direction"], case["message"], file.name))
for file in sorted((EXAMPLES / "examples").glob("*.json")):
    direction = "send" if file.stem.endswith("request") else "recv"
    CASES.append((direction, json.loads(file.read_text()), file.name))
EXTRA: list[tuple[str, Any, str]] = [
    ("send", {"get": ["A:B[3]"]}, "index"),
    ("send", {"get": ["A:B[0]"]}, "index 0"),
    ("send", {"set": [{"path": "A[2000]", "value": 1}], "user": ""}, "index write"),
    ("send", {"get": ["A" * 161]}, "long"),
    ("send", {"get": ["A" * 160]}, "160"),
    ("send", {"set": [{"path": "A", "value": 1, "stamp": "2026-01-31T00:00:00Z"}],
              "user": ""}, "day 31"),
    ("send", {"set": [{"path": "A", "value": 1, "stamp": "2026-02-30T00:00:00Z"}],
              "user": ""}, "feb 30"),
    ("send", {"set": [{"path": "A", "value": 1, "stamp": "2026-02-03T24:00:00+01:00"}],
              "user": ""}, "hour 24"),
    ("recv", {"get": [{"code": "ok", "path": "B" * 161, "value": 1, "type": "int",
                       "stamp": None}]}, "long response"),
    ("recv", {"tag": 1}, "no command"),
    ("recv", [1], "not object"),
]


@pytest.mark.parametrize(("direction", "message", "name"), CASES + EXTRA,
                         ids=[c[2] for c in CASES + EXTRA])
def test_fast_check_agrees_with_validate(direction: str, message: Any, name: str) -> None:
    fast = FrameValidator("1.4").check(message, direction)  # type: ignore[arg-type]
    assert fast == dmsproto.validate(message, direction=direction)  # type: ignore[arg-type]


def test_cases_cover_both_verdicts() -> None:
    verdicts = {bool(dmsproto.validate(m, direction=d)) for d, m, _ in CASES + EXTRA}  # type: ignore[arg-type]
    assert verdicts == {True, False}
