"""Rules ``timestamp`` and ``stamp-form``: ISO 8601 date-times as the document reads them.

The DMS "accepts any valid ISO 8601 format" with ``Z`` or an offset (2.8), and
sends ``2015-03-20T08:49:19,000+01:00``.  "Valid ISO 8601" is taken literally
(ISO 8601-1): a calendar (``2015-04-28``), ordinal (``2015-118``) or week date
(``2015-W18-2``), ``T``, a time of hours, minutes and seconds where the lowest
present part may carry a decimal fraction after ``,`` or ``.``, and a zone; the
whole stamp either in extended format (with ``-`` and ``:``) or in basic format
(``20150428T071011Z``), never mixed.  Values must exist: no 30 February, no hour
25, no offset ``+99:99``; ``24:00:00`` (end of the day) and a leap second ``:60``
are valid ISO 8601 (a leap second only where UTC has one: 23:59:60 UTC on the last
day of a month, in any offset); a zero offset carries ``+`` (``-00:00`` is RFC 3339's "offset
unknown", which ISO 8601 does not have).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from .model import Violation, short
from .rules import found

_DATE_EXT = (r"(?P<Y>[0-9]{4})-(?:(?P<M>[0-9]{2})-(?P<D>[0-9]{2})"
             r"|W(?P<W>[0-9]{2})-(?P<WD>[0-9])|(?P<O>[0-9]{3}))")
_DATE_BAS = (r"(?P<Y>[0-9]{4})(?:(?P<M>[0-9]{2})(?P<D>[0-9]{2})"
             r"|W(?P<W>[0-9]{2})(?P<WD>[0-9])|(?P<O>[0-9]{3}))")
_TIME_EXT = r"(?P<h>[0-9]{2})(?::(?P<m>[0-9]{2})(?::(?P<s>[0-9]{2}))?)?(?:[.,](?P<f>[0-9]+))?"
_TIME_BAS = r"(?P<h>[0-9]{2})(?:(?P<m>[0-9]{2})(?P<s>[0-9]{2})?)?(?:[.,](?P<f>[0-9]+))?"
_ZONE_EXT = r"(?P<z>Z|(?P<zs>[+-])(?P<zh>[0-9]{2})(?::(?P<zm>[0-9]{2}))?)"
_ZONE_BAS = r"(?P<z>Z|(?P<zs>[+-])(?P<zh>[0-9]{2})(?P<zm>[0-9]{2})?)"
_FORMS = (re.compile(f"{_DATE_EXT}T{_TIME_EXT}{_ZONE_EXT}"),
          re.compile(f"{_DATE_BAS}T{_TIME_BAS}{_ZONE_BAS}"))
_UNZONED = (re.compile(f"{_DATE_EXT}T{_TIME_EXT}"), re.compile(f"{_DATE_BAS}T{_TIME_BAS}"))

#: The form the DMS itself sends (2.8): comma milliseconds and a numeric offset.
DMS_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2},[0-9]{3}"
                      r"[+-][0-9]{2}:[0-9]{2}")

#: Subsets for the fast validator: every match is a valid stamp (every day of every month
#: but 29 February, which needs the year), resp. in the DMS's own form.  Anything else
#: goes to the exact check.
SAFE_STAMP = (r"^[1-9][0-9]{3}-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
              r"|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)T"
              r"([01][0-9]|2[0-3])(:[0-5][0-9](:[0-5][0-9])?)?([.,][0-9]{1,9})?"
              r"(Z|\+([01][0-9]|2[0-3])(:[0-5][0-9])?"
              r"|-(0[1-9]|1[0-9]|2[0-3])(:[0-5][0-9])?|-00:(0[1-9]|[1-5][0-9]))$")
SAFE_DMS_FORM = "^" + DMS_FORM.pattern + "$"


def parse_iso8601(text: str) -> datetime:
    """The aware ``datetime`` a zoned ISO 8601 date-time stands for.

    Args:
        text: the stamp, e.g. ``2015-04-28T07:10:11,023Z`` or ``20150428T071011+0200``.

    Returns:
        The instant, with its offset as ``tzinfo`` (a leap second reads as
        ``:59.999999``, ``24:00`` as the next day's ``00:00``).

    Raises:
        ValueError: the text is no valid zoned ISO 8601 date-time; the message says why.
    """
    m = _FORMS[0].fullmatch(text) or _FORMS[1].fullmatch(text)
    if m is None:
        if any(f.fullmatch(text) for f in _UNZONED):
            raise ValueError("no zone: add Z or an offset such as +01:00 (2.8)")
        raise ValueError("not an ISO 8601 date-time (e.g. 2015-04-28T07:10:11,023Z)")
    g = m.groupdict()
    day = _date(g)
    hour, minute, second = int(g["h"]), int(g["m"] or 0), int(g["s"] or 0)
    fraction = float("0." + g["f"]) if g["f"] else 0.0
    if hour > 24 or (hour == 24 and (minute or second or fraction)):
        raise ValueError(f"hour {g['h']} is not a time of day (00-23, or 24:00:00)")
    if minute > 59:
        raise ValueError(f"minute {g['m']} is out of 00-59")
    if second > 60:
        raise ValueError(f"second {g['s']} is out of 00-60")
    # the fraction belongs to the lowest part that is present
    unit = 1.0 if g["s"] else 60.0 if g["m"] else 3600.0
    offset_seconds = hour * 3600 + minute * 60 + min(second, 59) + fraction * unit
    if second == 60:
        offset_seconds += 0.999999  # a leap second: as late in the minute as we can say
    zone = _zone(g)
    if second == 60:
        _leap_second(datetime(day.year, day.month, day.day, hour, minute, 59, tzinfo=zone))
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    return start + timedelta(seconds=offset_seconds)


def _date(g: dict[str, str | None]) -> date:
    year = int(g["Y"] or 0)
    if year == 0:
        raise ValueError("year 0000 is before the first year a date can name")
    if g["M"] is not None:
        month, day = int(g["M"]), int(g["D"] or 0)
        if not 1 <= month <= 12:
            raise ValueError(f"month {g['M']} is out of 01-12")
        try:
            return date(year, month, day)
        except ValueError:
            raise ValueError(f"{year:04d}-{month:02d} has no day {g['D']}") from None
    if g["W"] is not None:
        try:
            return date.fromisocalendar(year, int(g["W"]), int(g["WD"] or 0))
        except ValueError:
            raise ValueError(f"{year:04d} has no week {g['W']} day {g['WD']}") from None
    ordinal = int(g["O"] or 0)
    last = (date(year, 12, 31) - date(year, 1, 1)).days + 1
    if not 1 <= ordinal <= last:
        raise ValueError(f"{year:04d} has no day {g['O']} (001-{last:03d})")
    return date(year, 1, 1) + timedelta(days=ordinal - 1)


def _leap_second(before: datetime) -> None:
    """Refuse a ``:60`` that is no leap second (``before``: the same minute's ``:59``).

    UTC inserts a leap second only after 23:59:59 of the last day of a month (ITU-R
    TF.460); any other second 60 names no time that exists.
    """
    utc = before.astimezone(UTC)
    if (utc.hour, utc.minute) != (23, 59) or (utc + timedelta(days=1)).day != 1:
        raise ValueError(f"second 60 at {utc:%Y-%m-%d %H:%M} UTC: a leap second comes only "
                         "as 23:59:60 UTC on the last day of a month")


def _zone(g: dict[str, str | None]) -> timezone:
    if g["z"] == "Z":
        return UTC
    hours, minutes = int(g["zh"] or 0), int(g["zm"] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"UTC offset {g['z']} is out of range (-23:59 to +23:59)")
    sign = -1 if g["zs"] == "-" else 1
    if sign < 0 and not hours and not minutes:
        raise ValueError(f"UTC offset {g['z']}: ISO 8601 writes a zero offset with + (or Z)")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def check_timestamp(value: Any, ptr: str, params: Mapping[str, Any], ctx: Any,
                    out: list[Violation]) -> None:
    """Rule ``timestamp``: a valid zoned ISO 8601 date-time."""
    if type(value) is not str:
        return
    try:
        parse_iso8601(value)
    except ValueError as exc:
        out.append(found("timestamp", ptr, value, f"{short(value)}: {exc}"))


def check_stamp_form(value: Any, ptr: str, params: Mapping[str, Any], ctx: Any,
                     out: list[Violation]) -> None:
    """Rule ``stamp-form``: a valid stamp from the DMS in the DMS's own form."""
    if type(value) is not str or DMS_FORM.fullmatch(value):
        return
    try:
        parse_iso8601(value)
    except ValueError:
        return  # the timestamp rule reports it
    out.append(found("stamp-form", ptr, value,
                     f"{short(value)} is valid ISO 8601, but not the DMS's form "
                     "YYYY-MM-DDThh:mm:ss,fff+hh:mm (2.8)"))


__all__ = ["DMS_FORM", "SAFE_DMS_FORM", "SAFE_STAMP", "check_stamp_form", "check_timestamp",
           "parse_iso8601"]
