"""Timestamps a client sends: "any valid ISO 8601 format" with ``Z`` or an offset (2.8).

The simulator reads request stamps with the validator's ISO 8601 reader, so the engine
and ``dmsproto validate`` agree on what a valid stamp is (basic format such as
``20150428T071011Z`` included).
"""

from __future__ import annotations

from datetime import datetime

try:
    from ..validation import parse_iso8601 as _parse
except ImportError:  # a validator without its own ISO 8601 reader
    from ..timestamps import parse_stamp as _parse


def parse_request_stamp(text: str) -> datetime:
    """The instant a request stamp names.

    Args:
        text: the stamp as sent, e.g. ``2015-04-28T07:10:11,023Z``.

    Returns:
        An aware ``datetime``.

    Raises:
        ValueError: not a zoned ISO 8601 date-time.
    """
    return _parse(text)


__all__ = ["parse_request_stamp"]
