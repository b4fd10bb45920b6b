"""The checks behind the ``x-rules`` annotations, and what each adds to the fast schema.

Each annotation rule has a check (``check(value, pointer, params, ctx, out)``, given
the value at the annotated place and the ``x-dms-*`` parameters found there) and a
*twin* fragment: JSON Schema that, added at the annotated place, makes the fast Rust
validator refuse every value the check could report.  A frame the strict twin
accepts therefore has no violation at all, and only the others are walked in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .model import Violation
from .paths import check_array_index, check_path_length
from .regex import SAFE_REGEX, check_regex
from .rules import ANNOTATION_RULES
from .shape import check_changelog_groups_item, check_empty_command, check_set_user
from .stamps import SAFE_DMS_FORM, SAFE_STAMP, check_stamp_form, check_timestamp
from .values import DOUBLE_MAX, INT_RANGE, check_none_type, check_value_type

CheckFn = Callable[[Any, str, Mapping[str, Any], Any, list[Violation]], None]


@dataclass(frozen=True)
class Check:
    """An annotation rule's check and its fast-schema fragment."""

    run: CheckFn
    twin: Callable[[Mapping[str, Any]], dict[str, Any]]


def _when_type(name: str, then: dict[str, Any]) -> dict[str, Any]:
    return {"if": {"required": ["type"], "properties": {"type": {"const": name}}},
            "then": {"properties": then}}


_INT_VALUE = {"minimum": INT_RANGE[0], "maximum": INT_RANGE[1]}
_VALUE_TWIN = {"allOf": [
    _when_type("int", {"value": {"type": ["integer", "null"], **_INT_VALUE}}),
    _when_type("double", {"value": {"type": ["number", "null"], "minimum": -DOUBLE_MAX,
                                    "maximum": DOUBLE_MAX}}),
    _when_type("string", {"value": {"type": ["string", "null"]}}),
    _when_type("bool", {"value": {"type": ["boolean", "null"]}}),
    # an indexed path takes its type from the suffix: leave it to the exact check
    {"properties": {"path": {"pattern": r"^[^\[\]]*$"}}},
]}

CHECKS: dict[str, Check] = {
    "path-length": Check(check_path_length,
                         lambda p: {"maxLength": int(p["x-dms-maxLength"])}),
    "array-index": Check(check_array_index, lambda p: {"pattern": r"^[^\[\]]*$"}),
    "timestamp": Check(check_timestamp, lambda p: {"pattern": SAFE_STAMP}),
    "stamp-form": Check(check_stamp_form, lambda p: {"pattern": SAFE_DMS_FORM}),
    "value-type": Check(check_value_type, lambda p: _VALUE_TWIN),
    "none-type": Check(check_none_type, lambda p: _when_type(
        "none", {"value": {"type": "null"}, "stamp": {"type": "null"}})),
    "regex": Check(check_regex, lambda p: {"pattern": SAFE_REGEX}),
    "empty-command": Check(check_empty_command, lambda p: {"minItems": 1}),
    "changelog-groups-item": Check(check_changelog_groups_item, lambda p: {"maxItems": 0}),
    "set-user": Check(check_set_user,
                      lambda p: {"if": {"required": ["set"]}, "then": {"required": ["user"]}}),
}

if set(CHECKS) != ANNOTATION_RULES:  # pragma: no cover - a programming error
    raise RuntimeError(f"annotation rules without a check: {ANNOTATION_RULES ^ set(CHECKS)}")

__all__ = ["CHECKS", "Check", "CheckFn"]
