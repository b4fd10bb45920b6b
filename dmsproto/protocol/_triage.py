"""What can still be read of a frame that did not decode: the slow path of ``receive``.

``ClientCore.receive`` decodes a frame straight into the version's structs;
when that fails, the helpers here read what they can (why it failed, the root
tag, the top-level members) so the core can sort the frame into one of three
outcomes: it fails the call it answers, it is dropped and counted, or it
closes the connection.  None of this runs for a frame that decodes.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec

from ..codec import decode_error
from ..errors import DecodeError
from ._wire import Wire

#: how much of a frame a log message shows
SHOWN = 300

_MEMBERS = msgspec.json.Decoder(dict[str, msgspec.Raw])
_RAW_LIST = msgspec.json.Decoder(list[msgspec.Raw])
_ANY = msgspec.json.Decoder()

NO_TAG: Any = object()
"""The frame has no root tag, or no readable head to find one in."""
BAD_TAG: Any = object()
"""The frame has a root tag that cannot be read (e.g. a 5,000-digit number)."""


def shorten(frame: str | bytes) -> str:
    """A frame as text for a log message, cut after ``SHOWN`` characters."""
    text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
    if len(text) <= SHOWN:
        return text
    return f"{text[:SHOWN]}... ({len(text)} chars)"


def problem_of(exc: Exception) -> DecodeError | None:
    """Why a frame did not decode (pointer and reason), or ``None`` if ``exc`` is no such reason.

    msgspec reports bad JSON as ``DecodeError``, JSON of the wrong shape (a
    wrong type, a number out of range) as ``ValidationError`` and nesting
    deeper than it reads as ``RecursionError``.
    """
    if isinstance(exc, msgspec.ValidationError):  # (a subclass of msgspec.DecodeError)
        return decode_error(exc)
    if isinstance(exc, msgspec.DecodeError):
        return DecodeError("", f"not JSON: {decode_error(exc).reason}")
    if isinstance(exc, RecursionError):
        return DecodeError("", "nested too deep to read")
    return None


def members(data: str | bytes) -> dict[str, msgspec.Raw] | None:
    """The top-level members of a JSON object, undecoded; ``None`` when it is no readable object."""
    try:
        return _MEMBERS.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None


def raw_items(raw: msgspec.Raw) -> list[msgspec.Raw] | None:
    """The elements of a JSON array, undecoded; ``None`` when ``raw`` is no readable array."""
    try:
        return _RAW_LIST.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None


def root_tag(data: str | bytes, wire: Wire, found: dict[str, msgspec.Raw] | None) -> Any:
    """The frame's root tag, wherever readable; ``NO_TAG`` or ``BAD_TAG`` when none is.

    From the top-level members when the frame is a JSON object, else from its
    head: a frame that begins with ``{"tag": 12,`` names call 12 even when the
    rest is cut short, is not UTF-8 or is nested too deep.
    """
    if found is not None:
        raw = found.get(wire.tag_key)
        if raw is None:
            return NO_TAG
        try:
            return _ANY.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            return BAD_TAG
    head = (wire.tag_head_text.match(data) if isinstance(data, str)
            else wire.tag_head_bytes.match(data))
    return NO_TAG if head is None else int(head.group(1))


def call_id(tag: Any) -> int | None:
    """Our correlation id in a root tag (``12`` or ``[12, user tag]``), if it holds one."""
    ident = tag[0] if type(tag) is list and tag else tag
    return ident if type(ident) is int else None


def noteworthy(count: int) -> bool:
    """Whether the ``count``-th drop is logged: the first ten, then 100, 1000, ..."""
    return count <= 10 or 10 ** round(math.log10(count)) == count


__all__ = [
    "BAD_TAG",
    "NO_TAG",
    "SHOWN",
    "call_id",
    "members",
    "noteworthy",
    "problem_of",
    "raw_items",
    "root_tag",
    "shorten",
]
