"""The Recorder writes our JSON Lines format, appends with session markers, stays light;
a recorded simulator session validates clean, and sessions are checked apart."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from trio_websocket import open_websocket_url

from dmsproto.capture import validate_files
from dmsproto.recorder import Recorder, close_answer, truncate_capture
from dmsproto.sim.server import Simulator


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_lines_hold_time_direction_and_exact_text(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    with Recorder(path, label="test") as rec:
        rec.record("send", '{"get": ["A"]}', time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
        rec.record("recv", b'{"get":[]}\n', conn="c1", time=1.5)
        rec.record("recv", "{broken", binary=True)
        assert rec.count == 3
    marker, *lines = lines_of(path)
    assert marker == {"time": "2026-01-02T03:04:05+00:00", "session": rec.session,
                      "label": "test", "pid": marker["pid"]}
    assert lines[0] == {"time": "2026-01-02T03:04:05+00:00", "dir": "send",
                        "data": '{"get": ["A"]}'}
    assert lines[1] == {"time": 1.5, "dir": "recv", "data": '{"get":[]}\n', "conn": "c1"}
    assert lines[2]["data"] == "{broken" and lines[2]["binary"] is True
    assert datetime.fromisoformat(lines[2]["time"]).tzinfo is not None


def test_record_after_close_does_nothing(tmp_path: Path) -> None:
    rec = Recorder(tmp_path / "s.jsonl")
    rec.record("send", "{}")
    rec.close()
    assert rec.closed
    rec.record("send", "{}")
    assert [("dir" in line) for line in lines_of(tmp_path / "s.jsonl")] == [False, True]


def test_nothing_recorded_leaves_no_marker(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    with Recorder(path):
        pass
    assert path.read_text() == ""


def test_each_line_is_flushed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    with Recorder(path) as rec:
        rec.record("send", '{"get":["A"]}')
        assert path.read_bytes().endswith(b"\n")


def test_bad_direction_is_refused(tmp_path: Path) -> None:
    with Recorder(tmp_path / "s.jsonl") as rec, pytest.raises(ValueError, match="direction"):
        rec.record("sideways", "{}")  # type: ignore[arg-type]


def test_a_capture_grows_one_session_per_recorder(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    for _ in range(2):
        with Recorder(path) as rec:
            rec.record("send", "{}")
    lines = lines_of(path)
    assert ["session" in x for x in lines] == [True, False, True, False]
    assert lines[0]["session"] != lines[2]["session"]
    with Recorder(path, truncate=True) as rec:
        rec.record("recv", "{}")
    assert [x.get("dir") for x in lines_of(path)] == [None, "recv"]
    truncate_capture(path)
    assert path.read_text() == ""


def test_sessions_are_checked_apart(tmp_path: Path) -> None:
    """A request left open in one session is not answered by the next session's response."""
    path = tmp_path / "s.jsonl"
    with Recorder(path) as rec:
        rec.record("send", '{"get":["A"]}')
    with Recorder(path) as rec:
        rec.record("recv", '{"get":[{"code":"ok","path":"A","value":1,"type":"int",'
                           '"stamp":null}]}')
    report = validate_files([path])
    assert report.sessions == 2
    assert sorted(report.rules) == ["orphan-request", "orphan-response"]
    merged = tmp_path / "one.jsonl"
    merged.write_text("".join(line + "\n" for line in path.read_text().splitlines()
                              if "session" not in line))
    assert validate_files([merged]).clean  # the same lines without markers: one session


def test_recorder_imports_nothing_heavy() -> None:
    """The client imports the recorder on every connection: stdlib and msgspec only (the
    Direction type is imported for type checking alone)."""
    import ast

    import dmsproto.recorder

    tree = ast.parse(Path(dmsproto.recorder.__file__).read_text())
    imported = set()
    for node in tree.body:  # module level only; `if TYPE_CHECKING:` blocks are skipped
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or "").split(".")[0])
    assert imported <= {"__future__", "os", "uuid", "datetime", "types", "typing", "msgspec"}


def test_a_lone_surrogate_is_replaced_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    with Recorder(path) as rec:
        rec.record("send", '{"get": ["A\ud800B"]}')
        rec.record("recv", '{"get": []}')
    _, first, second = lines_of(path)
    assert first["data"] == '{"get": ["A?B"]}'
    assert second["data"] == '{"get": []}'


async def test_recorded_simulator_session_validates_clean(tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    requests: list[dict[str, Any]] = [
        {"get": [{"path": "Plant:AHU1:TempSupply", "showExtInfos": ["unit"], "tag": 1}],
         "tag": "a"},
        {"get": [{"path": "Plant:AHU1", "query": {"maxDepth": 0}}], "tag": "b"},
        {"subscribe": [{"path": "Plant:AHU1:TempSupplySet", "tag": "s"}], "tag": "c"},
        {"set": [{"path": "Plant:AHU1:TempSupplySet", "value": 20.5}], "whois": "t",
         "user": "", "tag": "d"},
        {"changelogGetGroups": [], "tag": "e"},
        {"unsubscribe": [{"path": "Plant:AHU1:TempSupplySet", "tag": "s"}], "tag": "f"},
    ]
    with Recorder(path, truncate=True) as rec:
        async with Simulator(tick_interval=None, validate_outgoing=True) as sim, \
                open_websocket_url(sim.url, max_message_size=2**24) as ws:
            for request in requests:
                text = json.dumps(request)
                rec.record("send", text)
                await ws.send_message(text)
                while True:
                    reply = await ws.get_message()
                    rec.record("recv", reply)
                    if json.loads(reply).get("tag") == request["tag"]:
                        break
        assert sim.violations == []
    report = validate_files([path])
    assert report.clean, report.to_text()
    assert report.counts["recv", "event"] == 1
    assert report.messages == 2 * len(requests) + 1


@pytest.mark.parametrize(("code", "said"), [
    (1009, "answered with WebSocket close 1009 (a fatal error, 2.6)"),
    (None, "answered with WebSocket close without a status code (a fatal error, 2.6)")])
def test_a_close_answer_says_its_code_or_that_it_had_none(code: int | None, said: str) -> None:
    assert close_answer(code) == said
