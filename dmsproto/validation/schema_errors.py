"""JSON Schema failures as violations in our words: one per broken keyword, at the member's pointer.

The pure-Python jsonschema validator finds every failure, but what it says about one
is its own English (``5 is not of type 'string'``).  Here each keyword's failure is
said once, in our words, from the facts the validator hands over (the keyword, its
value in the schema, the offending value): :data:`WORDING` for the keywords that
fail themselves; :data:`DESCENDING` names those that only pass on the failures of
their subschemas.  A keyword in neither (one a later jsonschema adds) still gets a
sentence of ours, never the library's.

``anyOf``/``oneOf`` failures are narrowed to the branch that fits the value's JSON
type, so a bad member inside an object item is reported there, not as "fits none of
the forms".  The simulator answers clients in the DMS's words instead
(:func:`dmsproto.sim.messages.for_violation`, from the rule and value alone).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import ValidationError as SchemaError

from ..wording import count
from .model import Violation, pointer_of, short
from .rules import found

_TYPE_NAMES = {"string": "a string", "integer": "an integer", "number": "a number",
               "boolean": "true or false", "object": "an object", "array": "an array",
               "null": "null"}
_MAX_CHOICES = 10


def _types(expected: str | Iterable[str]) -> str:
    """``a string or null``: the JSON types a value may have, for people."""
    names = [expected] if isinstance(expected, str) else list(expected)
    return " or ".join(_TYPE_NAMES.get(n, n) for n in names)


def _choices(values: Iterable[Any]) -> str:
    """The allowed values as JSON, the first few of a long list."""
    listed = list(values)
    shown = ", ".join(short(v) for v in listed[:_MAX_CHOICES])
    return shown + (", ..." if len(listed) > _MAX_CHOICES else "")


@dataclass(frozen=True, slots=True)
class Failure:
    """What the validator hands over about one failure, all our wording may use.

    Attributes:
        value: the offending value.
        expected: the keyword's value in the schema (``"string"``, ``["ok", ...]``, 160).
        schema: the schema object holding the keyword.
        branches_failed: for ``anyOf``/``oneOf``: no branch fits (else several do).
    """

    value: Any
    expected: Any
    schema: Any
    branches_failed: bool = False

    @classmethod
    def of(cls, error: SchemaError) -> Failure:
        """The failure the validator library reported, in our terms."""
        return cls(error.instance, error.validator_value, error.schema, bool(error.context))

    @property
    def shown(self) -> str:
        """The value as messages show it (compact JSON, cut short)."""
        return short(self.value)


def _size(f: Failure, noun: str, bound: str) -> str:
    """``"ab" has 2 characters; at least 3 needed`` (``bound``: "at least"/"at most")."""
    need = "needed" if bound == "at least" else "allowed"
    return f"{f.shown} has {count(len(f.value), noun)}; {bound} {f.expected} {need}"


def _extra_items(f: Failure) -> str:
    prefix = len(f.schema.get("prefixItems", []))
    return f"{f.shown} has {count(len(f.value), 'item')}; at most {prefix} allowed"


def _one_of(f: Failure) -> str:
    if f.branches_failed:
        return f"{f.shown} fits none of the forms allowed here"
    return f"{f.shown} fits more than one of the forms allowed here (one is needed)"


def _dependent_required(f: Failure) -> str:
    present = f.value if isinstance(f.value, dict) else {}
    needs = [f"member {name!r} needs member {other!r}"
             for name, others in f.expected.items() if name in present
             for other in others if other not in present]
    return "; ".join(needs) or "a member is missing that another member needs"


Wording = Callable[[Failure], str]

WORDING: dict[str, Wording] = {
    "type": lambda f: f"{f.shown} is not {_types(f.expected)}",
    "enum": lambda f: f"{f.shown} is not an allowed value; allowed: {_choices(f.expected)}",
    "const": lambda f: f"{f.shown} is not {short(f.expected)}, the one value allowed here",
    "pattern": lambda f: f"{f.shown} does not match the pattern {f.expected}",
    "format": lambda f: f"{f.shown} is not a valid {f.expected}",
    "minimum": lambda f: f"{f.shown} is below the minimum {short(f.expected)}",
    "maximum": lambda f: f"{f.shown} is above the maximum {short(f.expected)}",
    "exclusiveMinimum": lambda f: f"{f.shown} is not above {short(f.expected)}",
    "exclusiveMaximum": lambda f: f"{f.shown} is not below {short(f.expected)}",
    "multipleOf": lambda f: f"{f.shown} is not divisible by {short(f.expected)}",
    "minLength": lambda f: _size(f, "character", "at least"),
    "maxLength": lambda f: _size(f, "character", "at most"),
    "minItems": lambda f: _size(f, "item", "at least"),
    "maxItems": lambda f: _size(f, "item", "at most"),
    "minProperties": lambda f: _size(f, "member", "at least"),
    "maxProperties": lambda f: _size(f, "member", "at most"),
    "uniqueItems": lambda f: f"{f.shown} holds the same item more than once",
    "contains": lambda f: f"{f.shown} has no item of the form required here",
    "minContains": lambda f: (f"{f.shown} has too few items of the form required here; "
                              f"at least {f.expected} needed"),
    "maxContains": lambda f: (f"{f.shown} has too many items of the form required here; "
                              f"at most {f.expected} allowed"),
    "items": _extra_items,
    "not": lambda f: ("null is not allowed here" if f.value is None
                      else f"{f.shown} is not allowed here"),
    "anyOf": _one_of,
    "oneOf": _one_of,
    "required": lambda f: "a required member is missing",
    "additionalProperties": lambda f: f"{f.shown} has members not allowed here",
    "dependentRequired": _dependent_required,
    "unevaluatedProperties": lambda f: f"{f.shown} has members not allowed here",
    "unevaluatedItems": lambda f: f"{f.shown} has items not allowed here",
}
"""Each keyword's failure in our words (``required`` and ``additionalProperties`` are
said per member, at the member's pointer: :func:`missing_member`, :func:`unknown_member`)."""

DESCENDING = frozenset({"$ref", "$dynamicRef", "allOf", "if", "properties",
                        "patternProperties", "propertyNames", "prefixItems",
                        "dependentSchemas"})
"""Keywords that fail only through a keyword of their subschema, which says why
(``items``, ``additionalProperties`` and ``unevaluated*`` do so too when their value
is a schema, and fail themselves when it is ``false``)."""


def missing_member(name: str) -> str:
    """A required member that is not there (at its own pointer)."""
    return f"missing required member {name!r}"


def unknown_member(name: str) -> str:
    """A member the schema does not allow (at its own pointer)."""
    return f"unknown member {name!r} is not allowed"


def wording(error: SchemaError) -> str:
    """Our sentence for one failure the jsonschema validator found."""
    word = WORDING.get(str(error.validator))
    if word is not None:
        return word(Failure.of(error))
    return f"{short(error.instance)} breaks the schema's {error.validator!r} keyword"


def _extra_members(instance: dict[str, Any], schema: Any) -> Iterator[str]:
    """The members neither ``properties`` nor ``patternProperties`` of ``schema`` allow."""
    known = schema.get("properties", {}) if isinstance(schema, dict) else {}
    patterns = schema.get("patternProperties", {}) if isinstance(schema, dict) else {}
    for name in instance:
        if name not in known and not any(re.search(p, name) for p in patterns):
            yield name


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
                                                                   else ts)},
                             key=lambda t: (t == "null", t))
            out.append(found("type", pointer_of(parts), instance,
                             f"{short(instance)} is not {_types(allowed)}"))
            return
        # report the branch that fits the value's JSON type, not "fits none of the forms"
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
                                 missing_member(name)))
        return
    if keyword == "additionalProperties" and isinstance(instance, dict):
        for name in _extra_members(instance, error.schema):
            out.append(found("additionalProperties", pointer_of([*parts, name]),
                             instance[name], unknown_member(name)))
        return
    out.append(found(keyword, pointer_of(parts), instance, wording(error)))


__all__ = ["DESCENDING", "WORDING", "Failure", "missing_member", "schema_violations",
           "unknown_member", "wording"]
