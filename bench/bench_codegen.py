"""Time to regenerate the bindings of every protocol version (report only)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from codegen.generate import generate_all

from .common import Row


def run(quick: bool) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        versions = generate_all(Path(tmp))
        elapsed = time.perf_counter() - t0
    return [Row("codegen", f"regenerate {len(versions)} version(s)", elapsed, "s",
                "(report only)", 0.0)]
