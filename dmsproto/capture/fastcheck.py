"""Per-frame validation tuned for whole captures: one Rust check per valid frame.

:func:`dmsproto.validate` runs jsonschema-rs and then walks the frame in Python for
the named rules (path length, array index, timestamps).  On a capture that walk
costs more than parsing.  Here each schema gets a *strict* twin for jsonschema-rs
in which ``Path`` also has ``maxLength`` and no brackets, and ``RequestStamp`` a
pattern whose every match :func:`~dmsproto.parse_stamp` accepts (days 01-28 only),
so a frame the twin accepts cannot break a named rule either.  Any frame the twin
refuses (also a legal ``PATH[3]`` or a 31st) goes to :func:`dmsproto.validate`,
which gives the exact, complete report.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema_rs

from ..validation import Violation, validate
from ..versions import Direction, get_version

#: A subset of what parse_stamp accepts: every match is a real zoned date-time.
SAFE_STAMP = (r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])[T ]"
              r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.,][0-9]{1,9})?)?"
              r"(Z|z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)$")
NO_BRACKETS = r"^[^\[\]]*$"
_ROOT_MEMBERS = frozenset({"tag", "whois", "user"})


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with the named rules folded in where the fast check can decide them."""
    twin = copy.deepcopy(schema)
    defs = twin.get("$defs", {})
    path = defs.get("Path")
    if isinstance(path, dict) and "x-dms-maxLength" in path:
        path["maxLength"] = int(path["x-dms-maxLength"])
        path["pattern"] = NO_BRACKETS
    stamp = defs.get("RequestStamp")
    if isinstance(stamp, dict):
        stamp["pattern"] = SAFE_STAMP
    return twin


class FrameValidator:
    """``check(frame, direction)`` -> violations, fast when the frame is valid."""

    def __init__(self, protocol: str) -> None:
        self.protocol = protocol
        schemas = get_version(protocol).schemas
        self._fast = {kind: jsonschema_rs.Draft202012Validator(strict_schema(schemas[kind]))
                      for kind in ("request", "response", "event")}
        self._commands = {kind: frozenset(schemas[kind].get("properties", {})) - _ROOT_MEMBERS
                          for kind in ("request", "response")}

    def check(self, frame: Any, direction: Direction) -> list[Violation]:
        """All violations of one parsed frame (``[]`` when it is valid)."""
        if type(frame) is dict:
            if direction == "send":
                kind = "request"
            else:
                kind = "event" if "event" in frame else "response"
            if kind == "event" or not self._commands[kind].isdisjoint(frame):
                try:
                    if self._fast[kind].is_valid(frame):
                        return []
                except (ValueError, OverflowError):
                    pass  # values jsonschema-rs cannot hold: the exact path decides
        return validate(frame, direction=direction, protocol=self.protocol)


__all__ = ["NO_BRACKETS", "SAFE_STAMP", "FrameValidator", "strict_schema"]
