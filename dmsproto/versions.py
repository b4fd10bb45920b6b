"""Protocol versions: which generated package serves which version string."""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import ModuleType
from typing import Any, Literal

from ._generated import VERSIONS

Direction = Literal["send", "recv"]
DEFAULT_PROTOCOL = "1.4"


class UnknownProtocolError(ValueError):
    """The requested protocol version has no generated bindings."""


@dataclass(frozen=True)
class ProtocolVersion:
    """The generated modules and bundled schemas of one protocol version."""

    name: str
    common: ModuleType
    request: ModuleType
    response: ModuleType
    event: ModuleType
    schemas: dict[str, Any]


@cache
def get_version(name: str = DEFAULT_PROTOCOL) -> ProtocolVersion:
    """Look up a protocol version such as ``"1.4"``."""
    if name not in VERSIONS:
        raise UnknownProtocolError(
            f"unknown protocol version {name!r}; known: {', '.join(VERSIONS)}"
        )
    pkg = "dmsproto._generated.v" + name.replace(".", "_")
    modules = {m: importlib.import_module(f"{pkg}.{m}") for m in ("common", "request",
                                                                  "response", "event")}
    text = resources.files(pkg).joinpath("schemas.json").read_text("utf-8")
    return ProtocolVersion(name=name, schemas=json.loads(text), **modules)


__all__ = ["DEFAULT_PROTOCOL", "Direction", "ProtocolVersion", "UnknownProtocolError",
           "VERSIONS", "get_version"]
