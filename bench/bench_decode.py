"""Decoding a 10,000-item get response and a 610,000-entry compact histData response
into our typed objects, against ``orjson.loads`` of the same bytes (time and peak memory);
validating long answers with one fault, against the same answers without it.

``decode`` rows time ``dmsproto.decode`` (the typed frame); ``client`` rows time what a
call pays: the client core receiving the frame (decode into the generated structs,
correlation) and building its results (``Point`` list, column-wise ``History``).
``validate`` rows time ``dmsproto.validate`` on the parsed frame: a histData answer one
entry over the document's cap of 610,000, and a long get answer whose last item alone is
wrong, each beside the valid answer of the same size (the fast path's one pass)."""

from __future__ import annotations

import orjson

import dmsproto
from dmsproto.protocol import ClientCore, GetMany, ReadHistory
from dmsproto.sim.limits import MAX_HIST_ENTRIES

from .common import Row, best_of, peak_memory

_START = "2026-01-01T00:00:00Z"


def _retag(data: bytes, old: int, new: int) -> bytes:
    head = b'{"tag":%d,' % old
    if not data.startswith(head):
        raise ValueError("benchmark frame must start with its root tag")
    return b'{"tag":%d,' % new + data[len(head):]


def client_results(data: bytes, n: int, history: bool, repeat: int) -> float:
    """Best time of receiving ``data`` as the answer to a fresh call and building results."""
    old = orjson.loads(data)["tag"]
    proto = ClientCore()
    op = ReadHistory("PLANT:T", _START) if history else GetMany(
        tuple(f"P{i}" for i in range(n)))
    jobs = []
    for _ in range(repeat):
        call = proto.start_call([op])
        jobs.append((call, _retag(data, old, call.ids[0])))
    jobs.reverse()

    def one() -> None:
        call, frame = jobs.pop()  # each answer freed after its round, as in a real call
        proto.receive(frame)
        call.results()

    return best_of(one, repeat)


def get_response(n: int) -> bytes:
    items = []
    for i in range(n):
        kind = i % 4
        value: object = [21.5 + i / 100, i, f"text {i}", i % 2 == 0][kind]
        items.append({
            "code": "ok", "path": f"PLANT:AHU{i // 100}:POINT{i}",
            "value": value, "type": ["double", "int", "string", "bool"][kind],
            "stamp": f"2026-11-23T08:{i % 60:02d}:{i % 60:02d},{i % 1000:03d}+01:00",
            **({"hasChild": True} if i % 10 == 0 else {}),
        })
    return orjson.dumps({"tag": 1, "get": items})


def hist_response(n: int) -> bytes:
    entries = []
    for i in range(n):
        day, rest = divmod(i * 15, 1440)
        date = f"2026-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}"
        stamp = f"{date}T{rest // 60:02d}:{rest % 60:02d}:00,000+01:00"
        entries.append({stamp: round(20 + (i % 97) / 10, 2)})
    return orjson.dumps({"tag": 2, "get": [{"code": "ok", "path": "PLANT:T", "value": 1.0,
                                            "type": "double", "stamp": None,
                                            "histData": entries}]})


def validation_rows(quick: bool) -> list[Row]:
    """Invalid long answers against valid ones of the same size, in the same run."""
    hist_valid = orjson.loads(hist_response(MAX_HIST_ENTRIES))
    entries = hist_valid["get"][0]["histData"]
    hist_over = {**hist_valid, "get": [{**hist_valid["get"][0],
                                        "histData": [*entries, entries[-1]]}]}
    n_get = 20_000 if quick else 200_000
    get_valid = orjson.loads(get_response(n_get))
    last = get_valid["get"][-1]
    get_wrong = {**get_valid, "get": [*get_valid["get"][:-1], {**last, "code": "fine"}]}
    repeat = 2 if quick else 5
    rows = []
    for label, valid, invalid in (
            (f"histData {MAX_HIST_ENTRIES + 1:,} entries, one over the cap", hist_valid,
             hist_over),
            (f"get {n_get:,} items, the last one wrong", get_valid, get_wrong)):
        if dmsproto.validate(valid, direction="recv") or [
                (v.pointer, v.rule) for v in dmsproto.validate(invalid, direction="recv")] not in (
                [("/get/0/histData", "maxItems")], [(f"/get/{n_get - 1}/code", "enum")]):
            raise RuntimeError(f"benchmark frames of {label!r} give other findings")
        base = best_of(lambda f=valid: dmsproto.validate(f, direction="recv"), repeat)
        ours = best_of(lambda f=invalid: dmsproto.validate(f, direction="recv"), repeat)
        rows.append(Row("validate", f"{label}: time", ours * 1e3, "ms",
                        "the valid answer of the same size", base * 1e3, "<= 5x"))
    return rows


def run(quick: bool) -> list[Row]:
    rows: list[Row] = []
    n_get, n_hist = (2_000, 50_000) if quick else (10_000, 610_000)
    cases = [(f"get {n_get:,} items", get_response(n_get)),
             (f"histData {n_hist:,} compact", hist_response(n_hist))]
    repeat = 2 if quick else 5
    sizes = [n_get, 0]
    for (label, data), n in zip(cases, sizes, strict=True):
        base = best_of(lambda d=data: orjson.loads(d), repeat)
        ours = best_of(lambda d=data: dmsproto.decode(d, direction="recv"), repeat)
        rows.append(Row("decode", f"{label}: time", ours * 1e3, "ms", "orjson.loads",
                        base * 1e3, "<= 3x"))
        client = client_results(data, n, history=n == 0, repeat=repeat)
        rows.append(Row("client", f"{label} into results: time", client * 1e3, "ms",
                        "orjson.loads", base * 1e3, "<= 3x"))
        base_mem = peak_memory(lambda d=data: orjson.loads(d))
        ours_mem = peak_memory(lambda d=data: dmsproto.decode(d, direction="recv"))
        rows.append(Row("decode", f"{label}: peak memory", ours_mem / 2**20, "MiB",
                        "orjson.loads", base_mem / 2**20, "<= 2x"))
    return rows + validation_rows(quick)
