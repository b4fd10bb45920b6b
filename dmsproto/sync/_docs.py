"""The blocking calls' docstrings: the async client's, with what blocking changes.

A call is documented once, on the client the trio and asyncio front doors share
(``dmsproto.client._base``).  ``@blocking_doc(dc.Client.get)`` gives a method of the
blocking ``Client`` that docstring, with the exceptions every blocking call adds
and whatever that one call does differently, so ``help()``, ``__doc__`` and the
API reference all read the same text.  (ruff's docstring rules skip the methods
so decorated: ``ignore-decorators`` in pyproject.toml.)  The API reference reads the package's
source, not its objects: its griffe extension (``docs/griffe_completed.py``) takes
the docstring of a method decorated here from the imported class.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

#: What every blocking call may raise besides what its async call raises.
BLOCKING_RAISES = {
    "Closed": "the client is closed, or was closed while the call waited.",
    "TrioContextError": "called inside a trio run, where waiting would deadlock it; "
    "use the trio client there.",
    "KeyboardInterrupt": "Ctrl-C while the call waited; the call is cancelled and the "
    "connection stays usable.",
}

#: the sections a call's docstring has, in their order
SECTIONS = ("Args", "Returns", "Yields", "Raises")
_SECTION = re.compile(rf"^({'|'.join(SECTIONS)}):$")
_ENTRY = re.compile(r"^    (\*{0,2}\w+): ")
#: a section's entries by name; a section without names (``Returns:``) has one, ""
Sections = dict[str, dict[str, str]]


def _parse(docstring: str) -> tuple[str, Sections]:
    """The text before the first section, and the sections' entries in order."""
    head: list[str] = []
    sections: Sections = {}
    entries: dict[str, str] | None = None
    name = ""
    for line in inspect.cleandoc(docstring).splitlines():
        section = _SECTION.match(line)
        entry = _ENTRY.match(line)
        if section:
            entries = sections.setdefault(section.group(1), {})
            name = ""
        elif entries is None:
            head.append(line)
        elif entry:
            name = entry.group(1)
            entries[name] = line
        elif line.strip():
            entries[name] = f"{entries[name]}\n{line}" if name in entries else line
    return "\n".join(head).strip(), sections


def _entry(name: str, text: str) -> str:
    first = f"    {name}: "
    return textwrap.fill(text, width=88, initial_indent=first, subsequent_indent=" " * 8)


def _entries(described: Mapping[str, str] | None) -> dict[str, str]:
    return {name: _entry(name, text) for name, text in (described or {}).items()}


def _position(parameter: str, order: list[str]) -> int:
    """Where ``parameter`` comes in the signature (a name it lacks: last)."""
    return order.index(parameter) if parameter in order else len(order)


def blocking_doc(
    call: Callable[..., Any], *, args: Mapping[str, str] | None = None
) -> Callable[[F], F]:
    """Give a blocking method the docstring of the async ``call`` it runs.

    The method's own docstring, if it has one, says only what differs: its text
    replaces the call's summary and description, its ``Args:`` entries replace or
    add to the call's, its ``Returns:`` replaces the call's, and its ``Raises:``
    entries are added; ``BLOCKING_RAISES`` are added to every call.

    Args:
        call: the async method whose docstring is the base.
        args: parameters documented differently here, for several methods alike.

    Returns:
        The decorator: it sets the method's ``__doc__`` and returns the method.
    """

    def document(method: F) -> F:
        head, sections = _parse(call.__doc__ or "")
        own_head, own = _parse(method.__doc__ or "")
        described = {**sections.get("Args", {}), **_entries(args), **own.get("Args", {})}
        order = [p.name for p in inspect.signature(method).parameters.values()]
        sections["Args"] = {
            name: described[name]
            for name in sorted(described, key=lambda n: _position(n.lstrip("*"), order))
        }
        if "Returns" in own:
            sections["Returns"] = own["Returns"]
        sections["Raises"] = {
            **sections.get("Raises", {}), **own.get("Raises", {}), **_entries(BLOCKING_RAISES)
        }
        parts = [own_head or head] + [
            f"{title}:\n" + "\n".join(sections[title].values())
            for title in SECTIONS if sections.get(title)
        ]
        method.__doc__ = "\n\n".join(parts) + "\n"
        return method

    return document


__all__ = ["BLOCKING_RAISES", "blocking_doc"]
