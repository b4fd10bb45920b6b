"""DMS timestamps: the server's comma format in, ISO 8601 with a zone out.

The server writes ``2015-03-20T08:49:19,000+01:00`` (milliseconds after a
comma, numeric offset).  It accepts any ISO 8601 timestamp that carries ``Z``
or an offset; we send the recommended UTC form ``2015-04-28T07:10:11,023Z``.
Naive datetimes are refused: the server cannot guess their zone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from .errors import EncodeError

STAMP_RE = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})"
    r"(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?"
    r"(Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)$"
)
"""ISO 8601 date-time with a mandatory zone; the fraction after ``.`` or ``,``."""


def parse_stamp(text: str) -> datetime:
    """Parse a DMS/ISO 8601 timestamp into a timezone-aware ``datetime``.

    Accepts the server's form (``2015-03-20T08:49:19,000+01:00``) and any ISO 8601
    date-time with ``Z`` or a numeric offset (a dot or a comma before the fraction).

    Args:
        text: the timestamp as the wire carries it.

    Returns:
        An aware ``datetime`` in the offset the text names.

    Raises:
        ValueError: the text is not a zoned ISO 8601 timestamp, or its offset is out
            of range.
    """
    m = STAMP_RE.match(text)
    if m is None:
        raise ValueError(f"not an ISO 8601 timestamp with zone: {text!r}")
    year, month, day, hour, minute = (int(m.group(i)) for i in range(1, 6))
    second = int(m.group(6) or 0)
    frac = m.group(7) or ""
    micro = int((frac + "000000")[:6]) if frac else 0
    zone = m.group(8)
    if zone in ("Z", "z"):
        tz = UTC
    else:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        hours = int(digits[:2])
        minutes = int(digits[2:4] or 0)
        if hours > 23 or minutes > 59:
            raise ValueError(f"bad UTC offset in {text!r}")
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)


def format_stamp(value: datetime) -> str:
    """Write ``value`` in the recommended request form: UTC, milliseconds, ``Z``.

    Args:
        value: an aware ``datetime``; it is converted to UTC.

    Returns:
        Text like ``2015-04-28T07:10:11,023Z``.

    Raises:
        EncodeError: ``value`` is naive (the DMS cannot guess its zone).
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise EncodeError(
            "naive datetime refused: the DMS cannot guess its zone; "
            "attach a tzinfo (e.g. datetime.now(timezone.utc))"
        )
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f",{utc.microsecond // 1000:03d}Z"


def format_server_stamp(value: datetime) -> str:
    """Write ``value`` the way the DMS server does: comma millis, numeric offset.

    Args:
        value: an aware ``datetime``; its own offset is kept.

    Returns:
        Text like ``2015-03-20T08:49:19,000+01:00``.

    Raises:
        EncodeError: ``value`` is naive.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise EncodeError("naive datetime refused")
    offset = value.utcoffset()
    assert offset is not None
    total = int(offset.total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    total = abs(total)
    return (
        value.strftime("%Y-%m-%dT%H:%M:%S")
        + f",{value.microsecond // 1000:03d}{sign}{total // 60:02d}:{total % 60:02d}"
    )


__all__ = ["STAMP_RE", "format_server_stamp", "format_stamp", "parse_stamp"]
