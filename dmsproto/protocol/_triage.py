"""What can still be read of a frame that did not decode: the slow path of ``receive``.

``ClientCore.receive`` decodes a frame straight into the version's structs;
when that fails, the helpers here read what they can (why it failed, whether
it is JSON at all by the verdict of ``dmsproto.jsontext``, the root tag) so the
core can sort the frame into one of three outcomes: it fails the call it
answers, it is dropped and counted, or it closes the connection.  None of this
runs for a frame that decodes.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec

from ..codec import decode_error
from ..errors import DecodeError, NotJSON
from ..jsontext import READER_ERRORS, not_json, parse_json
from ._wire import Wire

#: how much of a frame a log message shows
SHOWN = 300

NO_TAG: Any = object()
"""The frame has no root tag, or no readable head to find one in."""


def shorten(frame: str | bytes) -> str:
    """A frame as text for a log message, cut after ``SHOWN`` characters."""
    text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
    if len(text) <= SHOWN:
        return text
    return f"{text[:SHOWN]}... ({len(text)} chars)"


def problem_of(exc: Exception, data: str | bytes) -> DecodeError | None:
    """Why ``data`` did not decode (pointer and reason); ``None`` if ``exc`` is no such reason.

    JSON of the wrong shape (a wrong type, a number out of range) is named by
    its JSON pointer; text that is not JSON at all (also nested deeper than the
    reader goes, or a ``str`` with a lone surrogate) in the words of
    ``dmsproto.jsontext``, as everywhere else.
    """
    if isinstance(exc, msgspec.ValidationError):  # (a subclass of msgspec.DecodeError)
        return decode_error(exc)
    if isinstance(exc, READER_ERRORS):
        return not_json(exc, data)
    return None


def read(data: str | bytes) -> tuple[Any, NotJSON | None]:
    """The frame as JSON, or why it is not JSON: the verdict of dmsproto's one JSON reader.

    The typed decoders skip unknown members without checking them, and stop at
    the first schema error; this reads the whole text (only on the slow path).
    """
    try:
        return parse_json(data), None
    except NotJSON as exc:
        return None, exc


def root_tag(data: str | bytes, wire: Wire, value: Any) -> Any:
    """The frame's root tag, wherever readable; ``NO_TAG`` when none is.

    From the frame's value when it is a JSON object, else from its head: a
    frame that begins with ``{"tag": 12,`` names call 12 even when the rest is
    cut short, is not UTF-8, holds ``1e999`` or is nested too deep.
    """
    if type(value) is dict:
        return value.get(wire.tag_key, NO_TAG)
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
    "NO_TAG",
    "SHOWN",
    "call_id",
    "noteworthy",
    "problem_of",
    "read",
    "root_tag",
    "shorten",
]
