"""Validating a large JSON Lines capture (``dmsproto validate``) against plain ``json.loads``
of the same lines, in MB/s.  Goal: at most 3x the time of json.loads.

The synthetic capture mixes what real sessions carry: small get/set round trips with
tags, events for a subscription, and big query responses (1,000 items each).  It is
written twice: with ``data`` as JSON text (what :class:`~dmsproto.capture.Recorder`
writes) and with ``data`` as a JSON object.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from dmsproto.capture import validate_files

from .common import Row

STAMP = "2026-11-23T08:00:00,000+01:00"


def _session(i: int) -> Iterator[tuple[str, dict[str, Any]]]:
    path = f"PLANT:AHU{i % 50}:POINT{i % 997}"
    yield "send", {"get": [{"path": path, "tag": i}], "tag": f"g{i}"}
    yield "recv", {"tag": f"g{i}", "get": [{"code": "ok", "path": path, "value": 21.5 + i % 7,
                                             "type": "double", "stamp": STAMP, "tag": i}]}
    yield "send", {"set": [{"path": path, "value": i % 100, "stamp": "2026-11-23T07:00:00Z"}],
                   "whois": "bench", "user": "", "tag": f"w{i}"}
    yield "recv", {"tag": f"w{i}", "set": [{"code": "ok", "path": path, "value": i % 100,
                                            "type": "int", "stamp": STAMP}]}
    yield "recv", {"event": [{"code": "onChange", "path": "PLANT:AHU1:SP", "trigger": "bench",
                              "value": i, "type": "int", "stamp": STAMP, "tag": "sub"}]}
    if i % 50 == 0:
        yield "send", {"get": [{"path": "PLANT", "query": {"maxDepth": 0}}], "tag": f"q{i}"}
        yield "recv", {"tag": f"q{i}", "get": [
            {"code": "ok", "path": f"PLANT:AHU{k // 100}:POINT{k}", "value": k * 0.5,
             "type": "double", "stamp": STAMP, **({"hasChild": True} if k % 10 == 0 else {})}
            for k in range(1000)]}


def write_capture(path: Path, size: int, *, as_text: bool) -> int:
    """A capture of about ``size`` bytes; returns its real size."""
    written = 0
    with open(path, "wb") as out:
        out.write(orjson.dumps({"time": 0.0, "dir": "send", "data": {"subscribe": [
            {"path": "PLANT:AHU1:SP", "tag": "sub"}]}}) + b"\n")
        out.write(orjson.dumps({"time": 0.0, "dir": "recv", "data": {"subscribe": [
            {"code": "ok", "path": "PLANT:AHU1:SP", "value": 1, "type": "int", "stamp": STAMP,
             "tag": "sub"}]}}) + b"\n")
        i = 0
        while written < size:
            for direction, frame in _session(i):
                data: Any = orjson.dumps(frame).decode() if as_text else frame
                line = orjson.dumps({"time": 1.7e9 + i / 100, "dir": direction, "data": data},
                                    option=orjson.OPT_APPEND_NEWLINE)
                out.write(line)
                written += len(line)
            i += 1
    return path.stat().st_size


def _json_loads_all(path: Path) -> None:
    loads = json.loads
    with open(path, "rb") as handle:
        for line in handle:
            loads(line)


def _best(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def run(quick: bool) -> list[Row]:
    size = 5_000_000 if quick else 100_000_000
    repeat = 2 if quick else 1
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for as_text in (True, False):
            path = Path(tmp) / ("text.jsonl" if as_text else "object.jsonl")
            real = write_capture(path, size, as_text=as_text)
            report = validate_files([path])
            if not report.clean:
                raise RuntimeError(f"synthetic capture is not clean:\n{report.to_text()}")
            ours = _best(lambda p=path: validate_files([p]), repeat)
            base = _best(lambda p=path: _json_loads_all(p), repeat)
            mb = real / 1e6
            label = "data as text" if as_text else "data as object"
            # Figures are seconds per 100 MB, so the ratio reads "times slower".
            rows.append(Row("capture", f"validate {mb:,.0f} MB JSON Lines ({label}): MB/s",
                            mb / ours, "MB/s", "json.loads of the lines", mb / base, ""))
            rows.append(Row("capture", f"validate ({label}): time per 100 MB",
                            ours / mb * 100, "s", "json.loads of the lines",
                            base / mb * 100, "<= 3x"))
    return rows
