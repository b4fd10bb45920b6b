"""Capture files as Windows tools write them: a byte order mark, CRLF line ends, UTF-16.

The mark belongs to the file, not to the first message: a capture that starts with one
reads exactly like the same capture without it, in every format and with or without a
telling file name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dmsproto.capture import detect_format, validate_files
from dmsproto.recorder import Recorder

FIXTURES = Path(__file__).parent / "fixtures"
BOM = b"\xef\xbb\xbf"
OK = {"code": "ok", "value": 1, "type": "int", "stamp": None}


def pair(path: str, tag: int) -> list[dict[str, Any]]:
    return [{"time": tag, "dir": "send", "data": {"get": [path], "tag": tag}},
            {"time": tag, "dir": "recv", "data": {"get": [{**OK, "path": path}], "tag": tag}}]


def summary(path: Path) -> tuple[bool, int, list[str]]:
    report = validate_files([path])
    return report.clean, report.messages, sorted(report.rules)


def test_jsonl_with_a_utf8_bom_reads_as_without(tmp_path: Path) -> None:
    lines = "".join(json.dumps(r) + "\n" for r in pair("A", 1))
    for name in ("c.jsonl", "capture"):  # by its name, and by its first bytes
        path = tmp_path / name
        path.write_bytes(BOM + lines.encode())
        assert detect_format(path) == "jsonl"
        assert summary(path) == (True, 2, [])


def test_har_with_a_utf8_bom(tmp_path: Path) -> None:
    path = tmp_path / "c.har"
    path.write_bytes(BOM + (FIXTURES / "clean.har").read_bytes())
    assert summary(path) == summary(FIXTURES / "clean.har")
    assert summary(path)[0]


def test_tshark_json_saved_as_utf16_or_with_a_bom(tmp_path: Path) -> None:
    text = (FIXTURES / "clean.tshark.json").read_text(encoding="utf-8")
    expected = summary(FIXTURES / "clean.tshark.json")
    for encoded in (text.encode("utf-16"), text.encode("utf-16-be").join([b"\xfe\xff", b""]),
                    BOM + text.encode()):
        path = tmp_path / "export"
        path.write_bytes(encoded)
        assert detect_format(path) == "tshark-json"
        assert summary(path) == expected


def test_tshark_ek_lines_with_a_bom(tmp_path: Path) -> None:
    packets = json.loads((FIXTURES / "clean.tshark.json").read_text())
    lines = "".join(json.dumps({"index": {"_index": "packets"}}) + "\n"
                    + json.dumps({"layers": p["_source"]["layers"]}) + "\n" for p in packets)
    path = tmp_path / "export.json"
    path.write_bytes(BOM + lines.encode())
    assert summary(path) == summary(FIXTURES / "clean.tshark.json")


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bom=st.booleans(), ends=st.lists(st.sampled_from(["\n", "\r\n"]), min_size=4,
                                        max_size=4),
       blanks=st.lists(st.sampled_from(["", "\n", "\r\n", " \t\n"]), min_size=4, max_size=4),
       final=st.booleans())
def test_jsonl_line_ends_blank_lines_and_a_bom_never_change_the_verdict(
        tmp_path: Path, bom: bool, ends: list[str], blanks: list[str], final: bool) -> None:
    records = pair("A", 1) + pair("B:Ä 1", 2)
    body = "".join(blank + json.dumps(r, ensure_ascii=False) + end
                   for r, end, blank in zip(records, ends, blanks, strict=True))
    if not final:
        body = body.rstrip("\r\n")
    path = tmp_path / "p.jsonl"
    path.write_bytes((BOM if bom else b"") + body.encode())
    assert summary(path) == (True, 4, [])


@pytest.mark.parametrize("name", ["capture.json", "capture.log", "capture"])
def test_our_recording_is_known_by_its_first_line_whatever_its_name(
        tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with Recorder(path, label="dmsproto get") as recorder:  # opens with a session marker
        recorder.record("send", json.dumps({"get": ["A"], "tag": 1}))
        recorder.record("recv", json.dumps({"get": [{**OK, "path": "A"}], "tag": 1}))
    assert json.loads(path.read_text().splitlines()[0]).keys() >= {"session"}
    assert detect_format(path) == "jsonl"
    assert summary(path) == (True, 2, [])
