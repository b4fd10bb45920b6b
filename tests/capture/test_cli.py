"""``dmsproto validate``: options, output formats and the documented exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from dmsproto.capture.cli import (
    EXIT_CLEAN,
    EXIT_INPUT,
    EXIT_NO_TSHARK,
    EXIT_VIOLATIONS,
    run_validate,
)
from dmsproto.cli.progress import ProgressBar, on_terminal
from tests.support.capture import FIXTURES, cli, require_tshark


def test_clean_capture_exits_0() -> None:
    code, out, err = cli(str(FIXTURES / "clean.jsonl"))
    assert code == EXIT_CLEAN == 0
    assert "clean: no violations" in out
    assert err == ""


def test_violations_exit_1_with_text_report() -> None:
    require_tshark()
    code, out, _ = cli(str(FIXTURES / "broken.pcapng"), "--max-examples", "1")
    assert code == EXIT_VIOLATIONS == 1
    assert "9 errors, 2 warnings in 10 rules" in out
    assert "  whois (warning): 2, first 1" in out
    assert "  path-echo (error): 1" in out
    assert f"{FIXTURES / 'broken.pcapng'}:frame 8 " in out
    assert "/get/0/colour = \"red\"" in out


def test_json_report_is_machine_readable() -> None:
    code, out, _ = cli(str(FIXTURES / "broken.har"), "--format", "json", "--max-examples", "0")
    assert code == 1
    doc = json.loads(out)
    assert doc["violations"] == 11 and doc["clean"] is False
    assert (doc["errors"], doc["warnings"]) == (9, 2)
    assert doc["counts"]["send"]["get"] == 6
    rules = {r["rule"]: r for r in doc["rules"]}
    assert rules["whois"]["count"] == 2 and rules["whois"]["examples"] == []
    assert rules["whois"]["severity"] == "warning" and rules["json"]["severity"] == "error"
    # errors first, then warnings; within each the most frequent first
    assert [r["severity"] for r in doc["rules"]] == ["error"] * 9 + ["warning"]


def test_keyword_call_and_json_example_fields() -> None:
    out = io.StringIO()
    code = run_validate(files=[str(FIXTURES / "broken.jsonl")], format="json", stdout=out)
    assert code == 1
    [example] = next(r for r in json.loads(out.getvalue())["rules"]
                     if r["rule"] == "item-count")["examples"]
    assert example == {"position": f"{FIXTURES / 'broken.jsonl'}:16",
                       "time": example["time"], "dir": "recv", "pointer": "/get", "value": 2,
                       "message": "2 response items for 1 request item"}


def test_input_errors_exit_2(tmp_path: Path) -> None:
    code, out, err = cli(str(tmp_path / "missing.jsonl"))
    assert (code, out) == (EXIT_INPUT, "")
    assert "cannot read" in err
    code, _, err = cli(str(FIXTURES / "clean.jsonl"), "--protocol", "9.9")
    assert code == 2 and "unknown protocol" in err
    assert run_validate(files=[], stderr=io.StringIO()) == 2


def test_missing_tshark_exits_3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    code, out, err = cli(str(FIXTURES / "clean.pcapng"))
    assert (code, out) == (EXIT_NO_TSHARK, "")
    assert "needs tshark" in err


def test_progress_bar_only_on_a_terminal() -> None:
    _, _, err = cli(str(FIXTURES / "clean.jsonl"))
    assert err == ""  # StringIO is no terminal

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    assert on_terminal(tty) and not on_terminal(io.StringIO())
    bar = ProgressBar(tty, interval=0)
    bar.capture(50, 100, 7)
    bar.close()
    assert "50%" in tty.getvalue() and "7 messages" in tty.getvalue()
    assert tty.getvalue().endswith("\r\x1b[2K")
