"""Times as people type them: ``now``, ``-1d``, ``2026-11-23``, ``2026-11-23T08:00``, ISO 8601.

The DMS needs zoned timestamps; a person on site thinks in local time. So a time
without a zone is taken in this machine's local zone, and relative times count
back from now (``-1d``, ``-3h``, ``-90m``, ``-1d12h``; ``s m h d w``).
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from ..timestamps import parse_stamp
from .exits import CliError, usage

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_RELATIVE = re.compile(r"^([+-])((?:\d+(?:\.\d+)?[smhdw])+)$")
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")

HELP = "now, today, yesterday, -1d, -3h, -15m, 2026-11-23, 2026-11-23T08:00 or ISO 8601"


def parse_time(text: str, *, now: datetime | None = None) -> datetime:
    """An aware ``datetime`` for ``text``; raises a usage ``CliError`` when it is not a time."""
    current = now if now is not None else datetime.now().astimezone()
    try:
        return _parse(text, current)
    except (OverflowError, ValueError):  # beyond datetime's years, also in local time
        raise usage(f"time out of range: {text!r} (years 1 to 9999)") from None


def _parse(text: str, current: datetime) -> datetime:
    word = text.strip().lower()
    if word == "now":
        return current
    if word in ("today", "yesterday"):
        # midnight in this machine's zone, with the offset in force at midnight: on the
        # day daylight saving time begins or ends it differs from the offset of now
        day = current.astimezone().date() - timedelta(days=word == "yesterday")
        return datetime.combine(day, time()).astimezone()
    relative = _RELATIVE.match(word)
    if relative:
        seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(relative.group(2)))
        sign = -1 if relative.group(1) == "-" else 1
        return current + timedelta(seconds=sign * seconds)
    return _absolute(text.strip())


def _absolute(text: str) -> datetime:
    try:
        return parse_stamp(text)  # the server's own form, comma milliseconds included
    except ValueError:
        pass
    try:
        value = datetime.fromisoformat(text.replace(",", "."))
    except ValueError:
        raise usage(f"not a time: {text!r} (use {HELP})") from None
    if value.tzinfo is None:
        value = value.astimezone()  # naive: this machine's local time
    return value


def parse_optional(text: str | None) -> datetime | None:
    """``parse_time`` for optional arguments."""
    return None if text is None else parse_time(text)


__all__ = ["HELP", "CliError", "parse_optional", "parse_time"]
