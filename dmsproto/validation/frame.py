"""``validate``: one frame against its version's schema and the named rules.

Fast on valid traffic, exact on invalid traffic.  A compiled jsonschema-rs
validator of the *strict twin* (the schema with every annotation rule folded in,
see :func:`~.plan.strict_twin`) answers "no violation at all?" first.  Only a frame
it refuses is looked at closely: the pure-Python jsonschema validator reports each
broken keyword with its JSON pointer, and the annotation rules run where the
schema places them.  Both look only at the array elements the fast validator
refuses (:mod:`.screen`), so a long answer with one fault costs a few fast passes,
not an exact pass over every element.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema_rs
from jsonschema.protocols import Validator

from ..errors import NotJSON
from ..jsontext import parse_json
from ..versions import DEFAULT_VERSION, Direction, get_version
from .exact import exact_validator
from .model import Violation, json_kind
from .paths import Element, array_elements
from .plan import Plan, apply_plan, compile_plan, strict_twin
from .rules import found
from .schema_errors import schema_violations

ROOT_MEMBERS = frozenset({"tag", "whois", "user"})
KINDS = ("request", "response", "event")


@dataclass(frozen=True)
class Context:
    """What the annotation checks of one protocol version may look up."""

    protocol: str
    elements: dict[str, Element]


@dataclass(frozen=True)
class Compiled:
    """One frame kind of one version, ready to check."""

    twin: Any
    plain: Any
    full: Validator
    plan: Plan
    commands: frozenset[str]
    members: frozenset[str] | None
    ctx: Context


@cache
def compiled(protocol: str, kind: str) -> Compiled:
    """The validators and rule plan of ``kind`` (request, response, event) in ``protocol``."""
    schema = get_version(protocol).schemas[kind]
    return Compiled(
        twin=jsonschema_rs.Draft202012Validator(strict_twin(schema)),
        plain=jsonschema_rs.Draft202012Validator(schema),
        full=exact_validator(schema),
        plan=compile_plan(schema, schema.get("$defs", {})),
        commands=frozenset(schema.get("properties", {})) - ROOT_MEMBERS,
        members=(frozenset(schema.get("properties", {}))
                 if schema.get("additionalProperties") is False else None),
        ctx=Context(protocol, array_elements(protocol)),
    )


def frame_kind(frame: dict[str, Any], direction: Direction) -> str:
    """``request`` for what the client sent; ``event`` or ``response`` for the DMS's."""
    if direction == "send":
        return "request"
    return "event" if "event" in frame else "response"


def validate(
    message: Any, *, direction: Direction, protocol: str = DEFAULT_VERSION
) -> list[Violation]:
    """Every violation in ``message``, errors and warnings, ordered by pointer.

    Args:
        message: a parsed frame, or its JSON text (``str``/``bytes``).
        direction: ``"send"`` (client to server: a request) or ``"recv"`` (server to
            client: a response or an event).
        protocol: the protocol version, e.g. ``"1.4"``.

    Returns:
        ``[]`` for a valid frame; text that is not JSON is one ``json`` violation.

    Raises:
        ValueError: ``direction`` is neither "send" nor "recv".
        UnknownVersionError: ``protocol`` is not a shipped version.
    """
    if direction not in ("send", "recv"):
        raise ValueError(f"direction must be 'send' or 'recv', not {direction!r}")
    if isinstance(message, (bytes, bytearray, memoryview, str)):
        try:
            message = parse_json(message)
        except NotJSON as exc:
            return [not_json_violation(exc)]
    if not isinstance(message, dict):
        return [not_an_object_violation(message)]
    kind = frame_kind(message, direction)
    c = compiled(protocol, kind)
    out: list[Violation] = []
    if kind != "event" and c.commands.isdisjoint(message) and _only_known(message, c):
        out.append(found("frame", "", message,
                         f"{kind} frame holds no command (one of "
                         f"{', '.join(sorted(c.commands))})"))
    else:
        try:
            if c.twin.is_valid(message):
                return []
        except (ValueError, OverflowError):
            pass  # values jsonschema-rs cannot represent: take the exact path
    try:
        plain_ok = c.plain.is_valid(message)
    except (ValueError, OverflowError):
        plain_ok = False
    if not plain_ok:
        for error in c.full.iter_errors(message):
            schema_violations(error, out)
    apply_plan(c.plan, message, [], c.ctx, out)
    mistyped = {v.pointer for v in out if v.rule == "type"}
    unique = {(v.pointer, v.rule, v.message): v for v in out
              if v.rule not in _IMPLIED_BY_TYPE or v.pointer not in mistyped}
    return sorted(unique.values(), key=lambda v: v.pointer)


_IMPLIED_BY_TYPE = frozenset({"enum", "const"})
"""Keywords whose failure a ``type`` failure at the same pointer already says (a number
where one of a list of strings belongs breaks both): one finding per fault."""


def _only_known(message: dict[str, Any], c: Compiled) -> bool:
    """No member the frame's schema refuses: an unknown one (``"gett"``) is its own finding.

    A request without a command but with an unknown member is reported once, at that
    member (``additionalProperties``), not a second time as a frame without a command.
    """
    return c.members is None or message.keys() <= c.members


def not_json_violation(exc: NotJSON) -> Violation:
    """The one ``json`` violation of a text that is not JSON."""
    return found("json", "", None, exc.reason)


def not_an_object_violation(value: Any) -> Violation:
    """The one ``frame`` violation of a JSON value that is not an object."""
    return found("frame", "", value, f"a frame is a JSON object, not {json_kind(value)}")


def placements(protocol: str = DEFAULT_VERSION) -> dict[str, tuple[str, ...]]:
    """Annotation rule -> the frame kinds (request, response, event) it applies to.

    Read from the schema of ``protocol``: this is where ``validate`` runs them.

    Args:
        protocol: the protocol version.

    Returns:
        Each annotation rule's name (sorted) with the frame kinds whose schema
        names it.

    Raises:
        UnknownVersionError: ``protocol`` is not a shipped version.
    """
    where: dict[str, list[str]] = {}
    for kind in KINDS:
        for name in set(compiled(protocol, kind).plan.rules()):
            where.setdefault(name, []).append(kind)
    return {name: tuple(kinds) for name, kinds in sorted(where.items())}


__all__ = ["Compiled", "Context", "compiled", "frame_kind", "not_an_object_violation",
           "not_json_violation", "placements", "validate"]
