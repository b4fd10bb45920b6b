"""Schemas as hypothesis-jsonschema reads them."""

from __future__ import annotations

from typing import Any

_ANNOTATIONS = frozenset({"description", "title", "$comment", "examples"})
_CONDITIONAL = frozenset({"if", "then", "else"})


def for_hypothesis(schema: Any) -> Any:
    """``schema`` with every ``$ref`` that has sibling keywords resolved for hypothesis-jsonschema.

    In JSON Schema 2020-12 ``{"$ref": R, ...}`` means ``{"allOf": [{"$ref": R}], ...}``;
    hypothesis-jsonschema resolves a sibling's own ``$ref`` (``items`` beside the
    ``$ref`` of ``HistData``) in the referenced schema's scope and fails.  A local
    ``$ref`` whose target shares no keyword with the siblings (annotations aside) is
    therefore written out in place, target and siblings side by side, which says the
    same and costs the generator nothing; any other becomes the ``allOf`` form, which
    says the same too but makes hypothesis-jsonschema merge schemas on every draw.
    An ``allOf`` member that holds only ``if``/``then``/``else`` (the rules every
    response item obeys) is left out: hypothesis-jsonschema ignores conditionals
    anyway, and merging them into each item's schema made every draw slow.  The tests
    that generate from these schemas validate what they draw, so a message such a
    rule refuses is still recognised there.
    """
    defs = schema.get("$defs", {}) if isinstance(schema, dict) else {}

    def local(ref: str) -> Any:
        """The definition a local ``#/$defs/NAME`` reference names (None for any other)."""
        return defs.get(ref.removeprefix("#/$defs/")) if ref.startswith("#/$defs/") else None

    def only_conditional(member: Any) -> bool:
        if isinstance(member, dict) and set(member) == {"$ref"}:
            member = local(member["$ref"])
        return (isinstance(member, dict) and bool(set(member) & _CONDITIONAL)
                and set(member) <= _CONDITIONAL | _ANNOTATIONS)

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(v) for v in node]
        if not isinstance(node, dict):
            return node
        out = {k: walk(v) for k, v in node.items()}
        if "allOf" in out:
            kept = [m for m in out["allOf"] if not only_conditional(m)]
            if kept:
                out["allOf"] = kept
            else:
                del out["allOf"]
        if "$ref" not in out or len(out) == 1:
            return out
        ref = out.pop("$ref")
        siblings = {k: v for k, v in out.items() if k not in _ANNOTATIONS}
        target = local(ref)
        if isinstance(target, dict) and "$ref" not in target and not set(target) & set(siblings):
            return {**walk(target), **siblings}
        out["allOf"] = [*out.get("allOf", []), {"$ref": ref}]
        return out

    return walk(schema)
