"""``history``: trend data of one or more datapoints as a table, CSV file or PNG chart.

Buckets: with an interval (``--interval``, the DMS's default 900 s) the values lie
on a grid that starts at ``--start``, so ``--start`` is first moved back to an
interval boundary (:func:`dmsproto.protocol.ranges.align_start`: multiples of the
interval from midnight, for intervals that divide a day; from the Unix epoch
otherwise); ``--no-align`` keeps it as given.  Every path gets the same grid, so
the wide form lines them up.

CSV stamps are ISO 8601 with ``T``, a ``.`` before the milliseconds and the
DMS's offset (``2026-11-23T07:45:00.000+01:00``), which spreadsheets and pandas
read as times; ``--utc`` writes UTC (``...Z``); ``--excel`` writes this
machine's local time without zone (``2026-11-23 07:45:00.000``), the form Excel
turns into a date-time cell.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from ..client import Client
from ..errors import DMSError
from ..protocol.ranges import DEFAULT_INTERVAL, align_start
from ..results import History, HistoryDetail, ItemError, Point
from ..tables import epoch_ms
from ..timestamps import parse_stamp
from ..wording import count
from . import exits, plot
from .connection import READ_RECONNECT
from .output import Output, human_datetime, human_stamp, sparkline
from .progress import ProgressBar
from .runner import run_client
from .timeparse import HELP as TIME_HELP
from .timeparse import parse_optional, parse_time

STEP_TYPES = ("bool", "int")
"""Datapoint types whose history is drawn as steps (a value holds until the next)."""


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``history`` subcommand and its flags to the command line."""
    h = sub.add_parser(
        "history", parents=parents, help="read trend history",
        description=f"Read the trend history of one or more PATHs. Times: {TIME_HELP}. "
        "--start is moved back to an interval boundary (900 s: the quarter hour; 3600 s: "
        "the hour; 86400 s: midnight) unless --no-align. Long ranges are read in several "
        "requests (a progress bar on a terminal).")
    h.add_argument("paths", nargs="+", metavar="PATH")
    h.add_argument("--start", required=True, metavar="TS", help="from (e.g. -1d)")
    h.add_argument("--end", metavar="TS", help="to [now]")
    h.add_argument("--interval", type=float, metavar="S",
                   help=f"seconds between values (0 = every recorded value) [{DEFAULT_INTERVAL}]")
    h.add_argument("--no-align", dest="align", action="store_false",
                   help="keep --start as given instead of on an interval boundary")
    h.add_argument("--format", choices=("compact", "detail"), default="compact",
                   help="detail adds state and record reason")
    h.add_argument("--csv", metavar="FILE",
                   help="write CSV to FILE ('-' = stdout): path,stamp,value,unit per row")
    h.add_argument("--wide", action="store_true",
                   help="CSV and table with one column per PATH (stamp,PATH,PATH,...)")
    stamps = h.add_mutually_exclusive_group()
    stamps.add_argument("--utc", action="store_const", const="utc", dest="stamps",
                        help="CSV stamps in UTC (...Z) instead of the DMS's offset")
    stamps.add_argument("--excel", action="store_const", const="excel", dest="stamps",
                        help="CSV stamps in this machine's local time without zone, as "
                        "Excel reads them (2026-11-23 07:45:00.000)")
    h.add_argument("--plot", metavar="FILE.png", help="draw a PNG chart (needs dmsproto[plot])")
    h.set_defaults(handler=lambda a, o: run_client(run_history, a, o, reconnect=READ_RECONNECT),
                   stamps="iso")


@dataclass(frozen=True, slots=True)
class Trend:
    """One path's history with what the output needs beside it."""

    path: str
    unit: str | None
    name: str | None
    type: str | None
    history: History | HistoryDetail

    @property
    def stamp_texts(self) -> list[str]:
        """The entries' timestamps as the DMS wrote them."""
        h = self.history
        return h.stamp_texts if isinstance(h, History) else [e.stamp_text for e in h]

    @property
    def values(self) -> list[float]:
        """The entries' values, in the same order."""
        h = self.history
        return h.values if isinstance(h, History) else [e.value for e in h]


def summary(values: Sequence[float], unit: str | None) -> str:
    """``n values  min ..  max ..  mean ..`` for a status line."""
    if not values:
        return "no values"
    u = f" {unit}" if unit else ""
    mean = sum(values) / len(values)
    return (f"{count(len(values), 'value')}  min {min(values):.6g}{u}  max {max(values):.6g}{u}  "
            f"mean {mean:.6g}{u}")


def stamp_writer(kind: str) -> Callable[[str], str]:
    """How CSV cells show a DMS stamp: ``iso`` (its offset), ``utc`` or ``excel``."""
    if kind == "utc":
        return lambda text: _parse(text).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[
            :-3] + "Z"
    if kind == "excel":
        return lambda text: _parse(text).astimezone().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return lambda text: text.replace(",", ".", 1)


def _parse(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)  # the DMS's form, quickly
    except ValueError:
        return parse_stamp(text)


def _times(args: argparse.Namespace) -> tuple[datetime, datetime | None]:
    start = parse_time(args.start)
    end = parse_optional(args.end)
    if end is not None and end < start:
        raise exits.usage(f"--end {human_datetime(end)} lies before --start "
                          f"{human_datetime(start)}")
    if args.interval is not None and args.interval < 0:
        raise exits.usage("--interval must be >= 0 seconds")
    interval = DEFAULT_INTERVAL if args.interval is None else args.interval
    if args.align and interval:
        start = align_start(start, interval)
    return start, end


async def run_history(args: argparse.Namespace, client: Client, out: Output) -> int:
    """``dmsproto history``: print or export a datapoint's history (and plot it)."""
    start, end = _times(args)
    if args.plot and not plot.available():
        raise exits.CliError(plot.INSTALL_HINT, exits.MISSING_EXTRA)
    if args.wide and args.format == "detail":
        raise exits.usage("--wide shows values only: leave out --format detail")
    paths = list(dict.fromkeys(args.paths))
    infos = await client.get_many(paths, ext_infos=["unit", "name"])
    failed = [i for i in infos if isinstance(i, ItemError)]
    if failed:
        for error in failed:
            out.note(f"dmsproto: {error.code} {error.path!r}: {error.message or ''}".rstrip())
        tried = count(len(paths), "path")
        raise exits.CliError(f"no history read: {len(failed)} of {tried} failed",
                             exits.code_for_item(failed[0].code))
    trends = []
    for path, info in zip(paths, infos, strict=True):
        assert isinstance(info, Point)
        bar = ProgressBar(out.err, path)
        try:
            history = await client.history(path, start=start, end=end, interval=args.interval,
                                           format=args.format, progress=bar.read)
        except DMSError as exc:
            raise exits.CliError(f"{path}: {exc}", exits.exit_code(exc)) from None
        finally:
            bar.close()
        ext = info.ext_infos
        trends.append(Trend(path, ext.unit if ext else None, ext.name if ext else None,
                            info.type, history))
    if args.csv:
        with _csv_target(args.csv) as handle:
            write = stamp_writer(args.stamps)
            if args.wide:
                write_wide(handle, trends, write)
            else:
                write_long(handle, trends, write)
    if args.plot:
        written = _plot(args.plot, trends)
        out.note(f"chart written to {written}")
    if args.csv == "-":
        return exits.OK
    if out.json_mode:
        docs = [_json(t, args.format) for t in trends]
        out.json(docs[0] if len(docs) == 1 else docs)
        return exits.OK
    if not (args.csv or args.plot):
        _table(out, trends, wide=args.wide or len(trends) > 1)
    for trend in trends:
        values = trend.values
        out.note(f"{trend.path}: {summary(values, trend.unit)}")
        if values:
            stamps = trend.stamp_texts
            out.note(f"{human_stamp(stamps[0])} {sparkline(values)} {human_stamp(stamps[-1])}")
    return exits.OK


def _json(trend: Trend, fmt: str) -> dict[str, Any]:
    history = trend.history
    entries: list[dict[str, Any]]
    if isinstance(history, HistoryDetail):
        entries = [{"stamp": d.stamp_text, "value": d.value, "state": d.state, "rec": d.rec}
                   for d in history]
    else:
        entries = [{"stamp": s, "value": v}
                   for s, v in zip(history.stamp_texts, history.values, strict=True)]
    return {"path": trend.path, "unit": trend.unit, "format": fmt, "histData": entries}


def _table(out: Output, trends: list[Trend], *, wide: bool) -> None:
    if wide:
        heads = [f"{t.path} [{t.unit}]" if t.unit else t.path for t in trends]
        rows = [[human_stamp(stamp), *("" if v is None else f"{v:g}" for v in cells)]
                for stamp, cells in _joined(trends)]
        out.table(["STAMP", *heads], rows, align="l" + "r" * len(trends), styles=["dim"])
        return
    (trend,) = trends
    history = trend.history
    value_head = f"VALUE [{trend.unit}]" if trend.unit else "VALUE"
    if isinstance(history, HistoryDetail):
        out.table(["STAMP", value_head, "STATE", "REC"],
                  ([human_stamp(d.stamp_text), f"{d.value:g}", d.state or "", d.rec or ""]
                   for d in history), align="lr", styles=["dim"],
                  row_styles=[None if d.state in (None, "ok") else "yellow" for d in history])
    else:
        out.table(["STAMP", value_head],
                  ([human_stamp(s), f"{v:g}"]
                   for s, v in zip(history.stamp_texts, history.values, strict=True)),
                  align="lr", styles=["dim"])


def _joined(trends: list[Trend]) -> list[tuple[str, list[float | None]]]:
    """Rows of the wide form: every instant any path has, in time order, one cell a path.

    Instants are compared in UTC milliseconds (the stamp text of the first path that
    has one is shown).
    """
    rows: dict[int, tuple[str, list[float | None]]] = {}
    for column, trend in enumerate(trends):
        texts = trend.stamp_texts
        for ms, text, value in zip(epoch_ms(texts), texts, trend.values, strict=True):
            assert ms is not None
            row = rows.get(ms)
            if row is None:
                row = rows[ms] = (text, [None] * len(trends))
            row[1][column] = value
    return [rows[ms] for ms in sorted(rows)]


@contextmanager
def _csv_target(target: str) -> Iterator[TextIO]:
    if target == "-":
        yield sys.stdout
        return
    try:
        with open(target, "w", newline="", encoding="utf-8") as handle:
            yield handle
    except OSError as exc:
        raise exits.CliError(f"cannot write {target}: {exc.strerror}") from None


def write_long(handle: TextIO, trends: list[Trend], stamp: Callable[[str], str]) -> None:
    """``path,stamp,value,unit`` (and ``state,rec`` for detail), one row per value."""
    writer = csv.writer(handle, lineterminator="\n")
    detail = any(isinstance(t.history, HistoryDetail) for t in trends)
    writer.writerow(["path", "stamp", "value", "unit"] + (["state", "rec"] if detail else []))
    for trend in trends:
        unit = trend.unit or ""
        history = trend.history
        if isinstance(history, HistoryDetail):
            writer.writerows([trend.path, stamp(d.stamp_text), d.value, unit, d.state or "",
                              d.rec or ""] for d in history)
        else:
            writer.writerows([trend.path, stamp(s), v, unit]
                             for s, v in zip(history.stamp_texts, history.values, strict=True))


def write_wide(handle: TextIO, trends: list[Trend], stamp: Callable[[str], str]) -> None:
    """``stamp,PATH,PATH,...``: one row per instant, empty cells where a path has none."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(["stamp", *(t.path for t in trends)])
    writer.writerows([stamp(text), *("" if v is None else v for v in cells)]
                     for text, cells in _joined(trends))


def _plot(target: str, trends: list[Trend]) -> Any:
    series = [plot.Series(t.path, [parse_stamp(s) for s in t.stamp_texts], t.values, t.unit,
                          steps=t.type in STEP_TYPES) for t in trends]
    first = trends[0]
    title = first.path + (f" — {first.name}" if first.name else "") if len(trends) == 1 else (
        ", ".join(t.path for t in trends))
    return plot.plot_series(target, series, title=title)
