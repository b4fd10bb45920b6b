"""HAR WebSocket messages in the shapes browsers and proxies write, read back exactly."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dmsproto.capture import Message
from dmsproto.capture.har import read_har

PAYLOADS = st.one_of(st.text(max_size=30), st.binary(max_size=30),
                     st.just('{"get": ["A"]}'), st.just(b'{"get": ["A"]}'))
MESSAGES = st.lists(st.tuples(st.sampled_from(["send", "receive"]), PAYLOADS,
                              st.booleans()), max_size=8)


def har_message(kind: str, payload: str | bytes, with_opcode: bool) -> dict[str, Any]:
    if isinstance(payload, bytes):
        return {"type": kind, "time": 1.5, "opcode": 2,
                "data": base64.b64encode(payload).decode()}
    message: dict[str, Any] = {"type": kind, "time": 1.5, "data": payload}
    if with_opcode:
        message["opcode"] = 1  # Chrome writes it; tools that copy its shape may not
    return message


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(MESSAGES, st.sampled_from(["ws://127.0.0.1:9020/json_data",
                                  "wss://dms.example:9021/json_data?x=1"]))
def test_every_text_and_binary_message_reads_back_as_sent(
        tmp_path: Path, messages: list[tuple[str, str | bytes, bool]], url: str) -> None:
    control = {"type": "receive", "time": 2.0, "opcode": 9, "data": ""}  # a ping
    entry = {"_resourceType": "websocket",
             "request": {"method": "GET", "url": url},
             "response": {"status": 101, "content": {"size": 0}},
             "_webSocketMessages": [*(har_message(*m) for m in messages), control]}
    path = tmp_path / "c.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}))
    read = [r for r in read_har(path) if isinstance(r, Message)]
    assert [(r.direction, r.data, r.binary) for r in read] == [
        ("send" if kind == "send" else "recv", payload, isinstance(payload, bytes))
        for kind, payload, _ in messages]
    assert len({r.stream for r in read}) <= 1
