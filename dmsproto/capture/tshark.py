"""Wireshark captures: tshark's JSON export, and pcap/pcapng files read by running tshark.

tshark exports differ in shape (``-T json`` nests layers, ``-T json -e FIELD`` and
``-T ek`` give flat field lists, ``ek`` writes ``_`` for ``.``), so fields are found
by name anywhere in a packet.  Which TCP streams are the DMS's is learnt from the
WebSocket handshakes in the capture (any port), else from the DMS port
(:class:`DmsTraffic`); a frame goes to the server's port (a request) or comes from
it, else a masked frame is a request (RFC 6455: clients mask, servers never do).
HTTP bodies of POSTs to the base path and their 200 answers count too.  Text and
binary frames are read; fragmented messages are reassembled by tshark and appear
once, at their last frame.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import NotJSON
from ..jsontext import parse_json
from ..recorder import close_answer, http_status_answer
from ..versions import Direction
from .har import BASE_PATH, is_dms_url, load_json_file
from .model import (
    CaptureError,
    Message,
    Note,
    Record,
    Settled,
    TsharkMissing,
    without_bom,
)

DMS_PORT = 9020
"""The DMS's default port for ws/http (2.1)."""

FIELDS = ("frame.number", "frame.time_epoch", "tcp.stream", "tcp.srcport", "tcp.dstport",
          "websocket.mask", "websocket.opcode", "websocket.payload.text", "data.data",
          "http.request.method", "http.request.uri", "http.upgrade", "http.response.code",
          "http.response_for.uri", "http.file_data", "websocket.payload.close.status_code")
_WANTED = frozenset(f.replace(".", "_") for f in FIELDS)
_TEXT, _BINARY, _CLOSE = "1", "2", "8"

#: tshark options: DMS ports are not WebSocket ports, and a capture may start after the
#: HTTP upgrade; the WebSocket heuristic finds frames anyway, the HTTP heuristic (on by
#: default) still takes a handshake or a POST on any port when there is one.
DECODE_OPTIONS = ("--enable-heuristic", "websocket_tcp")
DISPLAY = "websocket || http.request || http.response"


def tshark_command(path: str | os.PathLike[str]) -> list[str]:
    """The tshark command line that turns a capture into one JSON object per packet."""
    command = ["tshark", "-r", os.fspath(path), "-n", "-T", "ek", *DECODE_OPTIONS,
               "-Y", DISPLAY]
    for field in FIELDS:
        command += ["-e", field]
    return command


def _field_name(key: str) -> str:
    """A field's name as ``FIELDS`` spells it (dots as ``_``), whatever the export's form.

    ``-T json`` writes ``websocket.payload.text``, ``-T ek -e FIELD``
    ``websocket_payload_text``, and a full ``-T ek`` export repeats the protocol:
    ``websocket_websocket_payload_text``.
    """
    name = key.replace(".", "_")
    protocol, _, rest = name.partition("_")
    if rest.startswith(protocol + "_") and rest in _WANTED:
        return rest
    return name


def _collect(node: Any, out: dict[str, list[Any]]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            name = _field_name(key)
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


@dataclass
class _Conn:
    """What the handshake told about one TCP stream."""

    dms: bool
    server_port: str | None
    assumed: bool = False
    client_closed: bool = False
    """The client sent its close frame: the DMS's close that follows is only the reply."""


class DmsTraffic:
    """Picks the DMS messages out of tshark's packets, in capture order.

    A TCP stream whose WebSocket handshake (``GET`` with ``Upgrade: websocket``) is
    in the capture is the DMS's when its target is the base path, on whatever port;
    its server port gives each frame's direction.  A stream without a captured
    handshake (the capture started later) is taken to be the DMS's when it uses
    ``port`` (the DMS default 9020 unless told; ``None``: any port), and
    :meth:`notes` says so.  HTTP POSTs to the base path and their 200 answers count
    on any port.
    """

    def __init__(self, source: str, port: int | None, base_path: str = BASE_PATH) -> None:
        self.source = source
        self.port = None if port is None else str(port)
        self.base_path = base_path
        self._conns: dict[str, _Conn] = {}
        self.assumed = 0
        self.skipped = 0
        self.unplaced = 0

    def messages(self, layers: Any, offset: int = 0) -> Iterator[Record]:
        """The DMS messages in one exported packet (usually zero or one)."""
        fields: dict[str, list[Any]] = {}
        _collect(layers, fields)
        number = _first(fields, "frame_number") or "?"
        time_text = _first(fields, "frame_time_epoch")
        time = float(time_text) if time_text else None
        tcp = _first(fields, "tcp_stream") or "?"
        stream = f"{self.source}:tcp {tcp}"
        method = _first(fields, "http_request_method")
        texts: list[tuple[str | bytes, bool]] = []
        direction: Direction
        settled: Settled | None = None  # what a close frame of the DMS answered
        http = method is not None or _first(fields, "http_response_code") is not None
        if http or _first(fields, "http_response_code") is not None:
            if method == "GET" and "websocket" in (_first(fields, "http_upgrade") or "").lower():
                uri = _first(fields, "http_request_uri") or ""
                self._conns[tcp] = _Conn(is_dms_url(uri, self.base_path),
                                         _first(fields, "tcp_dstport"))
                return
            stream += " http"
            if method is None and self._fatal_answer(fields):
                yield Settled(self.source, stream,
                              http_status_answer(_first(fields, "http_response_code")))
                return
            texts = self._http_body(fields, method)
            direction = "send" if method is not None else "recv"
        else:
            texts = self._websocket_payloads(fields)
            closing = _CLOSE in (str(o) for o in fields.get("websocket_opcode", []))
            if not texts and not closing:
                return
            conn = self._conns.get(tcp)
            if conn is None:
                conn = self._unannounced(fields, tcp, len(texts))
            if not conn.dms:
                return
            if conn.assumed:
                self.assumed += len(texts)
            direction = _ws_direction(fields, conn.server_port)
            if closing:
                settled = self._closed(fields, conn, direction, stream)
        for k, (text, binary) in enumerate(texts):
            where = f"frame {number}" if k == 0 else f"frame {number} (message {k + 1})"
            yield Message(direction, text, self.source, where, time, stream, len(text), offset,
                          binary, http)
        if settled is not None:
            yield settled

    def _closed(self, fields: dict[str, list[Any]], conn: _Conn, direction: Direction,
                stream: str) -> Settled | None:
        """A close frame: the DMS closing first answers what it leaves open (2.6)."""
        if direction == "send":
            conn.client_closed = True
            return None
        if conn.client_closed:
            return None  # the reply to the client's close
        code = _first(fields, "websocket_payload_close_status_code")
        return Settled(self.source, stream, close_answer(int(code) if code else None),
                       every=True)

    def _unannounced(self, fields: dict[str, list[Any]], tcp: str, count: int) -> _Conn:
        """A WebSocket stream whose handshake is not in the capture: the DMS's by port."""
        ports = {_first(fields, "tcp_srcport"), _first(fields, "tcp_dstport")} - {None}
        if not ports or self.port is None:
            self.unplaced += count  # an export without ports, or no port named: take it
            return _Conn(True, None)
        if self.port not in ports:
            self.skipped += count
            return _Conn(False, None)
        conn = self._conns[tcp] = _Conn(True, self.port, assumed=True)
        return conn

    def _fatal_answer(self, fields: dict[str, list[Any]]) -> bool:
        """An HTTP response to the base path with an error status (a fatal error, 2.6)."""
        code = _first(fields, "http_response_code")
        uri = _first(fields, "http_response_for_uri") or self.base_path
        return code not in (None, "200", "101") and is_dms_url(uri, self.base_path)

    def _http_body(self, fields: dict[str, list[Any]],
                   method: str | None) -> list[tuple[str | bytes, bool]]:
        if "http_file_data" not in fields:
            return []
        if method is not None:
            uri = _first(fields, "http_request_uri") or ""
            if method == "POST" and is_dms_url(uri, self.base_path):
                return [(_file_data(fields["http_file_data"][0]), False)]
        elif _first(fields, "http_response_code") == "200":
            uri = _first(fields, "http_response_for_uri") or self.base_path
            if is_dms_url(uri, self.base_path):
                return [(_file_data(fields["http_file_data"][0]), False)]
        return []

    @staticmethod
    def _websocket_payloads(fields: dict[str, list[Any]]) -> list[tuple[str | bytes, bool]]:
        opcodes = [str(o) for o in fields.get("websocket_opcode", [])]
        texts: list[tuple[str | bytes, bool]] = [
            (t, False) for t in fields.get("websocket_payload_text", []) if isinstance(t, str)]
        if _BINARY in opcodes:
            for raw in fields.get("data_data", []):
                hexes = str(raw).replace(":", "")
                try:  # the bytes as sent: the validator says whether they are UTF-8 JSON
                    texts.append((bytes.fromhex(hexes), True))
                except ValueError:
                    continue
        return texts

    def notes(self) -> Iterator[Note]:
        """What was assumed: messages taken by port, messages left out."""
        if self.assumed:
            yield Note(self.source, f"{self.assumed} WebSocket messages without a captured "
                                    f"handshake were taken as DMS traffic by port {self.port} "
                                    "(--port)")
        if self.unplaced:
            reason = "no port was named" if self.port is None else "the export has no TCP ports"
            yield Note(self.source, f"{self.unplaced} WebSocket messages without a captured "
                                    f"handshake were taken as DMS traffic ({reason})")
        if self.skipped:
            yield Note(self.source, f"{self.skipped} WebSocket messages on other ports without "
                                    "a captured handshake were left out (--port names the DMS "
                                    "port)")


_HEX_BYTES = re.compile(r"[0-9a-fA-F]{2}(?::?[0-9a-fA-F]{2})*")


def _file_data(value: Any) -> str | bytes:
    """An HTTP body as tshark exports it: text (Wireshark 4.0), or its bytes in hex.

    Newer Wireshark types ``http.file_data`` as bytes and writes them as hex
    (``7b:22:67...`` or ``7b2267...``); a DMS body in text starts with ``{`` and is
    never all hex digits, so the two cannot be mistaken for a request or an answer.
    """
    text = str(value)
    if _HEX_BYTES.fullmatch(text):
        return bytes.fromhex(text.replace(":", ""))
    return text


def _ws_direction(fields: dict[str, list[Any]], server_port: str | None) -> Direction:
    if server_port is not None:
        if _first(fields, "tcp_dstport") == server_port:
            return "send"
        if _first(fields, "tcp_srcport") == server_port:
            return "recv"
    masks = fields.get("websocket_mask", [])
    return "send" if any(str(m) in ("1", "True", "true") for m in masks) else "recv"


def _packets(doc: Any) -> Iterable[Any]:
    if isinstance(doc, list):
        for packet in doc:
            if isinstance(packet, dict):
                source = packet.get("_source")
                if isinstance(source, dict) and "layers" in source:
                    yield source["layers"]
                else:
                    yield packet.get("layers", packet)
    elif isinstance(doc, dict) and "layers" in doc:
        yield doc["layers"]


def read_tshark_json(path: str | Path, *, port: int | None = DMS_PORT,
                     label: str | None = None, base_path: str = BASE_PATH) -> Iterator[Record]:
    """Messages from a ``tshark -T json`` (or ``-T ek``) export."""
    source = label or str(path)
    size = Path(path).stat().st_size if Path(path).exists() else 0
    try:
        doc = load_json_file(path, "tshark JSON export")
    except CaptureError:
        doc = _ek_lines(path)  # -T ek: one JSON object per line
    traffic = DmsTraffic(source, port, base_path)
    for layers in _packets(doc):
        yield from traffic.messages(layers, size)
    yield from traffic.notes()


def _ek_lines(path: str | Path) -> list[Any]:
    packets = []
    with open(path, "rb") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                obj = parse_json(without_bom(line) if lineno == 1 else line)
            except NotJSON as exc:
                raise CaptureError(f"{path} is not a tshark JSON export: {exc.reason}") from exc
            if isinstance(obj, dict) and "layers" in obj:
                packets.append(obj)
    return packets


def read_pcap(path: str | Path, *, port: int | None = DMS_PORT,
              label: str | None = None, base_path: str = BASE_PATH) -> Iterator[Record]:
    """Messages from a pcap/pcapng file, decoded by running tshark (streamed)."""
    source = label or str(path)
    traffic = DmsTraffic(source, port, base_path)
    if shutil.which("tshark") is None:
        raise TsharkMissing("reading pcap/pcapng needs tshark (Debian: apt-get install tshark)")
    if not os.access(path, os.R_OK):
        raise CaptureError(f"cannot read {path}")
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(tshark_command(path), stdout=subprocess.PIPE,
                                   stderr=errors, stdin=subprocess.DEVNULL)
        assert process.stdout is not None
        finished = False
        try:
            for line in process.stdout:
                if b'"layers"' not in line[:200]:
                    continue  # the ek index lines
                try:
                    packet = parse_json(line)
                except NotJSON as exc:
                    raise CaptureError(f"tshark's output for {path} is {exc.reason}") from exc
                if isinstance(packet, dict):
                    yield from traffic.messages(packet.get("layers", {}))
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
    yield from traffic.notes()


__all__ = ["DECODE_OPTIONS", "DISPLAY", "DMS_PORT", "FIELDS", "DmsTraffic", "read_pcap",
           "read_tshark_json", "tshark_command"]
