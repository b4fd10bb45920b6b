"""Every program in examples/ runs against the simulator with the demo plant, as a user
runs it (a subprocess, the URL in ``DMSPROTO_URL``), and type-checks under mypy --strict."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import trio

import dmsproto
from dmsproto.sim import Simulator
from tests.support.examples import ROOT, Ran, env_with_url, run_process_bounded

EXAMPLES = ROOT / "examples"
MakeSim = Callable[..., Simulator]


async def run_example(name: str, *args: str, url: str | None = None,
                      cwd: Path | None = None) -> Ran:
    """Run ``examples/<name>`` to its end (bounded)."""
    return await run_process_bounded([sys.executable, str(EXAMPLES / name), *args],
                                      url=url, cwd=cwd)


class Lines:
    """The stdout of a running example, read line by line."""

    def __init__(self, process: trio.Process) -> None:
        assert process.stdout is not None
        self.stream = process.stdout
        self.buffer = b""
        self.seen: list[str] = []

    async def until(self, text: str) -> str:
        """Read lines until one contains ``text``; return it."""
        while True:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                self.seen.append(line.decode())
                if text in self.seen[-1]:
                    return self.seen[-1]
            chunk = await self.stream.receive_some(65536)
            if not chunk:
                raise AssertionError(f"example ended before {text!r}: {self.seen}")
            self.buffer += chunk


def test_there_are_at_least_eight_examples_and_each_is_tested() -> None:
    names = sorted(p.name for p in EXAMPLES.glob("*.py"))
    assert len(names) >= 8
    source = Path(__file__).read_text("utf-8")
    untested = [n for n in names if f'"{n}"' not in source]
    assert untested == []


def test_examples_type_check_under_mypy_strict() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(EXAMPLES)],
        capture_output=True, text=True, cwd=ROOT, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


async def test_read_write(make_sim: MakeSim) -> None:
    async with make_sim() as sim:
        ran = await run_example("read_write.py", url=sim.url)
        assert ran.returncode == 0, ran.stderr
        assert "Plant:Nowhere: not found" in ran.stdout
        assert "set Plant:Rooms:R101:TempSet = 21.5 (double)" in ran.stdout
        assert "deleted: Examples:Memo:Value is gone" in ran.stdout
        async with dmsproto.connect(sim.url) as dms:
            assert (await dms.get("Plant:Rooms:R101:TempSet")).value == 21.5


async def test_asyncio_service(make_sim: MakeSim) -> None:
    async with make_sim() as sim:
        ran = await run_example("asyncio_service.py", url=sim.url)
        assert ran.returncode == 0, ran.stderr
        lines = ran.stdout.splitlines()
        assert "Plant:Nowhere: not found" in lines
        assert [line for line in lines if line.startswith("set ")] == [
            f"set Plant:Rooms:R101:TempSet = {v}" for v in (20.5, 21.0, 21.5)]
        changes = [line for line in lines if " -> " in line]
        assert changes == [f"Plant:Rooms:R101:TempSet -> {v} (by example-asyncio)"
                           for v in (20.5, 21.0, 21.5)]
        assert lines[-1] == "done"
        async with dmsproto.connect(sim.url) as dms:
            assert (await dms.get("Plant:Rooms:R101:TempSet")).value == 21.5


async def test_search_tree(make_sim: MakeSim) -> None:
    async with make_sim() as sim:
        ran = await run_example("search_tree.py", url=sim.url)
    assert ran.returncode == 0, ran.stderr
    assert "+ Plant:HC1:Pump" in ran.stdout.splitlines()
    assert "20 room temperatures" in ran.stdout
    assert "8 alarm datapoints" in ran.stdout
    assert "  Plant:AHU1:Filter:Alarm: ACTIVE" in ran.stdout.splitlines()


async def test_export_history_csv(make_sim: MakeSim, tmp_path: Path) -> None:
    async with make_sim() as sim:
        ran = await run_example("export_history_csv.py", "week.csv", url=sim.url, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    with open(tmp_path / "week.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["stamp", "Plant:AHU1:TempOutdoor", "Plant:AHU1:TempSupply",
                       "Plant:HC1:TempFlow", "Plant:Boiler:Pressure"]
    assert 24 * 7 - 2 <= len(rows) - 1 <= 24 * 7 + 1  # hourly values over one week
    stamps = [dmsproto.parse_stamp(r[0]) for r in rows[1:]]
    assert stamps == sorted(stamps)
    assert (stamps[-1] - stamps[0]).days >= 6
    assert all(r[2] and r[3] for r in rows[1:])  # supply and flow: a value every hour
    assert f"wrote {len(rows) - 1} rows to week.csv" in ran.stdout


async def test_watch_alarms_survives_a_dms_restart(make_sim: MakeSim) -> None:
    """An alarm raised before the DMS restarts and one after: the example sees both."""
    with trio.fail_after(60):
        async with make_sim() as first:
            port = first.port
            process = await trio.lowlevel.open_process(
                [sys.executable, str(EXAMPLES / "watch_alarms.py"), "--count", "2"],
                stdout=subprocess.PIPE, env=env_with_url(first.url), cwd=ROOT)
            lines = Lines(process)
            try:
                assert "active: Plant:AHU1:Filter:Alarm" in await lines.until("alarm datapoints")
                await lines.until("watching")
                async with dmsproto.connect(first.url, whois="operator") as dms:
                    await dms.set("Plant:Boiler:Fault", True)
                assert "Plant:Boiler:Fault RAISED (by operator)" in await lines.until("RAISED")
            except BaseException:
                process.kill()
                raise
        # the DMS is gone (its WebSockets closed with 1001); a new one starts on its port
        async with make_sim(port=port) as second:
            try:
                await lines.until("connection lost and renewed (reconnect)")
                # a new DMS: its alarm states are the plant's again
                assert "active: Plant:AHU1:Filter:Alarm" in await lines.until("active:")
                async with dmsproto.connect(second.url, whois="operator") as dms:
                    await dms.set("Plant:HC2:Pump:Fault", True)
                assert "Plant:HC2:Pump:Fault RAISED" in await lines.until("RAISED")
                assert await process.wait() == 0
            finally:
                process.kill()


async def test_blocking_callbacks(make_sim: MakeSim) -> None:
    async with make_sim(tick_interval=0.1) as sim:
        ran = await run_example("blocking_callbacks.py", "--seconds", "1.5", url=sim.url)
    assert ran.returncode == 0, ran.stderr
    assert "DMS version: ProMoS DMS" in ran.stdout
    counts = {line.split(": ")[0]: int(line.split(": ")[1].split()[0])
              for line in ran.stdout.splitlines() if line.endswith(" events")}
    assert counts.get("System:Time", 0) >= 1
    assert any(path.startswith("System:Blinker:") for path in counts), counts


async def test_validate_har() -> None:
    ran = await run_example("validate_har.py")
    assert ran.returncode == 1, ran.stderr  # the sample holds mistakes on purpose
    assert "23 DMS messages checked" in ran.stdout
    assert "send /get/0/colour: unknown member 'colour' is not allowed" in ran.stdout
    missing = await run_example("validate_har.py", str(EXAMPLES / "no-such.har"))
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr


async def test_many_subscriptions_in_one_nursery(make_sim: MakeSim) -> None:
    async with make_sim(tick_interval=0.2) as sim:
        ran = await run_example("many_subscriptions.py", "--seconds", "3", url=sim.url)
    assert ran.returncode == 0, ran.stderr
    kinds = {line.split()[0] for line in ran.stdout.splitlines() if line.strip()}
    assert {"clock", "blinker", "setpoint"} <= kinds
    assert "setpoint  onChange 21.5 by example-operator" in ran.stdout
    assert ran.stdout.rstrip().endswith("done: every subscription ended")


async def test_pytest_example_passes() -> None:
    with trio.fail_after(120):
        done = await trio.run_process(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             str(EXAMPLES / "test_with_simulator.py")],
            capture_stdout=True, capture_stderr=True, check=False, env=env_with_url(None), cwd=ROOT)
    out = done.stdout.decode()
    assert done.returncode == 0, out
    assert "3 passed" in out


@pytest.mark.parametrize("name", ["read_write.py", "search_tree.py", "asyncio_service.py"])
async def test_a_missing_dms_is_one_clear_error(name: str) -> None:
    """Started without a DMS, an example fails with the library's own ConnectError."""
    ran = await run_example(name, url="ws://127.0.0.1:9/json_data")
    assert ran.returncode == 1
    assert "dmsproto.errors.ConnectError" in ran.stderr
