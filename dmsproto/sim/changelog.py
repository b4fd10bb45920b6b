"""Change logs: entries grouped by change-log group and indexed by datapoint path.

Entries are kept in time order and answered newest first, as in the
document's examples. A ``get`` ``changelog`` lists the entries of that one
datapoint without ``path``; ``changelogRead`` lists a whole group with ``path``.
The log is history: deleting a datapoint keeps its entries in the group, a
rename re-keys them so the log follows the datapoint.

Cap: an answer holds at most ``limit`` entries (the document's 100,000,
:data:`~dmsproto.sim.limits.MAX_CHANGELOG_ENTRIES`, 3.2.4: "limited to max.
100'000 entries"): the newest ``limit`` of the range, never refused; a client sees
the cut by the array having exactly ``limit`` entries and reads on with an earlier
``end``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .limits import MAX_CHANGELOG_ENTRIES
from .tree import AlarmInfo


@dataclass
class LogEntry:
    """One protocol or alarm entry; alarm entries carry ``state`` and ``alarm``."""

    path: str
    stamp: datetime
    text: str
    state: str | None = None
    alarm: AlarmInfo | None = None

    def to_struct(
        self, entry_type: Any, stamp_text: Callable[[datetime], str], *, with_path: bool
    ) -> Any:
        """The version's generated ``ChangelogEntry`` for this entry."""
        extra: dict[str, Any] = {"path": self.path} if with_path else {}
        alarm = self.alarm
        if self.state is not None and alarm is not None:
            extra.update(
                state=self.state, priority=alarm.priority,
                priority_bacnet=alarm.priority_bacnet, alarm_group=alarm.alarm_group,
                alarm_collect_group=alarm.alarm_collect_group, site_group=alarm.site_group,
            )
            if alarm.screen is not None:
                extra["screen"] = alarm.screen
        return entry_type(stamp=stamp_text(self.stamp), text=self.text, **extra)


@dataclass
class _Log:
    times: list[float] = field(default_factory=list)
    entries: list[LogEntry] = field(default_factory=list)

    def add(self, entry: LogEntry) -> None:
        t = entry.stamp.timestamp()
        i = bisect_right(self.times, t)
        self.times.insert(i, t)
        self.entries.insert(i, entry)

    def between(self, start: datetime, end: datetime, limit: int) -> list[LogEntry]:
        """The newest ``limit`` entries of ``[start, end]``, newest first."""
        lo = bisect_left(self.times, start.timestamp())
        hi = bisect_right(self.times, end.timestamp())
        return self.entries[max(lo, hi - limit):hi][::-1]


class ChangelogStore:
    """All change-log groups of the simulated DMS."""

    def __init__(self, groups: list[str]) -> None:
        self._groups: dict[str, _Log] = {g: _Log() for g in groups}
        self._by_path: dict[str, _Log] = {}

    def groups(self) -> list[str]:
        """The group names, in the order they were made."""
        return list(self._groups)

    def has_group(self, group: str) -> bool:
        """Whether ``group`` exists."""
        return group in self._groups

    def add(self, group: str, entry: LogEntry) -> None:
        """Log ``entry`` in ``group`` (created on first use)."""
        self._groups.setdefault(group, _Log()).add(entry)
        self._by_path.setdefault(entry.path, _Log()).add(entry)

    def read_group(self, group: str, start: datetime, end: datetime,
                   limit: int = MAX_CHANGELOG_ENTRIES) -> list[LogEntry]:
        """The entries of ``group`` from ``start`` to ``end``, at most ``limit``."""
        return self._groups[group].between(start, end, limit)

    def read_path(self, path: str, start: datetime, end: datetime,
                  limit: int = MAX_CHANGELOG_ENTRIES) -> list[LogEntry]:
        """The entries of datapoint ``path`` from ``start`` to ``end``, at most ``limit``."""
        log = self._by_path.get(path)
        return [] if log is None else log.between(start, end, limit)

    def moved(self, old: str, new: str) -> None:
        """The datapoint at ``old`` is now at ``new``: its entries follow it."""
        log = self._by_path.pop(old, None)
        if log is not None:
            for entry in log.entries:
                entry.path = new
            self._by_path[new] = log

    def deleted(self, path: str) -> None:
        """The datapoint is gone: its entries stay in the group, not under the path."""
        self._by_path.pop(path, None)
