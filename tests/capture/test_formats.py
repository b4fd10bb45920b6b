"""The same two scripted sessions in all four capture formats give the same findings,
each at its exact position, pointer and rule."""

from __future__ import annotations

import subprocess

import pytest

from dmsproto.capture import Report, detect_format, validate_files
from dmsproto.capture.tshark import tshark_command
from tests.support.capture import FIXTURES, require_tshark

FORMATS = ["jsonl", "har", "tshark.json", "pcapng"]

WS = "#/log/entries/0/_webSocketMessages/"
POST = "#/log/entries/1/request/postData/text"

#: rule, pointer, and the position of the message in each format.
BROKEN = [
    ("additionalProperties", "/get/0/colour", {"jsonl": ":1", "har": WS + "0", "frame": 8}),
    ("event-after-unsubscribe", "/event/0/tag", {"jsonl": ":8", "har": WS + "7", "frame": 15}),
    ("event-unsubscribed", "/event/0/tag", {"jsonl": ":9", "har": WS + "8", "frame": 16}),
    ("whois", "/whois", {"jsonl": ":11", "har": WS + "10", "frame": 19}),
    ("enum", "/get/0/code", {"jsonl": ":14", "har": WS + "13", "frame": 22}),
    ("path-echo", "/get/0/path", {"jsonl": ":14", "har": WS + "13", "frame": 22}),
    ("item-count", "/get", {"jsonl": ":16", "har": WS + "15", "frame": 24}),
    ("json", "", {"jsonl": ":18", "har": WS + "17", "frame": 26}),
    ("orphan-response", "/tag", {"jsonl": ":19", "har": WS + "18", "frame": 27}),
    ("orphan-request", "", {"jsonl": ":21", "har": WS + "20", "frame": 30}),
    ("whois", "/whois", {"jsonl": ":22", "har": POST, "frame": 40}),
]


def findings(report: Report) -> list[tuple[str, str, str]]:
    return sorted((g.rule, e.pointer, e.position) for g in report.rules.values()
                  for e in g.examples)


def expected(fmt: str) -> list[tuple[str, str, str]]:
    name = f"{FIXTURES / 'broken'}.{fmt}"
    out = []
    for rule, pointer, where in BROKEN:
        if fmt == "jsonl":
            position = name + str(where["jsonl"])
        elif fmt == "har":
            position = name + str(where["har"])
        else:
            position = f"{name}:frame {where['frame']}"
        out.append((rule, pointer, position))
    return sorted(out)


@pytest.mark.parametrize("fmt", FORMATS)
def test_clean_session_is_clean_in_every_format(fmt: str) -> None:
    if fmt == "pcapng":
        require_tshark()
    report = validate_files([FIXTURES / f"clean.{fmt}"])
    assert report.clean, report.to_text()
    assert report.messages == 17
    assert report.counts["send", "get"] == 4
    assert report.counts["recv", "get"] == 4
    assert report.counts["recv", "event"] == 1
    assert report.counts["send", "changelogGetGroups"] == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_broken_session_findings_are_exact_in_every_format(fmt: str) -> None:
    if fmt == "pcapng":
        require_tshark()
    report = validate_files([FIXTURES / f"broken.{fmt}"])
    assert report.messages == 23
    assert report.violations == len(BROKEN)
    assert findings(report) == expected(fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_broken_values_and_times_are_reported(fmt: str) -> None:
    if fmt == "pcapng":
        require_tshark()
    report = validate_files([FIXTURES / f"broken.{fmt}"])
    [unknown] = report.examples("additionalProperties")
    assert (unknown.value, unknown.direction) == ("red", "send")
    assert unknown.time is not None and unknown.time.startswith("20")
    [count] = report.examples("item-count")
    assert (count.value, count.direction) == (2, "recv")
    [echo] = report.examples("path-echo")
    assert echo.value == "Plant:Wrong"
    assert "Plant:AHU1:TempSupply" in echo.message


def test_formats_are_detected_by_content() -> None:
    assert [detect_format(FIXTURES / f"clean.{fmt}") for fmt in FORMATS] == [
        "jsonl", "har", "tshark-json", "pcap"]


def test_capture_without_handshake_is_decoded() -> None:
    """tshark alone does not see WebSocket on port 9020 without the upgrade; our options do."""
    require_tshark()
    path = FIXTURES / "clean-nohandshake.pcapng"
    plain = subprocess.run(["tshark", "-r", str(path), "-Y", "websocket"],
                           capture_output=True, check=True).stdout
    assert plain.strip() == b""
    ours = subprocess.run(tshark_command(path), capture_output=True, check=True).stdout
    assert ours.count(b"websocket_payload_text") == 15
    report = validate_files([path])
    assert report.clean, report.to_text()
    assert report.messages == 17
    assert report.notes == [f"{path}: 15 WebSocket messages without a captured handshake were "
                            "taken as DMS traffic by port 9020 (--port)"]


def test_export_without_ports_reads_websocket_by_mask() -> None:
    """An export of only the WebSocket layers has no ports: directions come from masking."""
    for port in (9020, None):
        report = validate_files([FIXTURES / "clean.tshark.json"], port=port)
        assert report.clean, report.to_text()
        assert report.counts["send", "subscribe"] == report.counts["recv", "subscribe"] == 1
        assert "taken as DMS traffic" in report.notes[0]


def test_full_ek_export_reads_like_the_json_export() -> None:
    """``tshark -T ek`` without ``-e`` names fields ``websocket_websocket_payload_text``."""
    ek = validate_files([FIXTURES / "clean.tshark-ek.json"])
    jsonl = validate_files([FIXTURES / "clean.jsonl"])
    assert detect_format(FIXTURES / "clean.tshark-ek.json") == "tshark-json"
    assert ek.clean, ek.to_text()
    assert ek.messages == jsonl.messages == 17
    assert ek.counts == jsonl.counts
    assert ek.notes == []  # the handshake told which connection is the DMS's


@pytest.mark.parametrize("fmt", ["jsonl", "pcapng"])
def test_a_request_the_dms_answered_with_a_close_frame_is_answered(fmt: str) -> None:
    """The DMS's fatal-error form on a WebSocket is a close frame (2.6): it answers the
    request it leaves open, in a capture as in our recordings (the reply to a client's
    own close answers nothing: the broken session's last request stays an orphan)."""
    if fmt == "pcapng":
        require_tshark()
    path = FIXTURES / f"closed.{fmt}"
    report = validate_files([path])
    assert report.clean, report.to_text()
    assert report.messages == 3
    assert report.notes == [f"{path}: 1 request not checked against an answer: answered "
                            "with WebSocket close 1009 (a fatal error, 2.6)"]
