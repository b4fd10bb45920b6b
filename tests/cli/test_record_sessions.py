"""``--record FILE``: each command adds its session to the capture, so a series of commands
is one capture that validates clean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dmsproto.capture import validate_files
from tests.support.cli import cli_env, run


def test_a_series_of_commands_is_one_capture(server: Any, tmp_path: Path) -> None:
    capture = tmp_path / "series.jsonl"
    env = cli_env(DMSPROTO_RECORD=str(capture))
    first = run("get", "Test:Int", "--url", server.url, env=env)
    second = run("get", "Test:Double", "--url", server.url, "--record", str(capture))
    assert first.returncode == second.returncode == 0, (first.stderr, second.stderr)
    lines = [json.loads(x) for x in capture.read_text().splitlines()]
    assert ["session" in x for x in lines] == [True, False, False, True, False, False]
    assert lines[0]["label"] == lines[3]["label"] == "dmsproto get"  # who recorded
    report = validate_files([capture])
    assert report.clean, report.to_text()
    assert (report.sessions, report.messages) == (2, 4)
    checked = run("validate", str(capture))
    assert checked.returncode == 0 and "2 recording sessions" in checked.stdout


def test_record_truncate_starts_the_capture_afresh(server: Any, tmp_path: Path) -> None:
    capture = tmp_path / "fresh.jsonl"
    capture.write_text('{"time": 0, "dir": "send", "data": "left from before"}\n')
    kept = run("get", "Test:Int", "--url", server.url, "--record", str(capture))
    assert kept.returncode == 0, kept.stderr
    assert "left from before" in capture.read_text()
    unwritable = run("get", "Test:Int", "--url", server.url, "--record",
                     str(tmp_path / "missing" / "x.jsonl"))
    assert unwritable.returncode == 2 and "cannot write the recording" in unwritable.stderr
    fresh = run("get", "Test:Int", "--url", server.url, "--record", str(capture),
                "--record-truncate")
    assert fresh.returncode == 0, fresh.stderr
    lines = [json.loads(x) for x in capture.read_text().splitlines()]
    assert ["session" in x for x in lines] == [True, False, False]
    env = cli_env(DMSPROTO_RECORD=str(capture), DMSPROTO_RECORD_TRUNCATE="1")
    again = run("get", "Test:Double", "--url", server.url, env=env)
    assert again.returncode == 0, again.stderr
    assert len(capture.read_text().splitlines()) == 3
    assert "Test:Double" in capture.read_text()
