"""JSON Schema failures as violations: one per broken keyword, at the member's pointer.

The pure-Python jsonschema validator reports every failure; ``anyOf``/``oneOf``
failures are narrowed to the branch that fits the value's JSON type, so a bad
member inside an object item is reported there, not as "matched no branch".
"""

from __future__ import annotations

from typing import Any

from jsonschema.exceptions import ValidationError as SchemaError

from .model import Violation, pointer_of, short
from .rules import found


def schema_violations(error: SchemaError, out: list[Violation]) -> None:
    """Append the violations ``error`` stands for (a rule per JSON Schema keyword)."""
    parts = list(error.absolute_path)
    keyword = str(error.validator)
    instance = error.instance
    if keyword in ("anyOf", "oneOf") and error.context:
        branch_types: list[Any] = [e.validator_value for e in error.context
                                   if e.validator == "type" and not e.relative_path]
        if len(branch_types) == len({e.relative_schema_path[0] for e in error.context}):
            allowed = sorted({t for ts in branch_types for t in ([ts] if isinstance(ts, str)
                                                                   else ts)})
            out.append(found("type", pointer_of(parts), instance,
                             f"{short(instance)} is not of type {' or '.join(allowed)}"))
            return
        # report the branch that fits the value's JSON type, not "matched no branch"
        fitting = [e for e in error.context if e.validator != "type" or e.relative_path]
        by_branch: dict[str | int, list[SchemaError]] = {}
        for e in fitting:
            by_branch.setdefault(e.relative_schema_path[0], []).append(e)
        typed = {b: errs for b, errs in by_branch.items()
                 if not any(e.validator == "type" and not e.relative_path
                            for e in error.context if e.relative_schema_path[0] == b)}
        if len(typed) == 1:
            for e in next(iter(typed.values())):
                schema_violations(e, out)
            return
    if keyword == "required" and isinstance(instance, dict):
        required: Any = error.validator_value
        for name in required:
            if name not in instance:
                out.append(found("required", pointer_of([*parts, name]), None,
                                 f"missing required member {name!r}"))
        return
    if keyword == "additionalProperties" and isinstance(instance, dict):
        schema: Any = error.schema
        known = set(schema.get("properties", {}))
        for name in instance:
            if name not in known:
                out.append(found("additionalProperties", pointer_of([*parts, name]),
                                 instance[name], f"unknown member {name!r} is not allowed"))
        return
    message = error.message
    if keyword == "not" and instance is None:
        message = "null is not allowed here"
    elif keyword == "pattern":
        message = f"{short(instance)} does not match {error.validator_value}"
    out.append(found(keyword, pointer_of(parts), instance, message.splitlines()[0]))


__all__ = ["schema_violations"]
