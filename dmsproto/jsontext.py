r"""JSON text as dmsproto reads it: one reader, one verdict, dmsproto's own words.

The validator, the capture readers, the proxy and the simulator all read JSON
text with :func:`parse_json`, so they agree on what is JSON.  It is the text of
RFC 8259, read by msgspec, within these limits:

- bytes must be UTF-8 (no byte order mark); a ``str`` must not hold a lone
  surrogate, and an escaped one (``"\ud800"`` without its pair) is refused too;
- no ``NaN``, ``Infinity``, comments or trailing commas;
- a number with a fraction or exponent must be a finite double (``1e999`` is
  refused); an integer is read exactly, up to the interpreter's limit on integer
  digits (``sys.get_int_max_str_digits()``, 4,300 by default);
- of duplicate member names the last wins (as in most JSON readers);
- nesting goes as deep as the interpreter's recursion limit lets the reader go
  (about 1,000 levels less what the caller's stack already uses); deeper text is
  refused as ``nested too deep``.  The simulator refuses far earlier (its own
  limit, 64 levels).

A refusal is a :class:`~dmsproto.errors.NotJSON` whose ``problem`` is worded
here, never in the reader's words, with the position where the reader stopped:
``unexpected character at position 12``.  Positions count from 0, in characters
of a ``str`` and in bytes of ``bytes``.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

import msgspec

from .errors import NotJSON

JSONText = str | bytes | bytearray | memoryview
"""What :func:`parse_json` reads: text, or its UTF-8 encoding."""

READER_ERRORS: Final = (msgspec.DecodeError, RecursionError, UnicodeEncodeError)
"""What the reader raises for text that is not JSON (a str with a lone surrogate cannot
even be encoded; nesting past the recursion limit stops the reader)."""

TOO_DEEP: Final = "nested too deep"
"""The ``problem`` of a ``NotJSON`` for text that nests deeper than the reader goes."""

_decode = msgspec.json.Decoder().decode

# the reader's messages, read only to word them our way
_MALFORMED = re.compile(r"JSON is malformed: (?P<what>.*) \(byte (?P<at>\d+)\)")
_TRUNCATED = "Input data was truncated"
_NOT_UTF8 = "Invalid UTF-8 encoded string"
_NUMBER_RANGE = "Number out of range"
_INTEGER_RANGE = "Integer value out of range"

#: an escaped surrogate (after an even number of backslashes): high 8-B, low C-F
_SURROGATE_ESCAPE = re.compile(
    rb"(?<!\\)(?:\\\\)*(?P<escape>\\u[dD](?P<half>[89a-fA-F])[0-9a-fA-F]{2})")
#: a string (skipped) or a number
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)')
_WORDS: Final = {
    "invalid character": "unexpected character",
    "trailing characters": "more text after the value",
    "trailing comma in array": "trailing comma",
    "trailing comma in object": "trailing comma",
    "invalid number": "malformed number",
    "invalid escape character in string": "bad escape in a string",
    "invalid escaped character": "bad escape in a string",
    "invalid character in unicode escape": "bad escape in a string",
    "unexpected end of hex escape": "bad escape in a string",
    "expected ':'": "':' missing",
    "expected ',' or ']'": "',' or ']' missing",
    "expected ',' or '}'": "',' or '}' missing",
    "expected '\"'": "'\"' missing",
    "object keys must be strings": "member name that is not a string",
}


def parse_json(data: JSONText) -> Any:
    """The JSON value of ``data``, or :class:`~dmsproto.errors.NotJSON`.

    Args:
        data: JSON text, or its UTF-8 encoding.

    Returns:
        The value: dict, list, str, int, float, bool or None.

    Raises:
        NotJSON: ``data`` is not JSON as this module defines it.
    """
    try:
        return _decode(data)
    except READER_ERRORS as exc:
        raise not_json(exc, data) from None


def not_json(exc: BaseException, data: JSONText) -> NotJSON:
    """The :class:`~dmsproto.errors.NotJSON` for a reader error on ``data``, in our words.

    For code that calls the reader itself in a hot loop and catches
    :data:`READER_ERRORS`; :func:`parse_json` uses it.  Only a refusal is looked at
    again, so this may take its time.

    Args:
        exc: what the reader raised (one of :data:`READER_ERRORS`).
        data: the text it was reading.

    Returns:
        The error to raise or to report; its ``problem`` names the position.
    """
    if isinstance(exc, RecursionError):
        return NotJSON(TOO_DEEP, too_deep=True)
    if isinstance(exc, UnicodeEncodeError):
        return NotJSON(f"lone surrogate at position {exc.start}")
    text = str(exc)
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    problem, at = _problem(text, raw)
    return NotJSON(problem if at is None else f"{problem} at position {_position(data, raw, at)}")


def _problem(text: str, raw: bytes) -> tuple[str, int | None]:
    """Our words for the reader's message ``text`` on ``raw``, and the byte offset."""
    malformed = _MALFORMED.fullmatch(text)
    if malformed is not None:
        what = malformed["what"]
        if "surrogate" in what:
            return "lone surrogate escape", _lone_escape(raw)
        at = int(malformed["at"]) - (what == "trailing characters")  # it names the next byte
        return _WORDS.get(what, "malformed"), at
    if text.startswith(_NUMBER_RANGE):
        return "number out of range", _number_out_of_range(raw)
    if text.startswith(_INTEGER_RANGE):
        return "integer with too many digits", _number_out_of_range(raw)
    if text == _NOT_UTF8:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            return "not UTF-8", bad.start
    if text != _TRUNCATED:
        return "malformed", None
    if not raw.strip():
        return "empty text", None
    lone = _lone_escape(raw)  # the reader calls an unpaired escaped high surrogate truncation
    return ("ends too early", None) if lone is None else ("lone surrogate escape", lone)


def _lone_escape(raw: bytes) -> int | None:
    """Where the first escaped surrogate without its partner starts."""
    pending: int | None = None  # an escaped high surrogate waiting for its low one
    end = -1
    for m in _SURROGATE_ESCAPE.finditer(raw):
        high = m["half"] in b"89abAB"
        if pending is not None and (high or m.start("escape") != end):
            return pending
        if pending is None and not high:
            return m.start("escape")
        pending = m.start("escape") if high else None
        end = m.end()
    return pending


def _number_out_of_range(raw: bytes) -> int | None:
    """Where the first number that is no finite double, or too long an integer, starts."""
    for m in _TOKEN.finditer(raw):
        number = m["number"]
        if number is None:
            continue
        if number.lstrip(b"-").isdigit():
            try:
                int(number)
            except ValueError:  # past the interpreter's limit on integer digits
                return m.start("number")
        elif math.isinf(float(number)):
            return m.start("number")
    return None


def _position(data: JSONText, raw: bytes, at: int) -> int:
    """Byte offset ``at`` of ``raw`` as a position in ``data`` (characters of a str)."""
    at = max(0, min(at, len(raw)))
    if isinstance(data, str) and not data.isascii():
        return len(raw[:at].decode("utf-8", "ignore"))
    return at


__all__ = ["READER_ERRORS", "TOO_DEEP", "JSONText", "not_json", "parse_json"]
