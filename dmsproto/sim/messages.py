"""Every message text the simulator answers with, in the DMS's style, in one place.

The DMS answers in short English sentences ("Data point doesn't exist", "Data type
doesn't match", "Path is not empty", "Expected JSON encoded data, but got something
else."). What our validator or a decoding library says about a request (``[] should be
non-empty``, ``Expected `int`, got `str```) is ours or theirs, not the DMS's: the two
functions at the end turn those findings into DMS-style messages, naming the field,
so no library wording ever reaches a client.
"""

from __future__ import annotations

import re
from typing import Any

# --- the document's own messages ------------------------------------------------------

FATAL_JSON = "Expected JSON encoded data, but got something else."
"""A request that cannot be parsed (3.2.1)."""
NOT_FOUND = "Data point doesn't exist"
TYPE_MISMATCH = "Data type doesn't match"
NOT_EMPTY = "Path is not empty"

# --- ours, in the same style -------------------------------------------------------------

NOT_AN_OBJECT = "A request must be a JSON object"
NO_COMMAND = "Request contains no command"
NO_IDENTITY = "Identification required: send 'whois' with set, rename and delete"
NO_READ = "No permission to read this data point"
NO_WRITE = "No permission to write this data point"
WEBSOCKET_ONLY = "Monitoring is only possible on WebSocket connections"
INVALID_PATH = "Invalid path"
OUT_OF_RANGE = "Value out of range"
NO_SUBSCRIPTION = "No subscription on this path with this tag"
DESTINATION_EXISTS = "Destination path already exists"
BELOW_ITSELF = "A path cannot be moved below itself"
INVALID_ITEM = "Invalid request item"

# templates: .format() the name, value or limit in
UNKNOWN_COMMAND = "Unknown command '{}'"
NOT_AN_ARRAY = "'{}' must be an array"
NOT_A_STRING = "'{}' must be a string"
TOO_DEEP = "Request nested too deep (more than {} levels)"
PATH_TOO_LONG = "Path too long (max. {} characters)"
MISSING_FIELD = "Missing field '{}'"
UNKNOWN_EVENT = "Unknown event '{}'"
UNKNOWN_GROUP = "Unknown change log group '{}'"
UNKNOWN_TYPE = "Unknown type '{}' in isType"
UNKNOWN_FIELD = "Unknown field '{}'"


def invalid_stamp(value: object) -> str:
    """The DMS's message for a timestamp it cannot read."""
    return f"Invalid time stamp {_quoted(value)} (ISO 8601 with Z or offset needed)"



def out_of_range(kind: str, low: float, high: float) -> str:
    """``kind`` names what the value must fit: an access type or an array suffix."""
    return f"{OUT_OF_RANGE} ({kind}: {_bound(low)} to {_bound(high)})"


def too_many(what: str, limit: int) -> str:
    """An aborted answer: more than ``limit`` of ``what``."""
    return f"Aborted: more than {_number(limit)} {what}; refine the request"


def too_many_subscriptions(limit: int) -> str:
    """The message of a subscribe item past ``limit`` subscriptions on one connection."""
    return f"Too many subscriptions on this connection (max. {_number(limit)})"


def invalid_regex(field: str, position: int | None) -> str:
    """The message of a query pattern PCRE refuses, with where it stopped if known."""
    where = "" if position is None else f" (at position {position})"
    return f"Invalid regular expression in {field}{where}"





# --- validator findings and decoding errors -------------------------------------------


def for_violation(rule: str, pointer: str, value: Any, *, max_path: int) -> str:
    """The DMS-style message for one validator finding about a request.

    Args:
        rule: the violation's rule (a JSON Schema keyword or one of the named rules).
        pointer: where, as a JSON pointer into the request.
        value: the offending value.
        max_path: the longest path the engine accepts for writes.

    Returns:
        A short English sentence naming the field.
    """
    field = _field(pointer)
    if rule == "json":
        return FATAL_JSON
    if rule == "frame":
        return NOT_AN_OBJECT if value is not None and not isinstance(value, dict) else NO_COMMAND
    if rule == "required" or rule == "set-user":
        return MISSING_FIELD.format(field or "user")
    if rule == "additionalProperties":
        known = UNKNOWN_COMMAND if pointer.count("/") == 1 else UNKNOWN_FIELD
        return known.format(field)
    if rule == "path-length":
        return PATH_TOO_LONG.format(max_path)
    if rule == "array-index":
        return f"Invalid array index in {_quoted(value)}"
    if rule == "timestamp":
        return invalid_stamp(value)
    if rule in ("value-type", "none-type"):
        return TYPE_MISMATCH
    if rule == "regex":
        return invalid_regex(field, None)
    if rule == "not" and value is None:
        return f"Field '{field}' must not be null"
    if not field:
        return INVALID_ITEM
    if rule == "type":
        return f"Invalid data type of field '{field}'"
    if rule in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"Value of field '{field}' out of range"
    if rule in ("minItems", "maxItems"):
        return f"Wrong number of items in '{field}'"
    return f"Invalid value {_quoted(value)} of field '{field}'"


_MSGSPEC = re.compile(r"^(?P<what>.*?)(?: - at `(?P<where>[^`]*)`)?$", re.DOTALL)


def for_decoding(text: str) -> str:
    """The DMS-style message for a request item the generated types could not read.

    Args:
        text: msgspec's ``ValidationError`` text, e.g. ``Expected `int`, got `str` -
            at `$.interval```.

    Returns:
        A short English sentence naming the field, never the library's own words.
    """
    m = _MSGSPEC.match(text)
    what, where = (m.group("what"), m.group("where")) if m else (text, None)
    named = re.search(r"`([^`]*)`", what)
    if what.startswith("Object missing required field") and named:
        return MISSING_FIELD.format(named.group(1))
    if what.startswith("Object contains unknown field") and named:
        return UNKNOWN_FIELD.format(named.group(1))
    field = _field_from_msgspec(where or "")
    if not field:
        return INVALID_ITEM
    if ", got `" in what:
        return f"Invalid data type of field '{field}'"
    enum = re.match(r"Invalid enum value (.*)$", what)
    if enum:
        return f"Invalid value {enum.group(1)} of field '{field}'"
    return f"Invalid value of field '{field}'"


def _field(pointer: str) -> str:
    """The last member name in a JSON pointer (array indices skipped).

    ``''`` for the root and for a command's item itself (``/get/3``).
    """
    parts = pointer.split("/")[1:]
    if len(parts) == 2 and parts[1].isdigit():
        return ""
    for part in reversed(parts):
        if not part.isdigit():
            return part.replace("~1", "/").replace("~0", "~")
    return ""


def _field_from_msgspec(where: str) -> str:
    names = re.findall(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[\"?([^\]\"]*)\"?\]", where)
    for dotted, bracketed in reversed(names):
        name = str(dotted or bracketed)
        if name and not name.isdigit():
            return name
    return ""


def _quoted(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return "'" + (text if len(text) <= 60 else text[:57] + "...") + "'"


def _bound(value: float) -> str:
    return f"{value:.9g}" if isinstance(value, float) else str(value)


def _number(value: int) -> str:
    """A count the way the document writes it: 610'000."""
    return f"{value:,}".replace(",", "'")
