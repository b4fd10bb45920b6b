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
from ..recorder import http_status_answer
from ..versions import Direction
from .model import (
    BadRecord,
    CaptureError,
    Message,
    Record,
    Settled,
    Unseen,
    without_bom,
)

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
        return parse_json(without_bom(raw))
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
    if not isinstance(entries, list):
        raise CaptureError(f"{path} is not a HAR file (log.entries is not an array)")
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
        payload: str | bytes = data
        if opcode == _BINARY:
            try:  # the bytes as sent: the validator says whether they are UTF-8 JSON
                payload = base64.b64decode(data, validate=True)
            except ValueError:
                yield BadRecord(source, where, "binary WebSocket message is not base64",
                                time=m.get("time"), offset=size)
                continue
        yield Message(direction, payload, source, where, m.get("time"),
                      stream, len(payload), size, opcode == _BINARY)


def is_dms_url(url: str, base_path: str = BASE_PATH) -> bool:
    """Whether ``url`` (absolute, or a request target) addresses the DMS base path."""
    target = url.split("?", 1)[0].split("#", 1)[0]
    if "://" in target:
        target = "/" + target.split("://", 1)[1].partition("/")[2]
    return target.rstrip("/").endswith(base_path.rstrip("/") or "/")


def _post(entry: dict[str, Any], source: str, base: str, stream: str,
          size: int) -> Iterator[Record]:
    time = entry.get("startedDateTime")
    body = _member(_member(entry, "request"), "postData").get("text")
    if isinstance(body, str):
        yield Message("send", body, source, f"{base}/request/postData/text", time, stream,
                      len(body), size, http=True)
    else:
        yield Unseen(source, f"{base}/request", time, stream,
                     "the HAR file lacks the request body")
    response = _member(entry, "response")
    status = response.get("status")
    if type(status) is not int or status <= 0:
        return  # no answer at all (the browser's status 0: failed or cancelled)
    if status != 200:  # a fatal DMS error (2.6): plain-text body, not a protocol message
        yield Settled(source, stream, http_status_answer(status))
        return
    content = _member(response, "content")
    text = content.get("text")
    if not isinstance(text, str) or (not text and content.get("size", 0) != 0):
        yield Settled(source, stream, "the HAR file lacks the response body")
        return
    answer: str | bytes = text
    if content.get("encoding") == "base64":
        try:  # the bytes as sent: the validator says whether they are UTF-8 JSON
            answer = base64.b64decode(text)
        except ValueError:
            yield BadRecord(source, f"{base}/response/content/text",
                            "response body is not base64", time=time, offset=size)
            return
    yield Message("recv", answer, source, f"{base}/response/content/text", time, stream,
                  len(answer), size, http=True)


def _member(obj: dict[str, Any], name: str) -> dict[str, Any]:
    """``obj[name]`` when it is an object, else an empty one (a HAR writer left it out)."""
    value = obj.get(name)
    return value if isinstance(value, dict) else {}


__all__ = ["BASE_PATH", "is_dms_url", "load_json_file", "read_har"]
