"""The installed package (the README's test line installs it editable) is visible to type
checkers: mypy --strict on a user's own file, outside the repository, finds dmsproto and
its types. (An import-hook editable install would hide it from mypy.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

USER_PROGRAM = '''\
import trio

import dmsproto
from dmsproto.frames import v1_4


async def main(url: str) -> float | None:
    async with dmsproto.connect(url, whois="mine") as dms:
        point = await dms.get("Plant:HC1:TempFlow")
        return point.value if isinstance(point.value, float) else None


frame = v1_4.decode_response(b'{"get":[]}')
print(trio.run(main, "ws://127.0.0.1:9020/json_data"), frame.get)
'''


def _mypy(folder: Path, *files: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MYPYPATH", "PYTHONPATH")}
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *files],
        capture_output=True, text=True, cwd=folder, env=env, timeout=600, check=False)


def test_mypy_strict_finds_the_installed_package(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    assert root not in tmp_path.parents
    (tmp_path / "mine.py").write_text(USER_PROGRAM, "utf-8")
    result = _mypy(tmp_path, "mine.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found in 1 source file" in result.stdout


def test_mypy_sees_the_packages_types(tmp_path: Path) -> None:
    """Not merely an Any: a wrong use of dmsproto's types is reported."""
    (tmp_path / "wrong.py").write_text(
        "import dmsproto\n\nstamp: int = dmsproto.parse_stamp('2015-03-20T08:49:19,000+01:00')\n",
        "utf-8")
    result = _mypy(tmp_path, "wrong.py")
    assert result.returncode == 1
    assert 'wrong.py:3: error: Incompatible types in assignment (expression has type "datetime"' \
        in result.stdout, result.stdout
