"""The JSON work the library does without its generated types, msgspec against orjson.

dmsproto keeps one JSON library (see ``docs/design.md``, "JSON library"); these rows
are the measurements behind that choice.  Each figure is msgspec's time for one
operation; the baseline is orjson doing the same in the same run:

* decoding whole frames into plain Python objects (what the validator and the
  capture readers do before the schema check), as bytes and as text;
* writing one capture line (what the recorder does per message);
* reading a JSON Lines capture line by line;
* the key of a JSON tag (object members sorted);
* pretty-printing a report-sized object (indent 2).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
import orjson

from .common import Row, best_of

STAMP = "2026-11-23T08:00:00,000+01:00"


def _frames() -> list[tuple[str, dict[str, Any]]]:
    response = {"tag": 17, "get": [{"code": "ok", "path": "PLANT:AHU1:T", "value": 21.5,
                                    "type": "double", "stamp": STAMP}]}
    events = {"event": [{"code": "onChange", "path": f"PLANT:AHU1:P{i}", "trigger": "bench",
                         "value": i, "type": "int", "stamp": STAMP, "tag": "sub"}
                        for i in range(100)]}
    query = {"tag": 3, "get": [{"code": "ok", "path": f"PLANT:AHU{k // 100}:POINT{k}",
                                "value": k * 0.5, "type": "double", "stamp": STAMP,
                                **({"hasChild": True} if k % 10 == 0 else {})}
                               for k in range(1000)]}
    return [("get response, 1 item", response), ("event frame, 100 events", events),
            ("query response, 1,000 items", query)]


def _per_op(ours: Callable[[], Any], base: Callable[[], Any], n: int,
            repeat: int) -> tuple[float, float]:
    """Best time of one call of each, in µs; timings alternate so load hits both alike."""

    def many(fn: Callable[[], Any]) -> Callable[[], None]:
        def loop() -> None:
            for _ in range(n):
                fn()

        return loop

    ours_times, base_times = [], []
    for _ in range(repeat):
        ours_times.append(best_of(many(ours), 1))
        base_times.append(best_of(many(base), 1))
    return min(ours_times) / n * 1e6, min(base_times) / n * 1e6


def run(quick: bool) -> list[Row]:
    scale = 1 if quick else 5
    repeat = 3 if quick else 15
    rows: list[Row] = []

    def row(name: str, ours: Callable[[], Any], base: Callable[[], Any], n: int,
            goal: str = "<= 1.1x") -> None:
        figure, baseline = _per_op(ours, base, n * scale, repeat)
        rows.append(Row("json", name, figure, "µs", "orjson", baseline, goal))

    decode = msgspec.json.decode
    for label, frame in _frames():
        data = orjson.dumps(frame)
        text = data.decode()
        n = max(20, 20_000 // len(data) * 50)
        row(f"decode {label} ({len(data):,} bytes)", lambda d=data: decode(d),
            lambda d=data: orjson.loads(d), n)
        row(f"decode {label}, as text", lambda t=text: decode(t),
            lambda t=text: orjson.loads(t), n)

    message = orjson.dumps(_frames()[0][1]).decode()
    record = {"time": datetime.now(UTC).isoformat(timespec="microseconds"), "dir": "recv",
              "data": message}
    encode = msgspec.json.encode
    row("capture line of a 1-item response", lambda: encode(record) + b"\n",
        lambda: orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE), 20_000)

    lines = []
    for i in range(2_000):
        for _, frame in _frames()[:2]:
            lines.append(orjson.dumps({"time": 1.7e9 + i, "dir": "recv",
                                       "data": orjson.dumps(frame).decode()}))

    def read_ours() -> None:
        for line in lines:
            decode(line)

    def read_base() -> None:
        loads = orjson.loads
        for line in lines:
            loads(line)

    row(f"read {len(lines):,} capture lines (data as escaped text)", read_ours, read_base, 1,
        "(report only)")

    tag = {"site": "north", "seq": 17, "ids": [1, 2, 3]}
    sorted_encode = msgspec.json.Encoder(order="sorted").encode
    row("key of an object tag", lambda: sorted_encode(tag),
        lambda: orjson.dumps(tag, option=orjson.OPT_SORT_KEYS), 20_000)

    report = _frames()[1][1]
    row("pretty-print a 100-event object", lambda: msgspec.json.format(encode(report)),
        lambda: orjson.dumps(report, option=orjson.OPT_INDENT_2), 200, "(report only)")
    return rows
