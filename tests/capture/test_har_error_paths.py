"""HAR reading where it goes wrong: unreadable and non-HAR files, bad message entries,
base64 bodies that are not UTF-8, and POST answers that are not 200."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import orjson
import pytest

from dmsproto.capture.har import read_har
from dmsproto.capture.model import BadRecord, CaptureError, Message

URL = "https://dms.example:9021/json_data"


def write(tmp_path: Path, entries: list[Any]) -> Path:
    path = tmp_path / "c.har"
    path.write_bytes(orjson.dumps({"log": {"entries": entries}}))
    return path


def test_a_missing_file_is_a_capture_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.har"
    with pytest.raises(CaptureError, match=r"cannot read .*nope\.har"):
        list(read_har(missing))


def test_a_folder_is_a_capture_error_too(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="cannot read"):
        list(read_har(tmp_path))


@pytest.mark.parametrize("document", [{"log": {}}, {"entries": []}, [1, 2], "text"])
def test_json_without_log_entries_is_not_a_har_file(tmp_path: Path, document: Any) -> None:
    path = tmp_path / "x.har"
    path.write_bytes(orjson.dumps(document))
    with pytest.raises(CaptureError, match=r"is not a HAR file \(no log.entries\)"):
        list(read_har(path))


def test_bad_websocket_message_entries_are_bad_records_in_place(tmp_path: Path) -> None:
    path = write(tmp_path, [{"request": {"url": URL}, "_webSocketMessages": [
        "not an object",
        {"type": "sideways", "data": "{}", "time": 1.0},
        {"type": "send", "data": 17, "time": 2.0},
        {"type": "send", "opcode": 2, "data": "%%% not base64", "time": 3.0},
        {"type": "send", "opcode": 2, "data": base64.b64encode(b"\xff\xfe").decode()},
        {"type": "receive", "opcode": 9, "data": ""},  # a ping: skipped
        {"type": "send", "data": '{"get":["A"]}', "time": 4.0},
    ]}, "not an entry"])
    records = list(read_har(path))
    bad = [r for r in records if isinstance(r, BadRecord)]
    assert [r.where for r in bad] == [f"#/log/entries/0/_webSocketMessages/{i}"
                                      for i in range(4)]
    assert "not an object" in bad[0].reason
    assert 'needs "type" send|receive and text "data"' in bad[1].reason == bad[2].reason
    assert "not base64" in bad[3].reason
    # bytes that are not UTF-8 are a message the validator refuses (rule json), as sent
    binary, message = [r for r in records if isinstance(r, Message)]
    assert (binary.where, binary.data, binary.binary) == (
        "#/log/entries/0/_webSocketMessages/4", b"\xff\xfe", True)
    assert (message.direction, message.data) == ("send", '{"get":["A"]}')


def test_post_answers_other_than_200_are_not_protocol_messages(tmp_path: Path) -> None:
    post = {"method": "POST", "url": URL, "postData": {"text": '{"get":["A"]}'}}
    path = write(tmp_path, [
        {"request": post, "response": {"status": 500, "content": {"text": "Internal error"}}},
        {"request": post, "response": {"status": 200, "content": {}}},
        {"request": post, "response": {"status": 200, "content": {
            "encoding": "base64", "text": base64.b64encode(b"\xff").decode()}}},
    ])
    records = list(read_har(path))
    sent = [r for r in records if isinstance(r, Message) and r.direction == "send"]
    assert len(sent) == 3  # every request body is read
    [answer] = [r for r in records if isinstance(r, Message) and r.direction == "recv"]
    assert (answer.where, answer.data) == ("#/log/entries/2/response/content/text", b"\xff")
    assert not [r for r in records if isinstance(r, BadRecord)]
