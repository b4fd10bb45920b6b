"""Wireshark captures: tshark's JSON export, and pcap/pcapng files read by running tshark.

tshark exports differ in shape (``-T json`` nests layers, ``-T json -e FIELD`` and
``-T ek`` give flat field lists, ``ek`` writes ``_`` for ``.``), so fields are found
by name anywhere in a packet.  A WebSocket frame is a request when it is masked
(RFC 6455: clients mask, servers never do) or goes to the DMS port; HTTP bodies of
POSTs to ``/json_data`` and their 200 answers count too.  Fragmented messages are
reassembled by tshark and appear once, at their last frame.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from ..versions import Direction
from .har import load_json_file
from .model import CaptureError, Message, Record, TsharkMissing

FIELDS = ("frame.number", "frame.time_epoch", "tcp.stream", "tcp.srcport", "tcp.dstport",
          "websocket.mask", "websocket.payload.text", "http.request.method",
          "http.request.uri", "http.response.code", "http.response_for.uri", "http.file_data")
_WANTED = frozenset(f.replace(".", "_") for f in FIELDS)

#: tshark options: DMS ports are not WebSocket ports, and a capture may start after the
#: HTTP upgrade; the WebSocket heuristic finds frames anyway, the HTTP heuristic (on by
#: default) still takes a handshake or a POST when there is one.
DECODE_OPTIONS = ("--enable-heuristic", "websocket_tcp")


def tshark_command(path: str | os.PathLike[str], port: int | None) -> list[str]:
    """The tshark command line that turns a capture into one JSON object per packet."""
    display = "websocket.payload.text || http.file_data"
    if port is not None:
        display = f"tcp.port == {port} && ({display})"
    command = ["tshark", "-r", os.fspath(path), "-n", "-T", "ek", *DECODE_OPTIONS,
               "-Y", display]
    for field in FIELDS:
        command += ["-e", field]
    return command


def _collect(node: Any, out: dict[str, list[Any]]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            name = key.replace(".", "_")
            if name in _WANTED:
                if isinstance(value, list):
                    out.setdefault(name, []).extend(value)
                elif not isinstance(value, dict):
                    out.setdefault(name, []).append(value)
                else:
                    _collect(value, out)
            elif isinstance(value, (dict, list)):
                _collect(value, out)
    elif isinstance(node, list):
        for item in node:
            _collect(item, out)


def _first(fields: dict[str, list[Any]], name: str) -> str | None:
    values = fields.get(name)
    return str(values[0]) if values else None


def _direction(fields: dict[str, list[Any]], port: int | None) -> Direction:
    if port is not None:
        if _first(fields, "tcp_dstport") == str(port):
            return "send"
        if _first(fields, "tcp_srcport") == str(port):
            return "recv"
    if _first(fields, "http_request_method") is not None:
        return "send"
    if _first(fields, "http_response_code") is not None:
        return "recv"
    masks = fields.get("websocket_mask", [])
    return "send" if any(str(m) in ("1", "True", "true") for m in masks) else "recv"


def packet_messages(layers: Any, source: str, port: int | None,
                    offset: int = 0) -> Iterator[Record]:
    """The DMS messages in one exported packet (usually zero or one)."""
    fields: dict[str, list[Any]] = {}
    _collect(layers, fields)
    number = _first(fields, "frame_number") or "?"
    time_text = _first(fields, "frame_time_epoch")
    time = float(time_text) if time_text else None
    stream = f"{source}:tcp {_first(fields, 'tcp_stream') or '?'}"
    texts = [t for t in fields.get("websocket_payload_text", []) if isinstance(t, str)]
    if not texts and "http_file_data" in fields:
        method = _first(fields, "http_request_method")
        if method is not None:
            uri = (_first(fields, "http_request_uri") or "").split("?", 1)[0].rstrip("/")
            if method == "POST" and uri.endswith("/json_data"):
                texts = [str(fields["http_file_data"][0])]
        elif _first(fields, "http_response_code") == "200":
            uri = (_first(fields, "http_response_for_uri") or "/json_data").split("?", 1)[0]
            if uri.rstrip("/").endswith("/json_data"):
                texts = [str(fields["http_file_data"][0])]
        stream += " http"
    direction = _direction(fields, port)
    for k, text in enumerate(texts):
        where = f"frame {number}" if k == 0 else f"frame {number} (message {k + 1})"
        yield Message(direction, text, source, where, time, stream, len(text), offset)


def _packets(doc: Any) -> Iterable[Any]:
    if isinstance(doc, list):
        for packet in doc:
            if isinstance(packet, dict):
                yield packet.get("_source", {}).get("layers", packet.get("layers", packet))
    elif isinstance(doc, dict) and "layers" in doc:
        yield doc["layers"]


def read_tshark_json(path: str | Path, *, port: int | None = None,
                     label: str | None = None) -> Iterator[Record]:
    """Messages from a ``tshark -T json`` (or ``-T ek``) export."""
    source = label or str(path)
    size = Path(path).stat().st_size if Path(path).exists() else 0
    try:
        doc = load_json_file(path, "tshark JSON export")
    except CaptureError:
        doc = _ek_lines(path)  # -T ek: one JSON object per line
    for layers in _packets(doc):
        yield from packet_messages(layers, source, port, size)


def _ek_lines(path: str | Path) -> list[Any]:
    packets = []
    with open(path, "rb") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise CaptureError(f"{path} is not a tshark JSON export: {exc}") from exc
            if isinstance(obj, dict) and "layers" in obj:
                packets.append(obj)
    return packets


def read_pcap(path: str | Path, *, port: int | None = 9020,
              label: str | None = None) -> Iterator[Record]:
    """Messages from a pcap/pcapng file, decoded by running tshark (streamed)."""
    source = label or str(path)
    if shutil.which("tshark") is None:
        raise TsharkMissing("reading pcap/pcapng needs tshark (Debian: apt-get install tshark)")
    if not os.access(path, os.R_OK):
        raise CaptureError(f"cannot read {path}")
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(tshark_command(path, port), stdout=subprocess.PIPE,
                                   stderr=errors, stdin=subprocess.DEVNULL)
        assert process.stdout is not None
        finished = False
        try:
            for line in process.stdout:
                if b'"layers"' not in line[:200]:
                    continue  # the ek index lines
                packet = orjson.loads(line)
                yield from packet_messages(packet.get("layers", {}), source, port)
            finished = True
        finally:
            process.stdout.close()
            if process.poll() is None:
                process.kill()
            code = process.wait()
        if finished and code != 0:
            errors.seek(0)
            text = errors.read().decode("utf-8", "replace")
            lines = [ln for ln in text.splitlines() if "Running as user" not in ln]
            raise CaptureError(f"tshark could not read {path}: {' '.join(lines).strip()}")


__all__ = ["DECODE_OPTIONS", "FIELDS", "packet_messages", "read_pcap", "read_tshark_json",
           "tshark_command"]
