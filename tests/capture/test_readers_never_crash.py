"""Any JSON document given as a capture file gives a report or a ``CaptureError``: the
readers never crash on a HAR file, a tshark export or a JSON Lines file of odd shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dmsproto.capture import CaptureError, validate_files

NAMES = ["_source", "layers", "frame", "tcp", "websocket", "http", "frame.number",
         "tcp.stream", "tcp.srcport", "tcp.dstport", "websocket.opcode",
         "websocket.payload.text", "data.data", "http.request.method", "http.request.uri",
         "http.upgrade", "http.response.code", "http.file_data", "log", "entries", "request",
         "response", "_webSocketMessages", "url", "method", "postData", "text", "content",
         "status", "type", "data", "opcode", "dir", "time", "encoding"]
LEAVES = (st.none() | st.booleans() | st.integers() | st.text(max_size=5)
          | st.sampled_from(["1", "2", "9020", "POST", "GET", "websocket", "/json_data",
                             "send", "receive", "base64", "ws://h:9020/json_data"]))
DOCUMENTS = st.recursive(LEAVES, lambda c: st.lists(c, max_size=4)
                         | st.dictionaries(st.sampled_from(NAMES), c, max_size=5),
                         max_leaves=20)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(DOCUMENTS, st.sampled_from(["c.json", "c.har", "c.jsonl"]))
@example([{"_source": None}], "c.json")
@example({"log": {"entries": [{"request": {"method": "POST", "url": "/json_data"},
                               "response": "x"}]}}, "c.har")
def test_any_json_document_gives_a_report_or_a_capture_error(
        tmp_path: Path, doc: Any, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".jsonl") and isinstance(doc, list):
        path.write_text("\n".join(json.dumps(line) for line in doc))
    else:
        path.write_text(json.dumps(doc))
    try:
        validate_files([path])
    except CaptureError as exc:
        assert str(exc)
