"""``python -m bench [--quick] [--only NAME ...]``: run benchmarks, print a table."""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
from types import ModuleType

from .common import Row

BENCHES = [
    "bench_decode", "bench_json", "bench_codegen", "bench_capture", "bench_roundtrip",
    "bench_events", "bench_aio", "bench_proxy", "bench_startup", "bench_fleet",
]


def _load(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"bench.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"bench.{name}":
            return None
        raise


def table(rows: list[Row]) -> str:
    head = ("benchmark", "figure", "baseline", "ratio", "goal")
    body = []
    for r in rows:
        fig = f"{r.figure:,.3g} {r.unit}" + (f" ({r.spread})" if r.spread else "")
        if r.baseline:
            base = f"{r.baseline_name}: {r.baseline:,.3g} {r.unit}" + (
                f" ({r.baseline_spread})" if r.baseline_spread else "")
            ratio = f"{r.ratio:.2f}x"
        else:
            base, ratio = r.baseline_name, "-"
        body.append((f"{r.bench}: {r.name}", fig, base, ratio, r.goal))
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes (CI smoke run)")
    parser.add_argument("--only", nargs="*", default=None, help="benchmark module names")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    load_before = os.getloadavg()
    for name in args.only or BENCHES:
        module = _load(name)
        if module is None:
            print(f"# {name}: not present", file=sys.stderr)
            continue
        print(f"# running {name} ...", file=sys.stderr, flush=True)
        rows.extend(module.run(args.quick))
    load_after = os.getloadavg()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} "
          f"cores, {'quick' if args.quick else 'full'} run; load average (1 min) "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
