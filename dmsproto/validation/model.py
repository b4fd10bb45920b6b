"""What a check finds: a :class:`Violation` with its JSON pointer, rule and severity."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

Severity = Literal["error", "warning"]
"""``error``: breaks the document in a way a DMS rejects or misreads.
``warning``: departs from the document in a way real DMSs accept (field evidence)."""

SEVERITIES: tuple[Severity, ...] = ("error", "warning")
"""Every severity, the worst first."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: where (JSON pointer), which rule, the value, why, how bad.

    Args:
        pointer: the JSON Pointer (RFC 6901) of the offending value; empty for the
            whole frame.
        rule: the rule's name (``dmsproto.validation.RULES``; JSON Schema keywords
            are rule ``schema``).
        value: the offending value.
        message: why it breaks the rule, in the user's terms.
        severity: ``error`` (a DMS rejects or misreads it) or ``warning`` (departs
            from the document, but real DMSs accept it).
    """

    pointer: str
    rule: str
    value: Any
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        label = self.rule if self.severity == "error" else f"{self.rule}, {self.severity}"
        return f"{self.pointer or '/'}: [{label}] {self.message}"


def _escape(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def pointer_of(parts: Iterable[str | int]) -> str:
    """RFC 6901 pointer from path parts.

    Args:
        parts: member names and array indexes, outermost first.

    Returns:
        The pointer (``/get/0/path``); empty for no parts.
    """
    return "".join("/" + _escape(p) for p in parts)


_encode = msgspec.json.Encoder().encode


def short(value: Any, limit: int = 60) -> str:
    """``value`` as compact JSON, cut to ``limit`` characters for messages."""
    try:
        text = _encode(value).decode()
    except (TypeError, ValueError):  # not JSON: a lone surrogate, a foreign object
        text = repr(value)
    except RecursionError:
        text = "[...]" if isinstance(value, list) else "{...}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


_KINDS: dict[type, str] = {dict: "an object", list: "an array", str: "a string",
                           int: "a number", float: "a number", bool: "true or false",
                           type(None): "null"}


def json_kind(value: Any) -> str:
    """What kind of JSON value ``value`` is, in JSON's words (``an array``, ``null``)."""
    return _KINDS.get(type(value), "no JSON value")


__all__ = ["SEVERITIES", "Severity", "Violation", "json_kind", "pointer_of", "short"]
