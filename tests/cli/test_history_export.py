"""``dmsproto history`` for exports: many paths, long and wide CSV, stamps, buckets, progress."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from dmsproto.cli import exits
from tests.support.cli import WORKDIR, Server, cli_env, run, run_many, shut_down, start_server

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FLOW, PUMP = "Plant:HC1:TempFlow", "Plant:HC1:Pump:Cmd"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")
UTC_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
EXCEL = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$")


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_many_paths_long_csv_on_quarter_hours(server: Server, tmp_path: Path) -> None:
    target = tmp_path / "export.csv"
    result = run("history", FLOW, PUMP, "--start", "-6h", "--csv", str(target),
                 "--url", server.url)
    assert result.returncode == 0, result.stderr
    rows = rows_of(target.read_text(encoding="utf-8"))
    assert rows[0] == ["path", "stamp", "value", "unit"]
    by_path: dict[str, list[list[str]]] = {}
    for row in rows[1:]:
        by_path.setdefault(row[0], []).append(row)
    assert list(by_path) == [FLOW, PUMP]
    assert 20 <= len(by_path[FLOW]) <= 25 and len(by_path[PUMP]) == len(by_path[FLOW])
    assert {r[3] for r in by_path[FLOW]} == {"°C"} and {r[3] for r in by_path[PUMP]} == {""}
    for row in rows[1:]:
        assert ISO.match(row[1]), row
        stamp = datetime.fromisoformat(row[1])
        assert (stamp.minute % 15, stamp.second, stamp.microsecond) == (0, 0, 0)  # aligned
    assert [r[1] for r in by_path[FLOW]] == [r[1] for r in by_path[PUMP]]   # one grid
    assert {float(r[2]) for r in by_path[PUMP]} <= {0.0, 1.0}
    frame = pd.read_csv(target, parse_dates=["stamp"])   # pandas reads the stamps as times
    assert str(frame["stamp"].dtype).startswith("datetime64")
    assert "summary" not in result.stdout and f"{FLOW}: " in result.stderr


def test_wide_csv_in_utc_and_excel_local_times(server: Server) -> None:
    wide, excel = run_many(
        ("history", FLOW, PUMP, "--start", "-3h", "--interval", "3600", "--wide", "--utc",
         "--csv", "-", "--url", server.url),
        ("history", FLOW, PUMP, "--start", "-3h", "--interval", "3600", "--wide", "--excel",
         "--csv", "-", "--url", server.url),
        env=cli_env(TZ="Asia/Kolkata"))
    assert wide.returncode == 0 and excel.returncode == 0, wide.stderr + excel.stderr
    rows, local = rows_of(wide.stdout), rows_of(excel.stdout)
    assert rows[0] == local[0] == ["stamp", FLOW, PUMP]
    assert 2 <= len(rows) - 1 <= 4 and len(local) == len(rows)
    for utc_row, local_row in zip(rows[1:], local[1:], strict=True):
        assert UTC_STAMP.match(utc_row[0]) and EXCEL.match(local_row[0])
        instant = datetime.fromisoformat(utc_row[0])
        shown = datetime.fromisoformat(local_row[0])                    # Kolkata: +05:30
        assert shown == (instant + timedelta(hours=5, minutes=30)).replace(tzinfo=None)
        assert (shown.minute, instant.minute) == (0, 30)    # the full hour where one works
        assert utc_row[1:] == local_row[1:] and all(utc_row[1:])


def test_start_kept_as_given_and_json_of_several(server: Server) -> None:
    loose, as_json = run_many(
        ("history", FLOW, "--start", "-2h", "--no-align", "--interval", "600", "--csv", "-",
         "--url", server.url),
        ("history", FLOW, PUMP, "--start", "-1h", "--json", "--url", server.url))
    stamps = [datetime.fromisoformat(r[1]) for r in rows_of(loose.stdout)[1:]]
    assert stamps and not all(s.second == 0 and s.microsecond == 0 for s in stamps)
    docs = json.loads(as_json.stdout)
    assert [d["path"] for d in docs] == [FLOW, PUMP] and docs[0]["unit"] == "°C"


def test_end_before_start_and_other_usage_errors(server: Server) -> None:
    backwards, wide_detail, missing = run_many(
        ("history", FLOW, "--start", "-1h", "--end", "-2h", "--url", server.url),
        ("history", FLOW, "--start", "-1h", "--wide", "--format", "detail", "--url",
         server.url),
        ("history", FLOW, "Plant:Nothing", "--start", "-1h", "--url", server.url))
    assert backwards.returncode == exits.USAGE
    assert "--end" in backwards.stderr and "before --start" in backwards.stderr
    assert "values" not in backwards.stdout + backwards.stderr
    assert wide_detail.returncode == exits.USAGE
    assert missing.returncode == exits.NOT_FOUND and "Plant:Nothing" in missing.stderr


def test_a_chart_of_several_paths(server: Server, tmp_path: Path) -> None:
    target = tmp_path / "both.png"
    result = run("history", FLOW, PUMP, "--start", "-1d", "--plot", str(target),
                 "--url", server.url)
    assert result.returncode == 0, result.stderr
    assert target.read_bytes().startswith(PNG_SIGNATURE)


def _run_on_terminal(*args: str) -> tuple[int, str]:
    """The command with stderr on a pseudo-terminal; its exit code and what it drew there."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "dmsproto", *args], stderr=follower,
                               stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                               env=cli_env(), cwd=WORKDIR)
    os.close(follower)
    drawn = b""
    try:
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:   # the other end closed: the command is done
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(leader)
        process.wait(timeout=60)
    return process.returncode, drawn.decode("utf-8", "replace")


def test_progress_bar_on_a_terminal_only(server: Server, tmp_path: Path) -> None:
    long_read = ("history", FLOW, "--start", "-30h", "--interval", "1", "--csv",
                 str(tmp_path / "seconds.csv"), "--url", server.url)
    code, drawn = _run_on_terminal(*long_read)   # 108,000 grid points: two requests
    assert code == 0, drawn
    assert f"\r{FLOW} [" in drawn and "100%" in drawn and "2 requests" in drawn
    assert "\x1b[2K" in drawn                                  # erased before the summary
    piped = run(*long_read, timeout=60)
    assert piped.returncode == 0 and "\r" not in piped.stderr and "%" not in piped.stderr
    assert datetime.now(UTC) > datetime.fromisoformat(
        rows_of((tmp_path / "seconds.csv").read_text(encoding="utf-8"))[-1][1])


def test_a_change_log_read_goes_on_after_the_connection_was_lost_under_it() -> None:
    server = start_server("--tick", "0", "--fault", "drop-before:changelogRead")
    try:
        lost = run("changelog", "read", "ALARMS", "--start", "-7d", "--json", "--url", server.url)
        again = run("changelog", "read", "ALARMS", "--start", "-7d", "--json", "--url", server.url)
    finally:
        shut_down(server)
    assert lost.returncode == 0, lost.stderr
    assert json.loads(lost.stdout) == json.loads(again.stdout)
    assert "connection to" in lost.stderr and "lost" in lost.stderr  # said, not hidden
