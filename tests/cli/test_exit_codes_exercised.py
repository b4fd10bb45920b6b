"""Every documented exit code is produced by at least one real ``dmsproto`` subprocess.

The codes are read from :mod:`dmsproto.cli.exits`; a new code without a test that runs
the command and compares its ``returncode`` with it fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

from dmsproto.cli import exits

TESTS = Path(__file__).resolve().parents[1]
CODES = {name: value for name, value in vars(exits).items()
         if name.isupper() and isinstance(value, int)}


def test_the_documented_codes_are_the_constants() -> None:
    table = {int(n) for n in re.findall(r"^\s*(\d+)\s{2,}", exits.__doc__ or "", re.M)}
    assert table == set(CODES.values())


def test_every_exit_code_is_compared_with_a_subprocess_returncode() -> None:
    asserted: set[str] = set()
    for source in TESTS.rglob("test_*.py"):
        text = source.read_text(encoding="utf-8")
        if "subprocess" not in text and "tests.support.cli" not in text \
                and "serve_process" not in text:
            continue
        asserted |= set(re.findall(r"returncode == exits\.([A-Z_]+)", text))
    missing = sorted(set(CODES) - asserted)
    assert not missing, f"no subprocess test ends with these exit codes: {missing}"
