"""``--record FILE``: each command adds its session to the capture, so a series of commands
is one capture that validates clean; truncation starts it afresh."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from cli_support import cli_env, run

from dmsproto.capture import validate_files
from dmsproto.cli.runner import start_recording


def test_a_series_of_commands_is_one_capture(server: Any, tmp_path: Path) -> None:
    capture = tmp_path / "series.jsonl"
    env = cli_env(DMSPROTO_RECORD=str(capture))
    first = run("get", "Test:Int", "--url", server.url, env=env)
    second = run("get", "Test:Double", "--url", server.url, "--record", str(capture))
    assert first.returncode == second.returncode == 0, (first.stderr, second.stderr)
    lines = [json.loads(x) for x in capture.read_text().splitlines()]
    assert ["session" in x for x in lines] == [True, False, False, True, False, False]
    report = validate_files([capture])
    assert report.clean, report.to_text()
    assert (report.sessions, report.messages) == (2, 4)
    checked = run("validate", str(capture))
    assert checked.returncode == 0 and "2 recording sessions" in checked.stdout


def test_truncation_starts_the_capture_afresh(tmp_path: Path) -> None:
    capture = tmp_path / "c.jsonl"
    capture.write_text('{"time": 1, "dir": "send", "data": "{}"}\n')
    start_recording(SimpleNamespace(record=str(capture)))  # type: ignore[arg-type]
    assert capture.read_text() != ""  # appending is the default
    start_recording(SimpleNamespace(record=str(capture), record_truncate=True))  # type: ignore[arg-type]
    assert capture.read_text() == ""
