"""Connection markers: a recorder serving many connections at once (the proxy) marks each."""

from __future__ import annotations

from pathlib import Path

from dmsproto.capture import Message, SessionStart, read_capture, validate_files
from dmsproto.recorder import Recorder


def test_interleaved_connections_are_sessions_of_their_own(tmp_path: Path) -> None:
    path = tmp_path / "proxy.jsonl"
    with Recorder(path, label="proxy") as rec:
        rec.connection("c1", label="client one")
        rec.connection("c2", label="client two")
        # the same root tag on both connections, answers interleaved
        rec.record("send", '{"tag": 1, "get": ["A"]}', conn="c1")
        rec.record("send", '{"tag": 1, "get": ["B"]}', conn="c2")
        rec.record("recv", '{"tag": 1, "get": [{"code": "not found", "path": "B",'
                           ' "message": "Data point doesn\'t exist"}]}', conn="c2")
        rec.record("recv", '{"tag": 1, "get": [{"code": "not found", "path": "A",'
                           ' "message": "Data point doesn\'t exist"}]}', conn="c1")
    records = list(read_capture(path))
    starts = [r for r in records if isinstance(r, SessionStart)]
    # connection markers are written at once; the recorder's own before its first message
    assert [s.label for s in starts] == ["client one", "client two", "proxy"]
    streams = [r.stream for r in records if isinstance(r, Message)]
    assert streams[0] == streams[3] and streams[1] == streams[2]
    assert streams[0] != streams[1]
    report = validate_files([path])
    assert report.messages == 4
    assert report.clean, report.to_text()


def test_a_new_command_session_ends_the_connection_sessions(tmp_path: Path) -> None:
    """A plain session marker after connection markers starts afresh for every conn."""
    path = tmp_path / "mixed.jsonl"
    with Recorder(path) as rec:
        rec.connection("c1")
        rec.record("send", '{"tag": 1, "get": ["A"]}', conn="c1")
    with Recorder(path) as rec:  # appends a second, ordinary session
        rec.record("recv", '{"tag": 1, "get": [{"code": "ok", "path": "A", "value": 1,'
                           ' "type": "int", "stamp": null}]}', conn="c1")
    messages = [r for r in read_capture(path) if isinstance(r, Message)]
    assert messages[0].stream != messages[1].stream
    rules = {rule for rule in validate_files([path]).rules}
    assert {"orphan-request", "orphan-response"} <= rules
