"""Pick the reader for a capture file: by its name, else by its first bytes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..errors import NotJSON
from ..jsontext import parse_json
from ..recorder import SESSION_KEY
from .har import BASE_PATH, read_har
from .jsonl import read_jsonl
from .model import CaptureError, Record, without_bom
from .tshark import DMS_PORT, read_pcap, read_tshark_json

FORMATS = ("jsonl", "har", "tshark-json", "pcap")
"""The capture formats read: our JSON Lines, HAR, tshark JSON, pcap and pcapng."""
_PCAP_MAGIC = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1",
               b"\xa1\xb2\x3c\x4d", b"\x0a\x0d\x0d\x0a")


def detect_format(path: str | Path) -> str:
    """The capture format of a file, by its first bytes and its name.

    Args:
        path: the capture file.

    Returns:
        One of ``FORMATS`` (an empty file reads as ``jsonl``).

    Raises:
        CaptureError: the file cannot be read or is in none of the formats.
    """
    p = Path(path)
    try:
        with open(p, "rb") as handle:
            head = without_bom(handle.read(4096))
    except OSError as exc:
        raise CaptureError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if head[:4] in _PCAP_MAGIC:
        return "pcap"
    name = p.name.lower()
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith(".har"):
        return "har"
    text = head.lstrip()
    if text.startswith(b"["):
        return "tshark-json"
    if text.startswith(b'{"index"') or text.startswith(b'{"timestamp"'):
        return "tshark-json"
    if text.startswith(b"{"):
        first = text.split(b"\n", 1)[0]
        if _is_jsonl_record(first):
            return "jsonl"
        if b'"log"' in head:
            return "har"
    if not head:
        return "jsonl"  # an empty capture: read as one, it holds no message
    raise CaptureError(f"{path}: unknown capture format (expected JSON Lines, HAR, "
                       "tshark JSON, pcap or pcapng)")


def _is_jsonl_record(line: bytes) -> bool:
    """Whether ``line`` is a record of our JSON Lines format: a message or a session marker."""
    try:
        record = parse_json(line)
    except NotJSON:  # a line cut at the end of the head: judge by its text
        return b'"dir"' in line or line.startswith(b'{"time"')
    return type(record) is dict and ("dir" in record or SESSION_KEY in record)


def read_capture(path: str | Path, *, port: int | None = DMS_PORT,
                 fmt: str | None = None, base_path: str = BASE_PATH) -> Iterator[Record]:
    """Every record of one capture file, in capture order.

    Args:
        path: the capture file.
        port: the DMS port assumed for WebSocket connections whose handshake a
            network capture lacks.
        fmt: one of ``FORMATS``; ``None`` detects it (``detect_format``).
        base_path: picks the DMS's entries of a HAR file and the DMS's
            connections of a network capture.

    Returns:
        An iterator of ``Message``, ``BadRecord``, ``SessionStart`` and ``Note``
        records, read as it is consumed.

    Raises:
        CaptureError: the file cannot be read, or is in no known format.
        TsharkMissing: a pcap file, and Wireshark's ``tshark`` is not installed.
    """
    kind = fmt or detect_format(path)
    if kind == "jsonl":
        return read_jsonl(path)
    if kind == "har":
        return read_har(path, base_path=base_path)
    if kind == "tshark-json":
        return read_tshark_json(path, port=port, base_path=base_path)
    if kind == "pcap":
        return read_pcap(path, port=port, base_path=base_path)
    raise CaptureError(f"unknown capture format {kind!r}; known: {', '.join(FORMATS)}")


__all__ = ["FORMATS", "detect_format", "read_capture"]
