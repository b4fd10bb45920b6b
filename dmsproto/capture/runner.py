"""Validate whole captures: every frame against its schema, then across messages.

The loop is the hot path of ``dmsproto validate``: each message is parsed once
(:func:`dmsproto.jsontext.parse_json`), checked with the strict Rust validator, and
only a failing frame is looked at by the exact Python validator; the cross-message
checker works on the same parsed object.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..errors import NotJSON
from ..jsontext import parse_json
from ..validation.frame import not_an_object_violation, not_json_violation
from ..validation.rules import binary_frame, websocket_only
from ..versions import DEFAULT_VERSION, get_version
from ..wording import count
from .checker import COMMANDS, Checker
from .fastcheck import FrameValidator
from .har import BASE_PATH
from .model import BadRecord, Message, Note, Record, SessionStart, Settled, Unseen
from .readers import read_capture
from .report import Report
from .tshark import DMS_PORT

#: ``progress(bytes_done, bytes_total, messages_done)``
Progress = Callable[[int, int, int], None]
_PROGRESS_EVERY = 4096
_KNOWN = COMMANDS | {"event"}


def validate_records(records: Iterable[Record], report: Report, *,
                     progress: Callable[[int, int], None] | None = None) -> None:
    """Check ``records`` (one file's, in order) into ``report``; cross checks included.

    Args:
        records: one capture file's records, in capture order (``read_capture``).
        report: where findings and counts go.
        progress: called now and then with the bytes of input consumed and the
            messages checked so far.
    """
    checker = Checker(report.add)
    settled: Counter[tuple[str, str]] = Counter()
    _run(records, report, checker, progress, settled)
    checker.finish()
    for (source, reason), n in sorted(settled.items()):
        report.notes.append(f"{source}: {count(n, 'request')} not checked against an "
                            f"answer: {reason}")


def _run(records: Iterable[Record], report: Report, checker: Checker,
         progress: Callable[[int, int], None] | None,
         settled: Counter[tuple[str, str]]) -> None:
    frames = FrameValidator(report.protocol)
    check = frames.check
    feed = checker.feed
    add = report.add
    counts = report.counts
    loads = parse_json
    messages = report.messages
    size = 0
    per_file = report.per_file
    for record in records:
        if type(record) is not Message:
            if type(record) is Settled:
                answered = checker.settle(record.stream, every=record.every)
                if answered:
                    settled[record.source, record.reason] += answered
            elif type(record) is Unseen:
                checker.unreadable(Message("send", "", record.source, record.where, record.time,
                                           record.stream, 0))
                settled[record.source, record.reason] += 1
            else:
                _other(record, report)
            continue
        assert isinstance(record, Message)  # for the type checker
        messages += 1
        per_file[record.source] += 1
        size += record.size
        if record.binary:
            flagged = binary_frame()
            add(flagged.rule, record, flagged.pointer, flagged.value, flagged.message)
        data: Any = record.data
        if type(data) is str or type(data) is bytes:
            try:
                data = loads(data)
            except NotJSON as exc:
                v = not_json_violation(exc)
                add(v.rule, record, v.pointer, v.value, v.message)
                counts[record.direction, "(not JSON)"] += 1
                if record.direction == "send":
                    checker.unreadable(record)
                continue
        if type(data) is dict:
            for v in check(data, record.direction):
                add(v.rule, record, v.pointer, v.value, v.message)
            if record.http and record.direction == "send":
                for v in websocket_only(data):
                    add(v.rule, record, v.pointer, v.value, v.message)
            known = False
            for key in data:
                if key in _KNOWN:
                    counts[record.direction, key] += 1
                    known = True
            if not known:
                counts[record.direction, "(no command)"] += 1
            feed(record, data)
        else:  # a string parsed from the text is a JSON string, not text to read again
            v = not_an_object_violation(data)
            add(v.rule, record, v.pointer, v.value, v.message)
            counts[record.direction, "(not an object)"] += 1
            if record.direction == "send":
                checker.unreadable(record)
        if progress is not None and not messages % _PROGRESS_EVERY:
            progress(record.offset, messages)
    report.messages = messages
    report.bytes += size


def _other(record: Record, report: Report) -> None:
    """A record that is no message: a bad one, a session start, a reader's note."""
    if type(record) is BadRecord:
        report.add_bad_record(record)
    elif type(record) is SessionStart:
        report.sessions += 1
    elif isinstance(record, Note):
        report.notes.append(f"{record.source}: {record.text}")


def validate_files(paths: Iterable[str | os.PathLike[str]], *,
                   protocol: str = DEFAULT_VERSION, max_examples: int = 5,
                   port: int | None = DMS_PORT, base_path: str = BASE_PATH,
                   progress: Progress | None = None) -> Report:
    """Validate capture files (any supported format) and return the report.

    Args:
        paths: capture files (JSON Lines, HAR, tshark JSON, pcap/pcapng).
        protocol: the protocol version to check against.
        max_examples: findings kept in detail per rule.
        port: the DMS port assumed for WebSocket connections whose handshake a
            network capture lacks.
        base_path: the DMS's URL path (HAR entries, handshakes, POSTs).
        progress: called now and then with bytes done, bytes in all, messages.

    Returns:
        The report; ``report.empty_files`` names the files without DMS messages.

    Raises:
        CaptureError: a file cannot be read.
        TsharkMissing: a pcap file needs tshark, which is not installed.
        UnknownVersionError: ``protocol`` is not a shipped version.
    """
    names = [os.fspath(p) for p in paths]
    get_version(protocol)
    report = Report(files=names, protocol=protocol, max_examples=max_examples)
    sizes = [Path(n).stat().st_size if Path(n).is_file() else 0 for n in names]
    total = sum(sizes)
    done = 0
    for name, file_size in zip(names, sizes, strict=True):
        tick: Callable[[int, int], None] | None = None
        if progress is not None:
            base = done

            def tick(offset: int, count: int, base: int = base) -> None:
                progress(base + offset, total, count)

        validate_records(read_capture(name, port=port, base_path=base_path), report,
                         progress=tick)
        done += file_size
        if progress is not None:
            progress(done, total, report.messages)
    return report


__all__ = ["Progress", "validate_files", "validate_records"]
