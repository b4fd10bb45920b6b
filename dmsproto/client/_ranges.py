"""Reading a long time range as several requests: the loop around a ``RangeWalk``.

:mod:`dmsproto.protocol.ranges` decides the windows and what to keep of each
answer; this module sends one operation per window through a client's call
function and joins the kept parts into one result of the same type, in order.
A long read is many requests: when the connection is lost under one of them and
the client reconnects (a reconnect policy), the read goes on where it was cut
off, with the window that got no answer, instead of losing what it has read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any, Final, Generic, TypeVar

from msgspec import Struct

from ..errors import ConnectionLost
from ..protocol.ops import Op
from ..protocol.ranges import ProgressCallback, RangeWalk, Window, is_cut_refusal
from ..results import (
    ChangelogEntry,
    ChangelogReadResult,
    History,
    HistoryDetail,
    ItemError,
    stamp_of,
)

R = TypeVar("R")

RESUME_TRIES: Final = 3
"""How often one window is asked again after losing the connection under it, in a row:
a DMS that goes down on that very request every time is not asked forever."""

Resume = Callable[[ConnectionLost], Awaitable[None]]
"""Waits until a lost connection is back, or raises why it will not be (``lost`` itself
when the client does not reconnect)."""


class Parts(Struct, Generic[R], frozen=True):
    """How to measure one kind of answer and join the kept parts of several."""

    count: Callable[[R], int]
    stamp_at: Callable[[R, int], datetime]
    join: Callable[[list[tuple[R, int]]], R]


def _stamp(text: str | None) -> datetime:
    stamp = stamp_of(text)
    assert stamp is not None
    return stamp


def _join_history(parts: list[tuple[History, int]]) -> History:
    stamps: list[str] = []
    values: list[float] = []
    pasts = [part.past for part, _ in parts if part.past is not None]
    for part, kept in parts:
        stamps += part.stamp_texts[:kept]
        values += part.values[:kept]
    past = _join_history([(p, len(p)) for p in pasts]) if pasts else None
    return History(parts[0][0].path, stamps, values, past)


def _join_detail(parts: list[tuple[HistoryDetail, int]]) -> HistoryDetail:
    joined = HistoryDetail(parts[0][0].path)
    for part, kept in parts:
        joined += part[:kept]
        if part.past is not None:
            joined.past = (joined.past or []) + part.past
    return joined


def _join_log(parts: list[tuple[list[ChangelogEntry], int]]) -> list[ChangelogEntry]:
    return [entry for part, kept in parts for entry in part[:kept]]


def _join_group(parts: list[tuple[ChangelogReadResult, int]]) -> ChangelogReadResult:
    first = parts[0][0]
    entries = _join_log([(part.entries, kept) for part, kept in parts])
    return ChangelogReadResult(first.group, entries, first.tag)


HISTORY: Parts[History] = Parts(len, lambda h, i: _stamp(h.stamp_texts[i]), _join_history)
DETAIL: Parts[HistoryDetail] = Parts(len, lambda h, i: h[i].stamp, _join_detail)
LOG: Parts[list[ChangelogEntry]] = Parts(len, lambda log, i: log[i].stamp, _join_log)
GROUP: Parts[ChangelogReadResult] = Parts(
    lambda r: len(r.entries), lambda r, i: r.entries[i].stamp, _join_group
)


async def read_range(
    walk: RangeWalk,
    make_op: Callable[[Window], Op],
    call: Callable[[Op], Awaitable[Any]],
    parts: Parts[R],
    progress: ProgressCallback | None,
    resume: Resume,
) -> R:
    """Read every window of ``walk`` and join the answers.

    Args:
        walk: the planned read.
        make_op: the operation for one window.
        call: sends one operation and gives its value or ``ItemError``.
        parts: how to measure and join this kind of answer.
        progress: called after each answer.
        resume: after the connection was lost under a window, waits until it is
            back (then the window is asked again: a read changes nothing), or
            raises why it will not be.

    Returns:
        The joined result (the one answer itself when one request sufficed).

    Raises:
        DMSError: an item refused for another reason than the cut (or a window too
            small to split), as the single call would.
        ConnectionLost: the connection was lost and is not coming back, or was
            lost under the same window :data:`RESUME_TRIES` times in a row.
    """
    kept: list[tuple[R, int]] = []
    while (window := walk.next_window()) is not None:
        value = await _ask(make_op(window), call, resume)
        if isinstance(value, ItemError):
            if is_cut_refusal(value.code, value.message) and walk.refused():
                continue
            raise value.exception()
        answer: R = value
        keep = walk.answered(parts.count(answer), partial(parts.stamp_at, answer))
        kept.append((answer, keep))
        if progress is not None:
            progress(walk.progress)
    if len(kept) == 1 and kept[0][1] == parts.count(kept[0][0]):
        return kept[0][0]
    return parts.join(kept)


async def _ask(op: Op, call: Callable[[Op], Awaitable[Any]], resume: Resume) -> Any:
    """One window's answer, asked again on a connection that came back."""
    tries = 0
    while True:
        try:
            return await call(op)
        except ConnectionLost as lost:
            tries += 1
            if tries > RESUME_TRIES:
                raise
            await resume(lost)


__all__ = ["DETAIL", "GROUP", "HISTORY", "LOG", "RESUME_TRIES", "Parts", "Resume", "read_range"]
