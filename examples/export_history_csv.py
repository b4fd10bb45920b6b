"""Export a week of trend history of several datapoints to one CSV file.

The datapoints are read concurrently (one task each, on one connection) and written
side by side, one row per timestamp:

    dmsproto serve
    python examples/export_history_csv.py week.csv

``DMSPROTO_URL`` points it at another DMS (default ``ws://127.0.0.1:9020/json_data``).
"""

from __future__ import annotations

import csv
import os
import sys
from datetime import UTC, datetime, timedelta

import trio

import dmsproto
from dmsproto import History

URL = os.environ.get("DMSPROTO_URL", "ws://127.0.0.1:9020/json_data")
PATHS = ["Plant:AHU1:TempOutdoor", "Plant:AHU1:TempSupply", "Plant:HC1:TempFlow",
         "Plant:Boiler:Pressure"]


async def read_week(paths: list[str]) -> dict[str, History]:
    end = datetime.now(UTC)
    start = end - timedelta(days=7)
    trends: dict[str, History] = {}
    async with dmsproto.connect(URL) as dms:

        async def read(path: str) -> None:
            # interval: one value per hour (the DMS averages; 0 = every recorded value)
            trends[path] = await dms.history(path, start=start, end=end, interval=3600)

        async with trio.open_nursery() as nursery:
            for path in paths:
                nursery.start_soon(read, path)
    return {path: trends[path] for path in paths}  # in the order asked for


def write_csv(filename: str, trends: dict[str, History]) -> int:
    """One column per datapoint; a datapoint without a value at a stamp leaves it empty."""
    rows: dict[str, dict[str, float]] = {}
    for path, trend in trends.items():
        for stamp, value in zip(trend.stamp_texts, trend.values, strict=True):
            rows.setdefault(stamp, {})[path] = value
    # stamp_texts are the DMS's own text; sort by the parsed time, not the text
    ordered = sorted(rows, key=dmsproto.parse_stamp)
    with open(filename, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["stamp", *trends])
        for stamp in ordered:
            writer.writerow([dmsproto.parse_stamp(stamp).isoformat(),
                             *(rows[stamp].get(path, "") for path in trends)])
    return len(ordered)


def main() -> None:
    filename = sys.argv[1] if len(sys.argv) > 1 else "history.csv"
    trends = trio.run(read_week, PATHS)
    rows = write_csv(filename, trends)
    for path, trend in trends.items():
        print(f"{path}: {len(trend)} values")
    print(f"wrote {rows} rows to {filename}")


if __name__ == "__main__":
    main()
