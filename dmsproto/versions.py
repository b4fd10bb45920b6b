"""Protocol versions: which generated package serves which version string.

A version is known when ``python -m codegen`` generated its package from
``schema/v<X.Y>/`` (see ``dmsproto._generated.VERSIONS``). Behaviour that
differs between versions beyond the schemas (the simulator's answers, the
client's options) asks :func:`at_least` rather than comparing strings, so
``"1.10"`` sorts after ``"1.9"``.
"""

from __future__ import annotations

import importlib
from functools import cache
from importlib import resources
from types import ModuleType
from typing import Any, Literal

import msgspec
from msgspec import Struct

from ._generated import VERSIONS, Version
from .errors import UnknownVersionError

Direction = Literal["send", "recv"]
"""Which side spoke, everywhere (captures, validation, the simulator's recordings):
``"send"`` = the client spoke (client to DMS), ``"recv"`` = the DMS spoke (DMS to client)."""

DEFAULT_VERSION: Version = "1.4"
"""The version spoken when none is named: the one every DMS of the field speaks today."""


class VersionBindings(Struct, frozen=True):
    """The generated modules and bundled schemas of one protocol version.

    Attributes:
        name: the version (``"1.4"``).
        common: the generated module of the types requests and answers share.
        request: the generated module of the request frame and items.
        response: the generated module of the response frame and items.
        event: the generated module of the event frame and items.
        schemas: the version's bundled JSON Schemas by file name.
    """

    name: str
    common: ModuleType
    request: ModuleType
    response: ModuleType
    event: ModuleType

    @property
    def schemas(self) -> dict[str, Any]:
        """The bundled JSON Schemas by frame kind, read when first asked for.

        The validators need them, the client does not.
        """
        return _schemas(self.request.__name__.rpartition(".")[0])


@cache
def _schemas(package: str) -> dict[str, Any]:
    text = resources.files(package).joinpath("schemas.json").read_text("utf-8")
    loaded: dict[str, Any] = msgspec.json.decode(text)
    return loaded


@cache
def version_key(name: str) -> tuple[int, ...]:
    """The sort key of a version string: ``"1.5"`` -> ``(1, 5)``, so 1.10 sorts after 1.9.

    Args:
        name: a version string of dot-separated numbers.

    Returns:
        The numbers as a tuple.

    Raises:
        UnknownVersionError: ``name`` is not dot-separated numbers.
    """
    parts = name.split(".")
    if not name or not all(p.isdigit() for p in parts):
        raise UnknownVersionError(f"not a protocol version: {name!r} (expected e.g. '1.4')")
    return tuple(int(p) for p in parts)


def at_least(protocol: str, minimum: str) -> bool:
    """Whether ``protocol`` is ``minimum`` or newer (``at_least("1.5", "1.4")`` is True).

    Args:
        protocol: the version in use.
        minimum: the first version that has the behaviour asked about.

    Returns:
        True when ``protocol`` sorts at or after ``minimum``.

    Raises:
        UnknownVersionError: either argument is not a version string.
    """
    return version_key(protocol) >= version_key(minimum)


@cache
def get_version(name: str = DEFAULT_VERSION) -> VersionBindings:
    """Look up the generated bindings of a protocol version such as ``"1.4"``.

    Args:
        name: a shipped version (one of ``VERSIONS``).

    Returns:
        Its generated modules and bundled validator schemas (cached).

    Raises:
        UnknownVersionError: no bindings were generated for ``name``.
    """
    if name not in VERSIONS:
        raise UnknownVersionError(
            f"unknown protocol version {name!r}; known: {', '.join(VERSIONS)}"
        )
    pkg = "dmsproto._generated.v" + name.replace(".", "_")
    modules = {m: importlib.import_module(f"{pkg}.{m}") for m in ("common", "request",
                                                                  "response", "event")}
    return VersionBindings(name=name, **modules)


__all__ = ["DEFAULT_VERSION", "Direction", "Version", "VersionBindings", "UnknownVersionError",
           "VERSIONS", "at_least", "get_version", "version_key"]
