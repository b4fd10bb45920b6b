"""Rules on the shape of a request that real DMSs accept though the document does not.

They are ``empty-command``, ``changelog-groups-item`` and ``set-user`` (all warnings).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import Violation
from .rules import found


def check_empty_command(value: Any, ptr: str, params: Mapping[str, Any], ctx: Any,
                        out: list[Violation]) -> None:
    """Rule ``empty-command``: a request command array without items."""
    if type(value) is list and not value:
        out.append(found("empty-command", ptr, value,
                         "empty command array: the document asks for at least one item; "
                         "real DMSs accept it"))


def check_changelog_groups_item(value: Any, ptr: str, params: Mapping[str, Any], ctx: Any,
                                out: list[Violation]) -> None:
    """Rule ``changelog-groups-item``: changelogGetGroups with items."""
    if type(value) is list and value:
        out.append(found("changelog-groups-item", ptr, len(value),
                         f"changelogGetGroups takes an empty array (4.2.2), got {len(value)} "
                         "item(s); real DMSs answer one item per request item"))


def check_set_user(frame: Any, ptr: str, params: Mapping[str, Any], ctx: Any,
                   out: list[Violation]) -> None:
    """Rule ``set-user``: a request with ``set`` carries the root ``user``."""
    if type(frame) is dict and "set" in frame and "user" not in frame:
        out.append(found("set-user", f"{ptr}/user", None,
                         "a set request carries 'user' (empty when nobody is logged in, "
                         "3.3.2)"))


__all__ = ["check_changelog_groups_item", "check_empty_command", "check_set_user"]
