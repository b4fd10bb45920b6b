"""Schemas as hypothesis-jsonschema reads them."""

from __future__ import annotations

from typing import Any


def for_hypothesis(schema: Any) -> Any:
    """``schema`` with every ``$ref`` that has sibling keywords written as ``allOf``.

    In JSON Schema 2020-12 ``{"$ref": R, ...}`` means ``{"allOf": [{"$ref": R}], ...}``;
    hypothesis-jsonschema resolves a sibling's own ``$ref`` (``items`` beside the
    ``$ref`` of ``HistData``) in the referenced schema's scope and fails, so it is given
    the ``allOf`` form, which says the same.
    """
    if isinstance(schema, dict):
        out = {k: for_hypothesis(v) for k, v in schema.items()}
        if "$ref" in out and len(out) > 1:
            ref = out.pop("$ref")
            out["allOf"] = [*out.get("allOf", []), {"$ref": ref}]
        return out
    if isinstance(schema, list):
        return [for_hypothesis(v) for v in schema]
    return schema
