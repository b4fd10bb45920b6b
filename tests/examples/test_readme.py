"""The README's examples run as written against the simulator with the demo plant, its
Python examples type-check under mypy --strict, and the README stays a short front page."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from dmsproto.sim import Simulator
from tests.support.examples import ROOT, run_process_bounded

README = ROOT / "README.md"
DEFAULT_URL = "ws://127.0.0.1:9020/json_data"
MakeSim = Callable[..., Simulator]


def _blocks(language: str) -> list[str]:
    text = README.read_text("utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)


def _python_programs(folder: Path, url: str) -> list[Path]:
    programs = []
    for number, code in enumerate(_blocks("python"), 1):
        program = folder / f"readme_{number}.py"
        program.write_text(code.replace(DEFAULT_URL, url), "utf-8")
        programs.append(program)
    return programs


def test_readme_is_a_short_front_page() -> None:
    text = README.read_text("utf-8")
    assert len(text.splitlines()) <= 200
    for heading in ("## Quick start", "## A trio program", "## A blocking script",
                    "## The command line", "## Validating messages and captures",
                    "## Documentation"):
        assert heading in text
    # links into the docs point at files that exist
    for target in re.findall(r"\]\(((?:docs|examples)/[^)#]*)", text):
        assert (ROOT / target).exists(), target
    assert "EXMPL1" not in text and "A:B" not in text


async def test_python_examples_run_against_the_demo_plant(make_sim: MakeSim,
                                                          tmp_path: Path) -> None:
    async with make_sim(tick_interval=0.2) as sim:
        programs = _python_programs(tmp_path, sim.url)
        assert len(programs) >= 3
        outputs = []
        for program in programs:
            ran = await run_process_bounded([sys.executable, str(program)], cwd=tmp_path)
            assert ran.returncode == 0, (program.name, ran.stderr)
            outputs.append(ran.stdout)
    trio_out, sync_out, validate_out = outputs[:3]
    assert trio_out.startswith("Plant:HC1:TempFlow ")
    assert "20 room temperatures" in trio_out
    assert "System:Time" in trio_out
    assert " values" in sync_out and "Event(code='onChange'" in sync_out
    assert validate_out.splitlines() == ["error /set/0/value value-type",
                                         "warning /user set-user"]


def test_python_examples_type_check(tmp_path: Path) -> None:
    programs = _python_programs(tmp_path, DEFAULT_URL)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *map(str, programs)],
        capture_output=True, text=True, cwd=tmp_path, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


async def test_command_line_examples_run(make_sim: MakeSim, tmp_path: Path) -> None:
    (console,) = _blocks("console")
    commands = [line[2:].split("#")[0].strip() for line in console.splitlines()
                if line.startswith("$ ") and "serve" not in line]
    assert len(commands) >= 5
    async with make_sim(tick_interval=0.2) as sim:
        for command in commands:
            argv = command.split()
            assert argv[0] == "dmsproto"
            ran = await run_process_bounded([sys.executable, "-m", "dmsproto", *argv[1:]],
                                            cwd=tmp_path, url=sim.url)
            assert ran.returncode == 0, (command, ran.stderr)
    assert (tmp_path / "day.csv").read_text("utf-8").startswith("path,stamp,value,unit")


@pytest.mark.parametrize("line", [0, 1])
def test_quick_start_block_is_two_lines(line: int) -> None:
    block = README.read_text("utf-8").split("## Quick start", 1)[1].split("```")[1]
    lines = block.strip("\n").splitlines()
    assert len(lines) == 2
    assert lines[line].startswith("python -m pip install ")
