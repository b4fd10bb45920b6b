"""Validate a frame against its version's schema and the named extra rules.

Fast on valid traffic, exact on invalid traffic: a compiled jsonschema-rs
validator answers "valid?" first; only a frame that fails is run through the
pure-Python jsonschema validator, which reports every violation with its
JSON pointer and keyword.  Rules a schema cannot express well are checked
beside it, each under its own name:

- ``json``: the text is not JSON (or not UTF-8);
- ``frame``: not an object, or a frame without any command;
- ``path-length``: a path longer than the schema's ``x-dms-maxLength``;
- ``timestamp``: a request timestamp that is not a zoned ISO 8601 date-time;
- ``array-index``: a string-array path ``PATH[n]SUFFIX`` with bad syntax, an
  unknown suffix, or (when written) an index outside ``1..x-dms-maxIndex``.

Where these rules apply is read from the schema: every value whose schema is
``$ref`` to ``Path``/``WritePath`` or ``RequestStamp``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jsonschema_rs
import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from .timestamps import parse_stamp
from .versions import DEFAULT_VERSION, Direction, get_version


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: where (JSON pointer), which rule, the value, and why."""

    pointer: str
    rule: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: [{self.rule}] {self.message}"


def _escape(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def pointer_of(parts: Iterator[str | int] | list[str | int] | tuple[str | int, ...]) -> str:
    """RFC 6901 pointer from path parts."""
    return "".join("/" + _escape(p) for p in parts)


def _short(value: Any, limit: int = 60) -> str:
    try:
        text = orjson.dumps(value).decode()
    except TypeError:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- the plan: where the extra rules apply, derived from the schema ------------------


@dataclass
class _Plan:
    checks: set[str] = field(default_factory=set)
    props: dict[str, _Plan] = field(default_factory=dict)
    items: _Plan | None = None

    def merge(self, other: _Plan) -> None:
        self.checks |= other.checks
        for k, v in other.props.items():
            self.props.setdefault(k, _Plan()).merge(v)
        if other.items is not None:
            if self.items is None:
                self.items = _Plan()
            self.items.merge(other.items)

    def empty(self) -> bool:
        return not self.checks and not self.props and self.items is None


_CHECKS_BY_DEF = {"Path": "path", "WritePath": "write-path", "RequestStamp": "timestamp"}


def _compile(schema: Any, defs: dict[str, Any], seen: frozenset[str] = frozenset()) -> _Plan:
    plan = _Plan()
    if not isinstance(schema, dict):
        return plan
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name in _CHECKS_BY_DEF:
            plan.checks.add(_CHECKS_BY_DEF[name])
        if name not in seen:
            plan.merge(_compile(defs[name], defs, seen | {name}))
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            plan.merge(_compile(sub, defs, seen))
    for key in ("then", "else"):
        if key in schema:
            plan.merge(_compile(schema[key], defs, seen))
    for name, sub in schema.get("properties", {}).items():
        child = _compile(sub, defs, seen)
        if not child.empty():
            plan.props.setdefault(name, _Plan()).merge(child)
    if "items" in schema:
        child = _compile(schema["items"], defs, seen)
        if not child.empty():
            plan.items = child
    return plan


@dataclass(frozen=True)
class _Limits:
    max_path: int
    max_index: int
    suffixes: frozenset[str]


_INDEX_RE = re.compile(r"^(?P<base>[^\[\]]*)\[(?P<index>[^\]]*)\](?P<suffix>.*)$")


def _check_path(value: str, ptr: str, write: bool, lim: _Limits, out: list[Violation]) -> None:
    if len(value) > lim.max_path:
        out.append(Violation(ptr, "path-length", value,
                             f"path has {len(value)} characters, at most {lim.max_path} allowed"))
    if "[" not in value and "]" not in value:
        return
    m = _INDEX_RE.match(value)
    if m is None or not m.group("index").isdigit():
        out.append(Violation(ptr, "array-index", value,
                             f"string-array path must read PATH[n]SUFFIX, got {_short(value)}"))
        return
    index = int(m.group("index"))
    suffix = m.group("suffix")
    if suffix and suffix not in lim.suffixes:
        out.append(Violation(ptr, "array-index", value,
                             f"unknown index suffix {suffix!r}; known: "
                             f"{', '.join(sorted(lim.suffixes))}"))
    elif index < 1:
        out.append(Violation(ptr, "array-index", value, "array index starts at 1"))
    elif write and index > lim.max_index:
        out.append(Violation(ptr, "array-index", value,
                             f"array index {index} outside 1..{lim.max_index} for a write"))


def _apply(plan: _Plan, value: Any, parts: list[str | int], lim: _Limits,
           out: list[Violation]) -> None:
    if isinstance(value, str) and plan.checks:
        ptr = pointer_of(parts)
        if "timestamp" in plan.checks:
            try:
                parse_stamp(value)
            except ValueError:
                out.append(Violation(ptr, "timestamp", value,
                                     f"{_short(value)} is not an ISO 8601 date-time with a zone"))
        if "path" in plan.checks or "write-path" in plan.checks:
            _check_path(value, ptr, "write-path" in plan.checks, lim, out)
    elif isinstance(value, dict) and plan.props:
        for name, sub in plan.props.items():
            if name in value:
                parts.append(name)
                _apply(sub, value[name], parts, lim, out)
                parts.pop()
    elif isinstance(value, list) and plan.items is not None:
        for i, item in enumerate(value):
            parts.append(i)
            _apply(plan.items, item, parts, lim, out)
            parts.pop()


# -- schema violations ----------------------------------------------------------------


def _schema_violations(error: SchemaError, out: list[Violation]) -> None:
    parts = list(error.absolute_path)
    rule = str(error.validator)
    instance = error.instance
    if rule in ("anyOf", "oneOf") and error.context:
        branch_types: list[Any] = [e.validator_value for e in error.context
                                   if e.validator == "type" and not e.relative_path]
        if len(branch_types) == len({e.relative_schema_path[0] for e in error.context}):
            allowed = sorted({t for ts in branch_types for t in ([ts] if isinstance(ts, str)
                                                                   else ts)})
            out.append(Violation(pointer_of(parts), "type", instance,
                                 f"{_short(instance)} is not of type {' or '.join(allowed)}"))
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
                _schema_violations(e, out)
            return
    if rule == "required" and isinstance(instance, dict):
        required: Any = error.validator_value
        for name in required:
            if name not in instance:
                out.append(Violation(pointer_of([*parts, name]), "required", None,
                                     f"missing required member {name!r}"))
        return
    if rule == "additionalProperties" and isinstance(instance, dict):
        schema: Any = error.schema
        known = set(schema.get("properties", {}))
        for name in instance:
            if name not in known:
                out.append(Violation(pointer_of([*parts, name]), "additionalProperties",
                                     instance[name], f"unknown member {name!r} is not allowed"))
        return
    message = error.message
    if rule == "not" and instance is None:
        message = "null is not allowed here"
    elif rule == "pattern":
        message = f"{_short(instance)} does not match {error.validator_value}"
    out.append(Violation(pointer_of(parts), rule, instance, message.splitlines()[0]))


@dataclass(frozen=True)
class _Compiled:
    fast: Any
    full: Draft202012Validator
    plan: _Plan
    commands: frozenset[str]


@cache
def _compiled(protocol: str, kind: str) -> _Compiled:
    schemas = get_version(protocol).schemas
    schema = schemas[kind]
    Draft202012Validator.check_schema(schema)
    defs = schema.get("$defs", {})
    commands = frozenset(k for k in schema.get("properties", {}) if k not in ("tag", "whois",
                                                                               "user"))
    return _Compiled(
        fast=jsonschema_rs.Draft202012Validator(schema),
        full=Draft202012Validator(schema),
        plan=_compile(schema, defs),
        commands=commands,
    )


@cache
def _limits(protocol: str) -> _Limits:
    defs = get_version(protocol).schemas["request"]["$defs"]
    return _Limits(
        max_path=int(defs["Path"]["x-dms-maxLength"]),
        max_index=int(defs["WritePath"]["x-dms-maxIndex"]),
        suffixes=frozenset(defs["ArrayIndexSuffix"]["enum"]),
    )


def validate(
    message: Any, *, direction: Direction, protocol: str = DEFAULT_VERSION
) -> list[Violation]:
    """Return every violation in ``message`` (a dict, or JSON as str/bytes).

    ``direction`` is ``"send"`` (client to server: a request frame) or
    ``"recv"`` (server to client: a response or an event frame).  A valid
    message gives ``[]``; text that is not JSON is one ``json`` violation.
    """
    if direction not in ("send", "recv"):
        raise ValueError(f"direction must be 'send' or 'recv', not {direction!r}")
    if isinstance(message, (bytes, bytearray, memoryview, str)):
        try:
            message = orjson.loads(message)
        except orjson.JSONDecodeError as exc:
            return [Violation("", "json", None, f"not JSON: {exc}")]
    if not isinstance(message, dict):
        return [Violation("", "frame", message,
                          f"a frame is a JSON object, not {type(message).__name__}")]
    if direction == "send":
        kind = "request"
    else:
        kind = "event" if "event" in message else "response"
    compiled = _compiled(protocol, kind)
    out: list[Violation] = []
    if kind != "event" and not any(k in message for k in compiled.commands):
        out.append(Violation("", "frame", message,
                             f"{kind} frame holds no command (one of "
                             f"{', '.join(sorted(compiled.commands))})"))
    try:
        fast_ok = compiled.fast.is_valid(message)
    except (ValueError, OverflowError):
        fast_ok = False  # values jsonschema-rs cannot represent: take the exact path
    if not fast_ok:
        for error in compiled.full.iter_errors(message):
            _schema_violations(error, out)
    _apply(compiled.plan, message, [], _limits(protocol), out)
    unique = {(v.pointer, v.rule, v.message): v for v in out}
    return sorted(unique.values(), key=lambda v: v.pointer)


__all__ = ["Violation", "pointer_of", "validate"]
