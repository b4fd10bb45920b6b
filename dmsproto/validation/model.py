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


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: where (JSON pointer), which rule, the value, why, how bad."""

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
    """RFC 6901 pointer from path parts."""
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


__all__ = ["SEVERITIES", "Severity", "Violation", "pointer_of", "short"]
