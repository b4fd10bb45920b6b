"""The README's example code and a user program with options and filters type-check under
mypy --strict, and the mistakes a user can make with options and filters are reported."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def _mypy(program: str) -> subprocess.CompletedProcess[str]:
    root = HERE.parent.parent
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental",
         "--follow-imports=silent", str(HERE / program)],
        capture_output=True, text=True, cwd=root, timeout=600, check=False,
    )


def test_readme_example_passes_mypy_strict() -> None:
    result = _mypy("readme_example.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


def test_options_and_filters_are_checked_in_user_code() -> None:
    """Both connects, query and subscribe of both clients take typed declared keywords."""
    result = _mypy("options_example.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


def test_mistakes_with_options_and_filters_are_reported() -> None:
    source = (HERE / "options_mistakes.py").read_text(encoding="utf-8").splitlines()
    expected = {(n, m.group(1)) for n, line in enumerate(source, 1)
                if (m := re.search(r"# error: ([\w-]+)$", line))}
    assert len(expected) == 9
    result = _mypy("options_mistakes.py")
    reported = {(int(m.group(1)), m.group(2)) for m in re.finditer(
        r"options_mistakes\.py:(\d+): error: .*\[([\w-]+)\]$", result.stdout, re.MULTILINE)}
    assert reported == expected, result.stdout + result.stderr
