"""``history``: trend data of one datapoint as a table, CSV file or PNG chart."""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from ..client import Client
from ..results import History, HistoryDetailEntry
from ..timestamps import parse_stamp
from . import exits, plot
from .output import Output, human_stamp, sparkline
from .runner import run_client
from .timeparse import HELP as TIME_HELP
from .timeparse import parse_optional, parse_time


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    h = sub.add_parser("history", parents=parents, help="read trend history",
                       description=f"Read the trend history of PATH. Times: {TIME_HELP}.")
    h.add_argument("path", metavar="PATH")
    h.add_argument("--start", required=True, metavar="TS", help="from (e.g. -1d)")
    h.add_argument("--end", metavar="TS", help="to [now]")
    h.add_argument("--interval", type=float, metavar="S",
                   help="seconds between values (0 = every recorded value) [900]")
    h.add_argument("--format", choices=("compact", "detail"), default="compact",
                   help="detail adds state and record reason")
    h.add_argument("--csv", metavar="FILE", help="write CSV to FILE ('-' = stdout)")
    h.add_argument("--plot", metavar="FILE.png", help="draw a PNG chart (needs dmsproto[plot])")
    h.set_defaults(handler=lambda a, o: run_client(run_history, a, o))


def summary(values: Sequence[float], unit: str | None) -> str:
    """``n values  min ..  max ..  mean ..`` for a status line."""
    if not values:
        return "no values"
    u = f" {unit}" if unit else ""
    mean = sum(values) / len(values)
    return (f"{len(values)} values  min {min(values):.6g}{u}  max {max(values):.6g}{u}  "
            f"mean {mean:.6g}{u}")


async def run_history(args: argparse.Namespace, client: Client, out: Output) -> int:
    start = parse_time(args.start)
    end = parse_optional(args.end)
    if args.interval is not None and args.interval < 0:
        raise exits.usage("--interval must be >= 0 seconds")
    if args.plot and not plot.available():
        raise exits.CliError(plot.INSTALL_HINT, exits.MISSING_EXTRA)
    info = await client.get(args.path, ext_infos=["unit", "name"])
    unit = info.ext_infos.unit if info.ext_infos else None
    name = info.ext_infos.name if info.ext_infos else None
    stamps: list[str]
    values: list[float]
    details: list[HistoryDetailEntry] | None = None
    if args.format == "detail":
        details = await client.history(args.path, start=start, end=end,
                                       interval=args.interval, format="detail")
        stamps = [d.stamp_text for d in details]
        values = [d.value for d in details]
    else:
        hist: History = await client.history(args.path, start=start, end=end,
                                             interval=args.interval)
        stamps, values = hist.stamp_texts, hist.values
    if args.csv:
        _write_csv(args.csv, stamps, values, details)
    if args.plot:
        title = f"{args.path}" + (f" — {name}" if name else "")
        written = plot.plot_trend(args.plot, [parse_stamp(s) for s in stamps], values,
                                  title=title, unit=unit)
        out.note(f"chart written to {written}")
    if args.csv == "-":
        return exits.OK
    if out.json_mode:
        entries: list[dict[str, Any]]
        if details is not None:
            entries = [{"stamp": d.stamp_text, "value": d.value, "state": d.state, "rec": d.rec}
                       for d in details]
        else:
            entries = [{"stamp": s, "value": v} for s, v in zip(stamps, values, strict=True)]
        out.json({"path": args.path, "unit": unit, "format": args.format, "histData": entries})
        return exits.OK
    if not (args.csv or args.plot):
        value_head = f"VALUE [{unit}]" if unit else "VALUE"
        if details is not None:
            out.table(["STAMP", value_head, "STATE", "REC"],
                      ([human_stamp(d.stamp_text), f"{d.value:g}", d.state or "", d.rec or ""]
                       for d in details), align="lr", styles=["dim"],
                      row_styles=[None if d.state in (None, "ok") else "yellow" for d in details])
        else:
            out.table(["STAMP", value_head],
                      ([human_stamp(s), f"{v:g}"] for s, v in zip(stamps, values, strict=True)),
                      align="lr", styles=["dim"])
    out.note(f"{args.path}: {summary(values, unit)}")
    if values:
        out.note(f"{human_stamp(stamps[0])} {sparkline(values)} {human_stamp(stamps[-1])}")
    return exits.OK


def _write_csv(target: str, stamps: list[str], values: list[float],
               details: list[HistoryDetailEntry] | None) -> None:
    if target == "-":
        _csv_rows(sys.stdout, stamps, values, details)
        return
    try:
        with open(target, "w", newline="", encoding="utf-8") as handle:
            _csv_rows(handle, stamps, values, details)
    except OSError as exc:
        raise exits.CliError(f"cannot write {target}: {exc.strerror}") from None


def _csv_rows(handle: TextIO, stamps: list[str], values: list[float],
              details: list[HistoryDetailEntry] | None) -> None:
    writer = csv.writer(handle)
    if details is not None:
        writer.writerow(["stamp", "value", "state", "rec"])
        writer.writerows([d.stamp_text, d.value, d.state, d.rec] for d in details)
    else:
        writer.writerow(["stamp", "value"])
        writer.writerows(zip(stamps, values, strict=True))
