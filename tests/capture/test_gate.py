"""``dmsproto validate`` as a CI gate: severities and exit codes, captures without DMS
messages, and the two field clients' traffic (binary frames, a non-default port)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dmsproto.capture import validate_files
from dmsproto.validation import RULES
from tests.support.capture import FIXTURES, cli, require_tshark

FIELD_FORMATS = ["jsonl", "har", "pcapng"]
#: the field clients' traffic: no error; these warnings, each once per sending
FIELD_WARNINGS = {"binary-frame": 3, "empty-command": 2, "changelog-groups-item": 1}


@pytest.mark.parametrize("fmt", FIELD_FORMATS)
def test_field_clients_give_warnings_only_in_every_format(fmt: str) -> None:
    if fmt == "pcapng":
        require_tshark()  # port 19020: found from the WebSocket handshakes
    report = validate_files([FIXTURES / f"field.{fmt}"])
    assert report.errors == 0, report.to_text()
    assert {g.rule: g.count for g in report.rules.values()} == FIELD_WARNINGS
    assert report.messages == 30 and report.counts["recv", "event"] == 2
    assert report.notes == []


def test_field_binary_frames_are_the_node_red_ones() -> None:
    report = validate_files([FIXTURES / "field.har"])
    positions = [e.position for e in report.examples("binary-frame")]
    assert all("/log/entries/2/" in p for p in positions)  # the Node-RED connection


def test_warnings_pass_unless_strict() -> None:
    code, out, err = cli(str(FIXTURES / "field.jsonl"))
    assert (code, err) == (0, "")
    assert "0 errors, 6 warnings in 3 rules" in out
    assert "  binary-frame (warning): 3" in out
    code, _, _ = cli(str(FIXTURES / "field.jsonl"), "--strict")
    assert code == 1
    code, out, _ = cli(str(FIXTURES / "field.jsonl"), "--format", "json", "--max-examples", "0")
    doc = json.loads(out)
    assert (doc["errors"], doc["warnings"], doc["sessions"]) == (0, 6, 1)
    assert {r["rule"]: r["severity"] for r in doc["rules"]} == dict.fromkeys(
        FIELD_WARNINGS, "warning")


def test_clean_capture_passes_strict() -> None:
    assert cli(str(FIXTURES / "clean.jsonl"), "--strict")[0] == 0


@pytest.mark.parametrize("content", ["", "\n\n", '{"time": 1, "session": "x"}\n'])
def test_capture_without_dms_messages_exits_2(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text(content)
    code, out, err = cli(str(path))
    assert code == 2
    assert f"no DMS messages in {path}" in err
    # the report agrees with the exit code
    assert "clean: no violations" not in out and f"no DMS messages in {path}" in out
    code, out, _ = cli(str(path), "--format", "json")
    assert code == 2
    doc = json.loads(out)
    assert doc["clean"] is False and doc["empty_files"] == [str(path)]


def test_har_without_dms_entries_exits_2_and_names_the_base_path(tmp_path: Path) -> None:
    path = tmp_path / "other.har"
    path.write_text(json.dumps({"log": {"entries": [
        {"request": {"method": "GET", "url": "wss://chat.example/socket"},
         "_webSocketMessages": [{"type": "send", "time": 1, "opcode": 1, "data": "{}"}]}]}}))
    code, _, err = cli(str(path))
    assert code == 2 and "entries to /json_data" in err
    code, out, _ = cli(str(path), "--base-path", "/socket")
    assert code == 1 and "frame (error)" in out  # now it is read: {} holds no command


def test_one_empty_file_among_several_exits_2(tmp_path: Path) -> None:
    empty = tmp_path / "e.jsonl"
    empty.write_text("")
    code, out, err = cli(str(FIXTURES / "clean.jsonl"), str(empty))
    assert code == 2 and str(empty) in err and "17 messages" in out
    assert "clean: no violations" not in out
    assert out.rstrip().endswith(f"no violations; no DMS messages in {empty}")


def test_pcap_without_handshake_says_which_port_it_assumed() -> None:
    require_tshark()
    path = FIXTURES / "field-nohandshake.pcapng"
    report = validate_files([path])  # the first connection's handshake is cut off
    assert report.messages == 7  # only the second connection, whose handshake is there
    assert report.notes == [f"{path}: 23 WebSocket messages on other ports without a captured "
                            "handshake were left out (--port names the DMS port)"]
    code, out, _ = cli(str(path), "--port", "19020")
    assert code == 0 and "30 messages" in out
    assert "taken as DMS traffic by port 19020 (--port)" in out


def test_rules_list_names_severity_and_placement() -> None:
    code, out, _ = cli("--list-rules", "--protocol", "1.3")
    assert code == 0
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()
            if line and not line.startswith(" ") and not line.startswith("JSON")}
    assert set(rows) == set(RULES)
    assert rows["path-length"] == ["error", "request"]
    assert rows["stamp-form"] == ["warning", "response,", "event"]
    assert rows["changelog-groups-item"][:2] == ["warning", "nowhere"]  # no such command in 1.3
    assert cli("--list-rules", "--protocol", "9.9")[0] == 2
