"""The README's example code type-checks under mypy --strict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def test_readme_example_passes_mypy_strict() -> None:
    root = HERE.parent.parent
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental",
         "--follow-imports=silent", str(HERE / "readme_example.py")],
        capture_output=True, text=True, cwd=root, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout
