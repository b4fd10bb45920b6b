"""The sans-I/O range splitter, stamp arguments and bucket alignment, against a DMS model.

The model answers a window as the DMS may: every entry whose stamp lies in it, in
its listing order, cut after ``cut`` entries or refused when there are more.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dmsproto.errors import EncodeError, ProtocolError
from dmsproto.protocol import ClientCore, ReadHistory
from dmsproto.protocol.ranges import (
    TICK,
    RangeWalk,
    Window,
    align_start,
    as_datetime,
    encode_stamp,
    is_cut_refusal,
    time_range,
)
from dmsproto.timestamps import format_server_stamp, format_stamp

T0 = datetime(2026, 11, 23, 7, 41, 2, 282000, tzinfo=timezone(timedelta(hours=1)))
NOW = datetime(2026, 11, 24, tzinfo=UTC)
Entry = tuple[datetime, int]  # (stamp, identity): equal stamps stay distinct entries
Mode = Literal["cut", "refuse"]


def answer(entries: list[Entry], window: Window, cut: int, mode: Mode,
           newest_first: bool) -> list[Entry] | None:
    """What the model DMS sends for ``window``; ``None``: refused as too many."""
    hits = [e for e in entries if window.start <= e[0] <= window.end]
    if newest_first:
        hits.reverse()
    if len(hits) > cut:
        return None if mode == "refuse" else hits[:cut]
    return hits


def read_all(entries: list[Entry], walk: RangeWalk, mode: Mode) -> tuple[list[Entry], int]:
    """Drive ``walk`` against the model; the kept entries joined, and the requests sent."""
    kept: list[Entry] = []
    requests = 0
    while (window := walk.next_window()) is not None:
        requests += 1
        got = answer(entries, window, walk.cut, mode, walk.newest_first)
        if got is None:
            if not walk.refused():
                raise LookupError("refused and cannot split")
            continue
        keep = walk.answered(len(got), lambda i, g=got: g[i][0])  # type: ignore[misc]
        kept += got[:keep]
    return kept, requests


def entries_at(offsets_ms: list[int]) -> list[Entry]:
    return [(T0 + timedelta(milliseconds=ms), n) for n, ms in enumerate(sorted(offsets_ms))]


@pytest.mark.parametrize("mode", ["cut", "refuse"])
@pytest.mark.parametrize("newest_first", [False, True])
def test_a_long_range_is_read_whole_in_order(mode: Mode, newest_first: bool) -> None:
    entries = entries_at([k * 250 for k in range(1000)] + [5000, 5000, 5000])
    end = T0 + timedelta(seconds=300)
    walk = RangeWalk(T0, end, now=NOW, cut=100, newest_first=newest_first)
    kept, requests = read_all(entries, walk, mode)
    expected = entries[::-1] if newest_first else entries
    assert kept == expected                         # ordered, nothing lost, nothing twice
    assert requests > len(entries) // 100
    assert walk.fraction == 1.0 and walk.entries == len(entries)


def test_a_short_range_is_one_request() -> None:
    entries = entries_at([0, 1000, 2000])
    walk = RangeWalk(T0, T0 + timedelta(seconds=5), now=NOW, cut=10)
    window = walk.next_window()
    assert window == Window(T0, T0 + timedelta(seconds=5))
    assert walk.answered(3, lambda i: entries[i][0]) == 3
    assert walk.next_window() is None and walk.requests == 1


def test_a_cut_answer_drops_the_entries_of_its_last_stamp() -> None:
    stamps = [T0, T0 + TICK, T0 + TICK, T0 + TICK]
    walk = RangeWalk(T0, T0 + timedelta(seconds=1), now=NOW, cut=4)
    walk.next_window()
    assert walk.answered(4, stamps.__getitem__) == 1    # the three at T0+1ms come again
    following = walk.next_window()
    assert following is not None
    assert following.start == T0 + TICK and following.continued


def test_a_cut_answer_of_one_stamp_cannot_go_on() -> None:
    walk = RangeWalk(T0, T0 + timedelta(seconds=1), now=NOW, cut=3)
    walk.next_window()
    with pytest.raises(ProtocolError, match="share the stamp"):
        walk.answered(3, lambda i: T0)


def test_a_refused_single_tick_is_the_answer() -> None:
    walk = RangeWalk(T0, T0, now=NOW, cut=3)
    walk.next_window()
    assert walk.refused() is False


def all_windows(walk: RangeWalk) -> list[Window]:
    """Every window ``walk`` asks for, each answered empty."""
    windows = []
    while (window := walk.next_window()) is not None:
        windows.append(window)
        walk.answered(0, lambda i: T0)
    return windows


def test_the_grid_is_split_beforehand_and_joins_without_gaps() -> None:
    step = timedelta(seconds=60)
    start = align_start(T0, 60)
    end = start + 1000 * step
    walk = RangeWalk(start, end, now=NOW, cut=610_000, step=step, grid_window=128)
    windows = all_windows(walk)
    assert len(windows) == 8                         # 1001 grid points, 128 a window
    assert windows[0].start == start and windows[-1].end == end
    for before, after in itertools.pairwise(windows):
        assert after.start == before.end + step      # the grid goes on, no point twice
        assert (after.start - start) % step == timedelta(0)
    assert not any(w.open_end for w in windows)


def test_a_range_ending_at_the_end_of_datetime_is_planned_without_overflow() -> None:
    step = timedelta(seconds=900)
    end = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    walk = RangeWalk(end - timedelta(days=2), end, now=NOW, cut=610_000, step=step,
                     grid_window=100)
    windows = all_windows(walk)
    assert len(windows) == 2 and windows[-1].end == end


def test_an_open_end_stays_open_on_the_last_window_only() -> None:
    step = timedelta(seconds=900)
    walk = RangeWalk(NOW - timedelta(days=30), None, now=NOW, cut=610_000, step=step,
                     grid_window=1000)
    windows = all_windows(walk)
    assert [w.open_end for w in windows] == [False, False, True]
    assert windows[-1].request_end is None and windows[0].request_end is not None


def test_progress_grows_to_one() -> None:
    entries = entries_at(list(range(0, 100_000, 37)))
    walk = RangeWalk(T0, T0 + timedelta(seconds=100), now=NOW, cut=200)
    seen = []
    while (window := walk.next_window()) is not None:
        got = answer(entries, window, walk.cut, "cut", False)
        assert got is not None
        walk.answered(len(got), lambda i, g=got: g[i][0])  # type: ignore[misc]
        seen.append(walk.fraction)
    assert seen == sorted(seen) and seen[-1] == 1.0 and 0 < seen[0] < 1


@settings(max_examples=150, deadline=None)
@given(
    offsets=st.lists(st.integers(0, 3000), max_size=120),
    cut=st.integers(2, 15),
    mode=st.sampled_from(["cut", "refuse"]),
    newest_first=st.booleans(),
)
def test_any_split_read_equals_the_whole(offsets: list[int], cut: int, mode: Mode,
                                         newest_first: bool) -> None:
    entries = entries_at(offsets)
    walk = RangeWalk(T0, T0 + timedelta(seconds=3), now=NOW, cut=cut,
                     newest_first=newest_first)
    crowded = max((offsets.count(o) for o in offsets), default=0)
    try:
        kept, _ = read_all(entries, walk, mode)
    except (ProtocolError, LookupError):
        # only when an answer's worth of entries share a single stamp
        assert crowded >= cut
        return
    assert kept == (entries[::-1] if newest_first else entries)


# --- stamps -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["-1d", "yesterday", "2026-11-23", "2026-11-23T08:00:00",
                                  "", "2026-13-01T00:00:00Z", "now"])
def test_text_that_is_no_zoned_iso_stamp_is_refused(text: str) -> None:
    with pytest.raises(EncodeError, match="ISO 8601"):
        as_datetime(text, "start", NOW)


def test_the_kinds_of_stamps() -> None:
    assert as_datetime(timedelta(days=-1), "start", NOW) == NOW - timedelta(days=1)
    assert as_datetime("2026-11-23T08:00:00,123+01:00", "start", NOW) == datetime(
        2026, 11, 23, 7, 0, 0, 123000, tzinfo=UTC)
    assert as_datetime("2026-11-23T07:00Z", "start", NOW).hour == 7
    with pytest.raises(EncodeError, match="naive"):
        as_datetime(datetime(2026, 1, 1), "start", NOW)
    with pytest.raises(EncodeError, match="timedelta"):
        as_datetime(1700000000, "start", NOW)  # type: ignore[arg-type]
    assert encode_stamp(timedelta(hours=-1), now=NOW) == "2026-11-23T23:00:00,000Z"


def test_end_before_start_is_refused() -> None:
    with pytest.raises(EncodeError, match="before start"):
        time_range(NOW, NOW - TICK, NOW)
    with pytest.raises(EncodeError, match=r"timedelta\(days=-1\)"):
        time_range(timedelta(days=1), NOW, NOW)
    assert time_range(timedelta(hours=-1), None, NOW) == (NOW - timedelta(hours=1), None)


@given(st.text(max_size=40))
def test_any_text_is_a_time_or_an_encode_error(text: str) -> None:
    try:
        value = as_datetime(text, "start", NOW)
    except EncodeError:
        return
    assert value.tzinfo is not None


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2999, 1, 1),
                    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)),
                                               timezone(timedelta(hours=-8))])))
def test_stamps_written_either_way_read_back(value: datetime) -> None:
    exact = value.replace(microsecond=value.microsecond // 1000 * 1000)
    for write in (format_stamp, format_server_stamp):
        assert as_datetime(write(exact), "start", NOW) == exact


# --- buckets ------------------------------------------------------------------------


def test_buckets_align_to_round_times() -> None:
    assert align_start(T0, 900) == T0.replace(minute=30, second=0, microsecond=0)
    assert align_start(T0, 3600) == T0.replace(minute=0, second=0, microsecond=0)
    assert align_start(T0, 86400) == T0.replace(hour=0, minute=0, second=0, microsecond=0)
    assert align_start(T0, 0) == T0
    india = datetime(2026, 11, 23, 10, 41, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert align_start(india, 3600) == india.replace(minute=0)   # the local full hour
    week = align_start(T0, 7 * 86400)                              # no day divisor: epoch
    assert week.timestamp() % (7 * 86400) == 0 and week <= T0 < week + timedelta(days=7)
    aligned = align_start(T0, 900)
    assert align_start(aligned, 900) == aligned and aligned.utcoffset() == T0.utcoffset()


def test_only_a_refusal_that_speaks_of_the_limit_counts() -> None:
    assert is_cut_refusal("error", "histData exceeds 610'000 entries: refine start/end")
    assert is_cut_refusal("error", "Too many entries")
    assert not is_cut_refusal("error", "Path not found")
    assert not is_cut_refusal("not found", "exceeds")
    assert not is_cut_refusal("error", None)



@pytest.mark.parametrize("interval", [1e30, 10**20, 2**31])
def test_an_interval_beyond_the_calendar_is_refused_in_our_words(interval: float) -> None:
    with pytest.raises(EncodeError, match="interval must be at most"):
        align_start(T0, interval)
    with pytest.raises(EncodeError, match="interval must be at most"):
        ClientCore().start_call([ReadHistory("A", T0, None, interval)])
