"""The fast validator's stamp pattern takes every real day but 29 February to the fast path.

A stamp the pattern does not match goes to the exact (slower) check; a pattern that
left out the 29th to the 31st sent every stamp of those days there.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from dmsproto.validation.stamps import SAFE_STAMP, parse_iso8601

FAST = re.compile(SAFE_STAMP)


def _days(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


def test_every_day_of_a_year_is_fast_but_the_leap_day() -> None:
    slow = [
        day.isoformat()
        for year in (2024, 2026)
        for day in _days(year)
        if not FAST.match(f"{day.isoformat()}T12:00:00,000+01:00")
    ]
    assert slow == ["2024-02-29"]


def test_days_no_month_has_are_never_fast() -> None:
    impossible = [f"2026-{m:02d}-{d}" for m, d in ((2, 29), (2, 30), (4, 31), (6, 31), (9, 31),
                                                   (11, 31), (2, 31), (13, 1), (1, 32))]
    assert [s for s in impossible if FAST.match(f"{s}T12:00:00Z")] == []


def test_what_is_fast_is_a_valid_stamp() -> None:
    for day in _days(2026):
        stamp = f"{day.isoformat()}T23:59:59,999-05:30"
        assert FAST.match(stamp)
        assert parse_iso8601(stamp).date() == day
