"""Timestamps a client sends: "any valid ISO 8601 format" with ``Z`` or an offset (2.8).

The simulator reads request stamps with the validator's ISO 8601 reader, so the engine
and ``dmsproto validate`` agree on what a valid stamp is (basic format such as
``20150428T071011Z``, ordinal and week dates included).
"""

from __future__ import annotations

from ..validation import parse_iso8601 as parse_request_stamp

__all__ = ["parse_request_stamp"]
