"""Recorded trend history of one datapoint and reading it back (``get`` ``histData``).

Records are kept as parallel lists sorted by time (epoch seconds), so a range
is two bisections and a day of 15-minute records costs no per-record objects.

Reading with ``interval`` 0 returns every record in ``[start, end]`` as recorded.
With ``interval`` > 0 the simulator answers on a grid ``start + k * interval``
(k = 0, 1, ...; the grid is aligned to the request's ``start``), but only where
recorded data surrounds the grid point (no extrapolation before the first or
after the last record). At a grid point that falls on a record the record is
returned unchanged; between two records a ``double`` datapoint is interpolated
linearly, while ``int`` and ``bool`` datapoints hold the earlier record's value
(a pump is on or off, never 0.4). An interpolated entry has ``rec`` ``cycle``
and the worse ``state`` of its two neighbours (``ok`` < ``comErr`` < ``inv``).
The DMS's own interpolation rules are not documented; these are our choice.

Modified past (protocol v1.5): a record can be *modified* afterwards (its value
replaced; the original is kept) or *inserted in the past* (a record that was
added later than its own stamp). Each such record remembers when that happened.
A read marks those records (``mod`` ``modified``/``past``, ``original``) where
it returns them unchanged; interpolated grid points carry no mark.
:meth:`History.read_past` answers ``histDataPast``: every modified or inserted
record whose *modification time* lies in ``[start, end]`` (whatever its own
stamp), oldest record first, never interpolated. The document (3.2.3) says
only "changes of value(s) in the past ... that occurred in the range between
start and end"; reading "occurred" as the time of the change is our choice.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from math import ceil, floor

from .limits import MAX_HIST_ENTRIES
from .wire import HIST_OK, REC_CHANGE, REC_CYCLE

_STATE_RANK = {"ok": 0, "comErr": 1, "inv": 2}


@dataclass(frozen=True, slots=True)
class Modification:
    """How and when (epoch seconds) a record was changed after it was recorded."""

    mod: str  # "modified" (value replaced) or "past" (inserted in the past)
    at: float
    original: float | None = None  # the value before, for "modified"


@dataclass(frozen=True, slots=True)
class HistPoint:
    """One entry of a histData answer; ``t`` is epoch seconds."""

    t: float
    value: float
    state: str
    rec: str
    change: Modification | None = None


@dataclass
class History:
    """Records of one datapoint, sorted by time."""

    times: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    recs: list[str] = field(default_factory=list)
    #: record time -> how it was changed in the past (only modified/inserted records)
    changes: dict[float, Modification] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.times)

    def record(
        self, t: float, value: float, state: str = HIST_OK, rec: str = REC_CHANGE
    ) -> None:
        """Add a record, keeping time order (a later write with an old stamp goes back)."""
        last = not self.times or t >= self.times[-1]
        i = len(self.times) if last else bisect_right(self.times, t)
        self.times.insert(i, t)
        self.values.insert(i, value)
        self.states.insert(i, state)
        self.recs.insert(i, rec)

    def modify(self, t: float, value: float, at: float) -> None:
        """Replace the value recorded at ``t`` (at time ``at``), keeping the first original."""
        i = bisect_left(self.times, t)
        if i == len(self.times) or self.times[i] != t:
            raise KeyError(f"no record at {t}")
        before = self.changes.get(t)
        original = before.original if before is not None else self.values[i]
        self.values[i] = value
        self.changes[t] = Modification("modified", at, original)

    def insert_past(
        self, t: float, value: float, at: float, state: str = HIST_OK, rec: str = REC_CHANGE
    ) -> None:
        """Add a record stamped ``t`` that was only written at time ``at`` (> ``t``)."""
        self.record(t, value, state, rec)
        self.changes[t] = Modification("past", at)

    def read_past(self, start: float, end: float, limit: int = MAX_HIST_ENTRIES
                  ) -> list[HistPoint]:
        """Records modified or inserted during ``[start, end]``, by record time.

        At most ``limit`` of them, the oldest.
        """
        hits = sorted(t for t, c in self.changes.items() if start <= c.at <= end)[:limit]
        out = []
        for t in hits:
            i = bisect_left(self.times, t)
            out.append(HistPoint(t, self.values[i], self.states[i], self.recs[i], self.changes[t]))
        return out

    def read(self, start: float, end: float, interval: float, *, step: bool,
             limit: int = MAX_HIST_ENTRIES) -> list[HistPoint]:
        """Entries for ``[start, end]``, at most ``limit`` (the oldest).

        The module docstring gives the rules (raw records, or a grid of ``interval``).
        """
        if interval == 0:
            return self._raw(start, end, limit)
        return self._grid(start, end, interval, step=step, limit=limit)

    def _raw(self, start: float, end: float, limit: int) -> list[HistPoint]:
        lo = bisect_left(self.times, start)
        hi = min(bisect_right(self.times, end), lo + limit)
        changes = self.changes
        return [
            HistPoint(self.times[i], self.values[i], self.states[i], self.recs[i],
                      changes.get(self.times[i]) if changes else None)
            for i in range(lo, hi)
        ]

    def _grid(self, start: float, end: float, interval: float, *, step: bool, limit: int
              ) -> list[HistPoint]:
        if not self.times or end < start:
            return []
        first = max(start, self.times[0])
        last = min(end, self.times[-1])
        k0 = ceil((first - start) / interval)
        k1 = floor((last - start) / interval)
        if k1 < k0:
            return []
        k1 = min(k1, k0 + limit - 1)
        out: list[HistPoint] = []
        times = self.times
        i = bisect_left(times, start + k0 * interval)
        for k in range(k0, k1 + 1):
            t = start + k * interval
            while i < len(times) and times[i] < t:
                i += 1
            if i < len(times) and times[i] == t:
                out.append(HistPoint(t, self.values[i], self.states[i], self.recs[i],
                                     self.changes.get(t)))
                continue
            a, b = i - 1, i  # times[a] < t < times[b]
            state = max(self.states[a], self.states[b], key=lambda s: _STATE_RANK.get(s, 2))
            if step:
                value = self.values[a]
            else:
                frac = (t - times[a]) / (times[b] - times[a])
                value = self.values[a] + (self.values[b] - self.values[a]) * frac
            out.append(HistPoint(t, value, state, REC_CYCLE))
        return out
