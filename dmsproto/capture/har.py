"""Reader for HAR files saved from browser developer tools.

WebSocket messages are under ``log.entries[i]._webSocketMessages`` (Chrome/Edge:
``type`` send/receive, ``time`` epoch seconds, ``opcode`` 1 = text, 2 = binary with
base64 ``data``); HTTP POSTs carry a request body and a response body.  Only entries
whose URL path ends with the DMS base path (``/json_data``, 2.5) count, WebSocket
and POST alike: a browser session holds other traffic too.  Each entry is its own
stream; positions are JSON pointers into the HAR file.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import NotJSON
from ..jsontext import parse_json
from ..versions import Direction
from .model import BadRecord, CaptureError, Message, Record

_TYPES: dict[str, Direction] = {"send": "send", "receive": "recv", "recv": "recv"}
BASE_PATH = "/json_data"
"""The DMS's base path for HTTP and WebSocket (2.5)."""
_TEXT, _BINARY = 1, 2


def load_json_file(path: str | Path, what: str) -> Any:
    """The whole file parsed, or a :class:`CaptureError` naming the file."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise CaptureError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return parse_json(raw)
    except NotJSON as exc:
        raise CaptureError(f"{path} is not a {what} ({exc.reason})") from exc


def read_har(path: str | Path, *, label: str | None = None,
             base_path: str = BASE_PATH) -> Iterator[Record]:
    """Yield the DMS messages of a HAR file in entry order (entries to ``base_path``)."""
    source = label or str(path)
    har = load_json_file(path, "HAR file")
    try:
        entries = har["log"]["entries"]
    except (KeyError, TypeError) as exc:
        raise CaptureError(f"{path} is not a HAR file (no log.entries)") from exc
    size = Path(path).stat().st_size
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        base = f"#/log/entries/{i}"
        stream = f"{source}{base}"
        request = entry.get("request")
        url = str(request.get("url", "")) if isinstance(request, dict) else ""
        if not is_dms_url(url, base_path):
            continue
        messages = entry.get("_webSocketMessages")
        if isinstance(messages, list):
            yield from _websocket(messages, source, base, stream, size)
        elif isinstance(request, dict) and request.get("method") == "POST":
            yield from _post(entry, source, base, stream, size)


def _websocket(messages: list[Any], source: str, base: str, stream: str,
               size: int) -> Iterator[Record]:
    for j, m in enumerate(messages):
        where = f"{base}/_webSocketMessages/{j}"
        if not isinstance(m, dict):
            yield BadRecord(source, where, "WebSocket message is not an object", offset=size)
            continue
        opcode = m.get("opcode", _TEXT)
        if opcode not in (_TEXT, _BINARY):
            continue  # close, ping, pong: not DMS messages
        direction = _TYPES.get(str(m.get("type")))
        data = m.get("data")
        if direction is None or not isinstance(data, str):
            yield BadRecord(source, where, 'needs "type" send|receive and text "data"',
                            time=m.get("time"), offset=size)
            continue
        if opcode == _BINARY:
            try:
                data = base64.b64decode(data, validate=True).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                yield BadRecord(source, where, "binary WebSocket message is not base64 of "
                                "UTF-8 text", time=m.get("time"), offset=size)
                continue
        yield Message(direction, data, source, where, m.get("time"),
                      stream, len(data), size, opcode == _BINARY)


def is_dms_url(url: str, base_path: str = BASE_PATH) -> bool:
    """Whether ``url`` (absolute, or a request target) addresses the DMS base path."""
    target = url.split("?", 1)[0].split("#", 1)[0]
    if "://" in target:
        target = "/" + target.split("://", 1)[1].partition("/")[2]
    return target.rstrip("/").endswith(base_path.rstrip("/") or "/")


def _post(entry: dict[str, Any], source: str, base: str, stream: str,
          size: int) -> Iterator[Record]:
    time = entry.get("startedDateTime")
    body = (entry.get("request") or {}).get("postData", {}).get("text")
    if isinstance(body, str):
        yield Message("send", body, source, f"{base}/request/postData/text", time, stream,
                      len(body), size)
    response = entry.get("response") or {}
    if response.get("status") != 200:
        return  # a fatal DMS error: plain-text body, not a protocol message
    content = response.get("content") or {}
    text = content.get("text")
    if not isinstance(text, str):
        return
    if content.get("encoding") == "base64":
        try:
            text = base64.b64decode(text).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            yield BadRecord(source, f"{base}/response/content/text",
                            "base64 response body is not UTF-8 text", time=time, offset=size)
            return
    yield Message("recv", text, source, f"{base}/response/content/text", time, stream,
                  len(text), size)


__all__ = ["BASE_PATH", "is_dms_url", "load_json_file", "read_har"]
