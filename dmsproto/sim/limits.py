"""Every limit of the simulator, in one place.

Each limit is a named constant here; the modules that apply one import it, the tests
check that the limit itself is accepted and one past it is not, and ``serve --help``
and the documentation point here. Two limits of the wire live in the schema, not
here, because the validator applies them too: the longest written path
(``x-dms-maxLength``, 160 characters, 3.1.5) and the highest written string-array
index (``x-dms-maxIndex``, 1024, 3.1.4), which :func:`dmsproto.sim.wire.schema_limit`
reads, and the longest ``histData`` and ``changelog`` arrays (``maxItems`` of the
schema's ``HistDataCap`` and ``Changelog``, 3.2.3 and 3.2.4), read below.

Section numbers are those of the manufacturer's document v1.4. Limits the document
does not state are ours: each says why it exists and how it is answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ..versions import get_version


def _max_items(name: str) -> int:
    """``maxItems`` of the response schema's definition ``name`` (the same in every version)."""
    return int(get_version().schemas["response"]["$defs"][name]["maxItems"])


# --- the document's limits ------------------------------------------------------------

MAX_MESSAGE_BYTES: Final = 4 * 1024 * 1024
"""Largest request the DMS receives (2.3): 4 MiB = 4,194,304 bytes of payload per
WebSocket frame and per message (the sum of its fragments), and per HTTP POST body.
The document counts "chars" of payload data; the payload length of a WebSocket frame
is counted in bytes (RFC 6455), so the unit is bytes of UTF-8, everywhere. Over it: a
WebSocket closes with 1009, a POST is answered 413."""

FRAGMENT_BYTES: Final = 8192
"""Largest payload of one WebSocket frame the DMS sends (2.3): longer messages go out as
fragments. In bytes (a fragment never splits a UTF-8 character)."""

MAX_QUERY_MATCHES: Final = 100_000
"""A query matching more datapoints is aborted with an error item (3.2.2)."""

MAX_HIST_ENTRIES: Final = _max_items("HistDataCap")
"""Most entries of one ``histData`` (or v1.5 ``histDataPast``) array (3.2.3). A longer
answer is cut to this many (the oldest first) and stays ``ok``."""

MAX_CHANGELOG_ENTRIES: Final = _max_items("Changelog")
"""Most entries of one ``changelog`` array, in ``get`` and in ``changelogRead``
(3.2.4). A longer answer is cut to this many (the newest first) and stays ``ok``."""

# --- our limits against hostile or broken clients ---------------------------------------

MAX_JSON_DEPTH: Final = 64
"""Deepest nesting of a request (the root object is level 1; a real request needs 5
plus its tags). A deeper request is answered with a fatal-error item; the parser is
never asked to recurse further."""

MAX_ANSWER_ITEMS: Final = 1_000_000
"""Most response items one request may produce (a query answers one item per match).
Request items beyond it are answered with one error item each, so every request item
still has its answer."""

MAX_ANSWER_ENTRIES: Final = 1_220_000
"""Most ``histData``/``histDataPast``/``changelog`` entries one request may produce in
total (two full ``histData`` arrays). A request item that would pass it is answered
with one error item instead of its datapoints."""

MAX_SUBSCRIPTIONS: Final = 100_000
"""Most subscriptions one connection may hold; a subscribe item beyond it is refused
with an error item."""

MAX_REQUEST_HEAD_BYTES: Final = 16 * 1024
"""Largest HTTP request head (request line and headers); over it: 431/400."""

RECEIVE_BYTES: Final = 65_536
"""How much is read from a socket at once."""

REQUEST_QUEUE: Final = 16
"""Requests of one WebSocket read ahead while an earlier one is processed."""

OUTBOUND_QUEUE: Final = 1000
"""Frames waiting for one WebSocket's writer; a connection that falls further behind
(events faster than it reads) is dropped."""

# --- timeouts (seconds) --------------------------------------------------------------

IDLE_TIMEOUT: Final = 60.0
"""An HTTP connection without a new request head (and a TLS handshake) for this long is
closed."""

BODY_TIMEOUT: Final = 30.0
"""The whole body of an HTTP POST must arrive within this time after its head; a
slower body is answered 408 and the connection closed."""

CLOSE_TIMEOUT: Final = 5.0
"""After the simulator sends a WebSocket close frame, the peer has this long to answer
it before the connection is dropped."""



@dataclass(frozen=True)
class Limits:
    """The limits one engine applies to what it answers.

    The constants of this module by default; a test may shrink them to reach them
    cheaply.

    Args:
        query_matches: ``MAX_QUERY_MATCHES``.
        hist_entries: ``MAX_HIST_ENTRIES``.
        changelog_entries: ``MAX_CHANGELOG_ENTRIES``.
        json_depth: ``MAX_JSON_DEPTH``.
        answer_items: ``MAX_ANSWER_ITEMS``.
        answer_entries: ``MAX_ANSWER_ENTRIES``.
        subscriptions: ``MAX_SUBSCRIPTIONS``.
    """

    query_matches: int = MAX_QUERY_MATCHES
    hist_entries: int = MAX_HIST_ENTRIES
    changelog_entries: int = MAX_CHANGELOG_ENTRIES
    json_depth: int = MAX_JSON_DEPTH
    answer_items: int = MAX_ANSWER_ITEMS
    answer_entries: int = MAX_ANSWER_ENTRIES
    subscriptions: int = MAX_SUBSCRIPTIONS


def describe_limits() -> str:
    """The limits in one paragraph, for ``serve --help``.

    Returns:
        The paragraph.
    """
    return (
        f"limits (dmsproto.sim.limits): {MAX_MESSAGE_BYTES} bytes per message, "
        f"{MAX_JSON_DEPTH} nesting levels, {MAX_QUERY_MATCHES} query matches, "
        f"{MAX_HIST_ENTRIES} histData and {MAX_CHANGELOG_ENTRIES} changelog entries per "
        f"array (cut, still ok), {MAX_ANSWER_ITEMS} response items and "
        f"{MAX_ANSWER_ENTRIES} entries per request, {MAX_SUBSCRIPTIONS} subscriptions per "
        f"connection, a POST body within {BODY_TIMEOUT:g} s."
    )


__all__ = [
    "BODY_TIMEOUT",
    "CLOSE_TIMEOUT",
    "FRAGMENT_BYTES",
    "IDLE_TIMEOUT",
    "Limits",
    "MAX_ANSWER_ENTRIES",
    "MAX_ANSWER_ITEMS",
    "MAX_CHANGELOG_ENTRIES",
    "MAX_HIST_ENTRIES",
    "MAX_JSON_DEPTH",
    "MAX_MESSAGE_BYTES",
    "MAX_QUERY_MATCHES",
    "MAX_REQUEST_HEAD_BYTES",
    "MAX_SUBSCRIPTIONS",
    "OUTBOUND_QUEUE",
    "RECEIVE_BYTES",
    "REQUEST_QUEUE",
    "describe_limits",
]
