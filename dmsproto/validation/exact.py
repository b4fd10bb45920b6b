"""The exact JSON Schema validator: pure-Python jsonschema, kept fast on long arrays.

It reports what :class:`jsonschema.Draft202012Validator` reports, keyword by keyword,
with two differences that only save time:

- ``items`` descends only into the elements the fast validator refuses (a
  :class:`~.screen.Screen`); the others are known to pass;
- ``not``, ``minItems`` and ``maxItems`` do not write the value into the library's
  message (an ``if`` tests ``not`` on every item; an answer too long would be
  written out whole).  :mod:`.schema_errors` words every failure from the facts the
  error carries, never from that message.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend

from .screen import Screen

_ALL_ITEMS = Draft202012Validator.VALIDATORS["items"]


def _not(validator: Any, refused: Any, instance: Any,
         schema: dict[str, Any]) -> Iterator[ValidationError]:
    if validator.evolve(schema=refused).is_valid(instance):
        yield ValidationError("the value is valid under the schema 'not' refuses")


def _min_items(validator: Any, least: int, instance: Any,
               schema: dict[str, Any]) -> Iterator[ValidationError]:
    if validator.is_type(instance, "array") and len(instance) < least:
        yield ValidationError(f"the array has fewer than {least} items")


def _max_items(validator: Any, most: int, instance: Any,
               schema: dict[str, Any]) -> Iterator[ValidationError]:
    if validator.is_type(instance, "array") and len(instance) > most:
        yield ValidationError(f"the array has more than {most} items")


def exact_validator(schema: dict[str, Any]) -> Validator:
    """The exact validator of ``schema``.

    Args:
        schema: a bundled schema (its ``$ref`` point into its own ``$defs``).

    Returns:
        The validator.

    Raises:
        jsonschema.exceptions.SchemaError: ``schema`` is no valid JSON Schema.
    """
    Draft202012Validator.check_schema(schema)
    defs = schema.get("$defs", {})
    screens: dict[int, tuple[Any, Screen]] = {}

    def items(validator: Any, each: Any, instance: Any,
              here: dict[str, Any]) -> Iterator[ValidationError]:
        if not isinstance(each, dict) or type(instance) is not list or "prefixItems" in here:
            yield from _ALL_ITEMS(validator, each, instance, here)
            return
        known = screens.get(id(each))
        if known is None:  # kept beside its screen, the schema object keeps its id
            known = screens[id(each)] = (each, Screen((each,), defs))
        for index in known[1].to_check(instance):
            yield from validator.descend(instance[index], each, path=index)

    cls = extend(  # type: ignore[no-untyped-call]  # the stubs leave ``extend`` untyped
        Draft202012Validator,
        {"items": items, "not": _not, "minItems": _min_items, "maxItems": _max_items})
    validator: Validator = cls(schema)
    return validator


__all__ = ["exact_validator"]
