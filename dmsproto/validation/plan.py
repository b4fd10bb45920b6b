"""Where the annotation rules apply, read from the schema's ``x-rules``.

A rule applies to exactly the values whose schema carries ``"x-rules": [name]``
(directly or through ``$ref``, ``allOf``/``anyOf``/``oneOf``, ``if``/``then``/``else``,
``propertyNames``).  The ``x-dms-*`` keywords met on the way to that place (the
referring schema's win over the referred one's) are the rule's parameters, e.g.
``WritePath`` gives ``array-index`` its ``x-dms-maxIndex``.  Nothing here names a
JSON pointer: a rule moves when the schema moves it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs

from .annotated import CHECKS
from .model import Violation, pointer_of
from .screen import Screen

PARAM_PREFIX = "x-dms-"
RULES_KEY = "x-rules"


@dataclass
class Branch:
    """``if``/``then``/``else``: the plan that applies depends on the value."""

    test: Any  # a compiled jsonschema-rs validator of the ``if`` schema
    then: Plan
    otherwise: Plan


@dataclass
class Plan:
    """The rules to run at one place of a frame, and the plans of its parts."""

    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    props: dict[str, Plan] = field(default_factory=dict)
    items: Plan | None = None
    item_screen: Screen | None = None  # None: every element is checked
    keys: Plan | None = None
    branches: list[Branch] = field(default_factory=list)

    def merge(self, other: Plan) -> None:
        """Add ``other``'s checks and parts to this plan (both apply at one place)."""
        for name, params in other.checks.items():
            self.checks.setdefault(name, {}).update(params)
        for k, v in other.props.items():
            self.props.setdefault(k, Plan()).merge(v)
        if other.items is not None:
            if self.items is None:
                self.items, self.item_screen = Plan(), other.item_screen
            elif self.item_screen is not None and other.item_screen is not None:
                self.item_screen = self.item_screen.joined(other.item_screen)
            else:
                self.item_screen = None
            self.items.merge(other.items)
        if other.keys is not None:
            self.keys = self.keys or Plan()
            self.keys.merge(other.keys)
        self.branches.extend(other.branches)

    def empty(self) -> bool:
        """Whether the plan checks nothing here or below."""
        return (not self.checks and not self.props and self.items is None
                and self.keys is None and not self.branches)

    def rules(self) -> Iterator[str]:
        """Every rule name used here or below."""
        yield from self.checks
        subs = [*self.props.values(), self.items, self.keys,
                *(p for b in self.branches for p in (b.then, b.otherwise))]
        for sub in subs:
            if sub is not None:
                yield from sub.rules()


def compile_plan(schema: Any, defs: dict[str, Any], params: dict[str, Any] | None = None,
                 seen: frozenset[str] = frozenset()) -> Plan:
    """The plan of a (bundled) schema: ``defs`` are its ``$defs``."""
    plan = Plan()
    if not isinstance(schema, dict):
        return plan
    here = {k: v for k, v in schema.items() if k.startswith(PARAM_PREFIX)}
    here.update(params or {})
    for name in schema.get(RULES_KEY, []):
        if name not in CHECKS:
            raise ValueError(f"schema names an unknown rule {name!r} in {RULES_KEY}")
        plan.checks.setdefault(name, {}).update(here)
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name not in seen:
            plan.merge(compile_plan(defs[name], defs, here, seen | {name}))
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            plan.merge(compile_plan(sub, defs, here, seen))
    if "if" in schema:
        then = compile_plan(schema.get("then"), defs, here, seen)
        otherwise = compile_plan(schema.get("else"), defs, here, seen)
        if not (then.empty() and otherwise.empty()):
            test = jsonschema_rs.Draft202012Validator({**schema["if"], "$defs": defs})
            plan.branches.append(Branch(test, then, otherwise))
    for name, sub in schema.get("properties", {}).items():
        child = compile_plan(sub, defs, None, seen)
        if not child.empty():
            plan.props.setdefault(name, Plan()).merge(child)
    if "items" in schema:
        child = compile_plan(schema["items"], defs, None, seen)
        if not child.empty():
            plan.items = child
            plan.item_screen = Screen((schema["items"],), defs, strict_twin)
    if "propertyNames" in schema:
        child = compile_plan(schema["propertyNames"], defs, None, seen)
        if not child.empty():
            plan.keys = child
    return plan


def apply_plan(plan: Plan, value: Any, parts: list[str | int], ctx: Any,
               out: list[Violation]) -> None:
    """Run ``plan`` over ``value`` (found at ``parts``), appending to ``out``."""
    if plan.checks:
        ptr = pointer_of(parts)
        for name, params in plan.checks.items():
            CHECKS[name].run(value, ptr, params, ctx, out)
    for branch in plan.branches:
        chosen = branch.then if branch.test.is_valid(value) else branch.otherwise
        apply_plan(chosen, value, parts, ctx, out)
    kind = type(value)
    if kind is dict:
        for name, sub in plan.props.items():
            if name in value:
                parts.append(name)
                apply_plan(sub, value[name], parts, ctx, out)
                parts.pop()
        if plan.keys is not None:
            for key in value:
                parts.append(key)
                apply_plan(plan.keys, key, parts, ctx, out)
                parts.pop()
    elif kind is list and plan.items is not None:
        # the elements the strict twin of ``items`` accepts hold nothing the rules report
        where = range(len(value)) if plan.item_screen is None else plan.item_screen.to_check(value)
        for i in where:
            parts.append(i)
            apply_plan(plan.items, value[i], parts, ctx, out)
            parts.pop()


def strict_twin(schema: Any) -> Any:
    """``schema`` with each annotated place also refusing what its rules could report."""
    if isinstance(schema, list):
        return [strict_twin(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    twin = {k: strict_twin(v) for k, v in schema.items()}
    names = schema.get(RULES_KEY, [])
    if names:
        params = {k: v for k, v in schema.items() if k.startswith(PARAM_PREFIX)}
        twin["allOf"] = [*twin.get("allOf", []), *(CHECKS[n].twin(params) for n in names)]
    return twin


__all__ = ["PARAM_PREFIX", "RULES_KEY", "Plan", "apply_plan", "compile_plan", "strict_twin"]
