"""Time ranges of history and change-log reads: stamps in, requests out, cut answers joined.

Sans-I/O: :class:`RangeWalk` says which window of time to ask for next and what
to keep of each answer; the client sends the requests.

**Stamps.** ``start`` and ``end`` are an aware ``datetime``, a ``timedelta``
counted from now (``timedelta(days=-1)``: a day ago) or ISO 8601 text with a
zone (``2026-11-23T08:00:00Z``, the DMS's ``2026-11-23T08:00:00,000+01:00``).
Anything else, relative text such as ``"-1d"`` included, raises ``EncodeError``
before a request is sent, as does an ``end`` before ``start``.

**The cut.** The DMS answers at most :data:`HISTORY_CUT` history entries and
:data:`CHANGELOG_CUT` change-log entries per request (document 3.2.3, 3.2.4).
It does not say whether a longer answer is cut off or refused, so both are
recognised:

- an answer holding the cut's number of entries or more is taken as cut after
  its last entry, in the order the DMS lists them (history oldest first, change
  logs newest first).  The entries stamped like that last one are dropped (the
  cut may have split them) and the next request starts at that stamp
  (inclusive), so nothing is lost or repeated at the seam.  A cut answer whose
  entries all share one stamp cannot be read on from (``ProtocolError``);
- an item refused with code ``error`` and a message that speaks of the limit
  (:func:`is_cut_refusal`) means "too many": the window is halved on its grid
  (:class:`RangeWalk` ``step``) and the halves are asked for in turn, with no
  stamp in both.

Interpolated history (``interval`` > 0; the DMS's default is
:data:`DEFAULT_INTERVAL`) has a known size, so the range is split beforehand
into windows of at most :data:`GRID_WINDOW` grid points.  Each window starts on
the grid of the whole range's ``start`` (``start + k * interval``) and the next
one a step after its end, so the grids join without gap or overlap.

**Buckets.** :func:`align_start` moves a start back to an interval boundary, so
that interpolated values fall on round times (the CLI does this for ``--start``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final

from msgspec import Struct

from ..errors import EncodeError, ProtocolError
from ..timestamps import format_stamp, parse_stamp

HISTORY_CUT: Final = 610_000
"""The most history entries (``histData``) the DMS answers per request."""

CHANGELOG_CUT: Final = 100_000
"""The most change-log entries the DMS answers per request."""

DEFAULT_INTERVAL: Final = 900
"""Seconds between history values when a request names no ``interval``."""

MAX_INTERVAL: Final = 2**31 - 1
"""The longest history interval in seconds (about 68 years, a signed 32-bit count):
beyond it a grid step leaves the range ``datetime`` can count in."""

GRID_WINDOW: Final = 100_000
"""Grid points per request when interpolated history is split beforehand: well
below the cut, and small enough for a progress bar to move."""

TICK: Final = timedelta(milliseconds=1)
"""The resolution of DMS timestamps: windows of raw data are split on it."""

CUT_MESSAGE: Final = re.compile(r"exceed|too many|more than|limit", re.IGNORECASE)
"""What a refusal for too many entries says: words of an error item's message (the
document gives no wording, so any message about a limit counts)."""

Stamp = datetime | timedelta | str
"""A time argument: an aware ``datetime``, a ``timedelta`` from now, or ISO 8601 text
with a zone."""


def as_datetime(value: Stamp, what: str, now: datetime) -> datetime:
    """``value`` as an aware ``datetime``.

    Args:
        value: the argument.
        what: its name, for the message (``"start"``).
        now: what a ``timedelta`` counts from.

    Returns:
        The time.

    Raises:
        EncodeError: a naive ``datetime``, text that is not ISO 8601 with a zone, or
            another type.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise EncodeError(
                f"{what}: naive datetime refused: the DMS cannot guess its zone; attach a "
                "tzinfo (e.g. datetime.now(timezone.utc))"
            )
        return value
    if isinstance(value, timedelta):
        return now + value
    if isinstance(value, str):
        try:
            return parse_stamp(value.strip())
        except ValueError:
            raise EncodeError(
                f"{what} must be ISO 8601 with a zone (e.g. 2026-11-23T08:00:00Z), "
                f"got {value!r}; for a relative time pass a timedelta (timedelta(days=-1))"
            ) from None
    raise EncodeError(
        f"{what} must be an aware datetime, a timedelta or ISO 8601 text, got {value!r}"
    )


def encode_stamp(value: Stamp, what: str = "stamp", now: datetime | None = None) -> str:
    """A request timestamp in the recommended form (UTC, milliseconds, ``Z``).

    Args:
        value: the argument (see :func:`as_datetime`).
        what: its name, for the message.
        now: what a ``timedelta`` counts from (default: the clock now).

    Returns:
        The instant in UTC with milliseconds and ``Z`` (``2026-11-23T08:00:00.000Z``).

    Raises:
        EncodeError: a value that is no time (see :func:`as_datetime`).
    """
    return format_stamp(as_datetime(value, what, now or datetime.now(UTC)))


def time_range(
    start: Stamp, end: Stamp | None, now: datetime
) -> tuple[datetime, datetime | None]:
    """``start`` and ``end`` as times, checked in order.

    Raises:
        EncodeError: either is no time, or ``end`` lies before ``start``.
    """
    first = as_datetime(start, "start", now)
    last = None if end is None else as_datetime(end, "end", now)
    if last is not None and last < first:
        hint = ""
        if isinstance(start, timedelta) and start > timedelta(0):
            hint = " (a timedelta counts from now: timedelta(days=-1) is a day ago)"
        raise EncodeError(
            f"end {format_stamp(last)} lies before start {format_stamp(first)}{hint}"
        )
    return first, last


def is_cut_refusal(code: str, message: str | None) -> bool:
    """Whether an item refused with ``code``/``message`` says the answer would be too long."""
    return code == "error" and message is not None and CUT_MESSAGE.search(message) is not None


def check_interval(interval: object) -> int:
    """``interval`` as the whole seconds a history request carries.

    Args:
        interval: seconds between values, 0 for every recorded value.

    Returns:
        The interval as an ``int``.

    Raises:
        EncodeError: not a number of whole seconds from 0 to :data:`MAX_INTERVAL`.
    """
    if isinstance(interval, bool) or not isinstance(interval, int | float) or interval < 0:
        raise EncodeError(f"interval must be seconds >= 0, got {interval!r}")
    if isinstance(interval, float) and not interval.is_integer():
        raise EncodeError(f"interval must be whole seconds, got {interval!r}")
    if interval > MAX_INTERVAL:
        raise EncodeError(f"interval must be at most {MAX_INTERVAL} seconds, got {interval!r}")
    return int(interval)


def align_start(start: datetime, interval: float) -> datetime:
    """``start`` moved back to the nearest interval boundary (itself if it is one).

    Boundaries of an interval that divides a day (900 s, 3600 s, 86400 s) are
    counted from midnight in ``start``'s own UTC offset, so quarter hours, hours and
    days fall on the clock's round times there; other intervals count from the
    Unix epoch.  An interval of 0 (every recorded value) leaves ``start`` as is.

    Args:
        start: an aware time.
        interval: seconds between values.

    Returns:
        The aligned time, in ``start``'s zone.
    """
    if interval <= 0:
        return start
    check_interval(interval)
    step = timedelta(seconds=interval)
    if 86400 % interval == 0:
        origin = start.replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        origin = datetime.fromtimestamp(0, UTC).astimezone(start.tzinfo)
    return origin + ((start - origin) // step) * step


def _floor_tick(value: datetime) -> datetime:
    return value - timedelta(microseconds=value.microsecond % 1000)


class Window(Struct, frozen=True):
    """One request's range; both ends inclusive.

    Attributes:
        start: from.
        end: to (for an open window, the time it was planned with).
        open_end: send no ``end``, so the DMS reads up to its own now.
        continued: reads on after a cut answer whose request covered this range
            already; what is listed by another time than the entries' own (the
            values changed in the past, ``show_past``) came with that answer.
    """

    start: datetime
    end: datetime
    open_end: bool = False
    continued: bool = False

    @property
    def request_end(self) -> datetime | None:
        """The ``end`` to send (``None`` for an open window)."""
        return None if self.open_end else self.end


class RangeProgress(Struct, frozen=True):
    """How far a split read has come (given to a ``progress`` callback after each answer).

    Attributes:
        fraction: the part of the time range read, 0 to 1.
        entries: entries kept so far.
        requests: requests answered so far.
    """

    fraction: float
    entries: int
    requests: int


ProgressCallback = Callable[[RangeProgress], object]
"""Called after each answer of a long read."""


class RangeWalk:
    """Which windows of a time range to request, and what to keep of each answer.

    Call :meth:`next_window`, send it, then :meth:`answered` (or :meth:`refused`
    for a refusal :func:`is_cut_refusal` recognises), until ``next_window``
    gives ``None``.  The windows come in the DMS's listing order, so the kept
    entries of the answers, joined in turn, are in that order too.
    """

    def __init__(
        self,
        start: datetime,
        end: datetime | None,
        *,
        now: datetime,
        cut: int,
        step: timedelta = TICK,
        grid_window: int | None = None,
        newest_first: bool = False,
    ) -> None:
        """Plan the read.

        Args:
            start: from (aware).
            end: to (aware); ``None``: up to the DMS's now (planned with ``now``).
            now: the clock now.
            cut: the most entries one answer holds.
            step: the grid of the values: the interval of interpolated history, or
                :data:`TICK` for raw values and log entries.
            grid_window: for a grid of known size, the most grid points per window
                (the range is split beforehand); ``None``: split only when cut.
            newest_first: the DMS lists newest first (change logs).
        """
        first = _floor_tick(start)
        last = _floor_tick(end if end is not None else max(now, start))
        self.cut = cut
        self.step = step
        self.newest_first = newest_first
        self.requests = 0
        self.entries = 0
        self._total = last - first
        self._current: Window | None = None
        windows = self._plan(first, last, end is None, grid_window)
        # a stack: the next window is the last element
        self._todo = windows if newest_first else windows[::-1]

    def _plan(
        self, first: datetime, last: datetime, open_end: bool, grid_window: int | None
    ) -> list[Window]:
        if grid_window is None:
            return [Window(first, last, open_end)]
        points = (last - first) // self.step + 1
        windows = []
        for k in range(0, points, grid_window):
            start = first + k * self.step
            # the last window ends at ``last``: stepping past it could leave datetime's
            # range (an end in the year 9999)
            final = k + grid_window >= points
            end = last if final else first + (k + grid_window - 1) * self.step
            windows.append(Window(start, end, open_end and final))
        return windows

    @property
    def fraction(self) -> float:
        """The part of the range read so far (0 to 1)."""
        if not self._todo and self._current is None:
            return 1.0
        if self._total <= timedelta(0):
            return 0.0
        left = sum((w.end - w.start for w in self._todo), timedelta(0))
        if self._current is not None:
            left += self._current.end - self._current.start
        return max(0.0, min(1.0, 1.0 - left / self._total))

    @property
    def progress(self) -> RangeProgress:
        """How far the read has come, for a progress callback."""
        return RangeProgress(self.fraction, self.entries, self.requests)

    def next_window(self) -> Window | None:
        """The window to request next; ``None`` when the range is read."""
        if self._current is not None:
            raise RuntimeError("the last window has not been answered yet")
        if not self._todo:
            return None
        self._current = self._todo.pop()
        return self._current

    def answered(self, count: int, stamp_at: Callable[[int], datetime]) -> int:
        """Take the answer to the current window.

        Args:
            count: how many entries it holds.
            stamp_at: the stamp of its entry at an index (asked only for a cut answer).

        Returns:
            How many of its leading entries to keep (``entries[:kept]``).

        Raises:
            ProtocolError: a cut answer whose entries all share one stamp (there is
                no later request that could read on from it).
        """
        window = self._take()
        self.requests += 1
        if count < self.cut:
            self.entries += count
            return count
        last = stamp_at(count - 1)
        kept = count - 1
        while kept > 0 and stamp_at(kept - 1) == last:
            kept -= 1
        if kept == 0:
            raise ProtocolError(
                f"the DMS cut its answer at {count:,} entries that all share the stamp "
                f"{format_stamp(last)}: they cannot be read in parts"
            )
        if self.newest_first:
            self._todo.append(Window(window.start, _floor_tick(last), continued=True))
        else:
            self._todo.append(
                Window(_floor_tick(last), window.end, window.open_end, continued=True)
            )
        self.entries += kept
        return kept

    def refused(self) -> bool:
        """The DMS refused the current window as too long: split it in two.

        Returns:
            ``False`` when the window is one grid point and cannot be split (then the
            refusal is the answer).
        """
        window = self._take()
        points = (window.end - window.start) // self.step
        if points < 1:
            return False
        middle = window.start + (points // 2) * self.step
        older = Window(window.start, middle, continued=window.continued)
        newer = Window(middle + self.step, window.end, window.open_end, window.continued)
        self._todo.extend([older, newer] if self.newest_first else [newer, older])
        return True

    def _take(self) -> Window:
        window = self._current
        if window is None:
            raise RuntimeError("no window was asked for")
        self._current = None
        return window


__all__ = [
    "CHANGELOG_CUT",
    "CUT_MESSAGE",
    "DEFAULT_INTERVAL",
    "GRID_WINDOW",
    "HISTORY_CUT",
    "MAX_INTERVAL",
    "TICK",
    "ProgressCallback",
    "RangeProgress",
    "RangeWalk",
    "Stamp",
    "Window",
    "align_start",
    "as_datetime",
    "check_interval",
    "encode_stamp",
    "is_cut_refusal",
    "time_range",
]
