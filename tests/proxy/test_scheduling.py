"""How ``dmsproto proxy`` asks to be scheduled: as a batch process, unless told otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from dmsproto.proxy.scheduling import POLICIES, schedule_process
from dmsproto.sim.server import Simulator
from dmsproto.sim.testing import tiny_plant
from tests.support.cli import WORKDIR
from tests.support.proxy_command import env, proxy_command, stop

linux_only = pytest.mark.skipif(not hasattr(os, "SCHED_BATCH"),
                                reason="batch scheduling is a Linux policy")


@linux_only
@pytest.mark.parametrize(("options", "policy"), [
    ((), "SCHED_BATCH"),
    (("--scheduling", "batch"), "SCHED_BATCH"),
    (("--scheduling", "normal"), "SCHED_OTHER"),
])
async def test_the_command_is_scheduled_as_asked(make_sim: Callable[..., Simulator],
                                                 options: tuple[str, ...], policy: str) -> None:
    sim = make_sim(tiny_plant())
    async with sim, proxy_command("--listen", "127.0.0.1:0", "--upstream", sim.url,
                                  *options) as (process, out, err):
        await out.line()  # listening: the policy was set before the loop started
        assert os.sched_getscheduler(process.pid) == getattr(os, policy)
        assert await stop(process) == 0
        notes = [*err.seen, await err.rest()]
    assert not any("scheduling" in line for line in notes)


def run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=env(), timeout=60, cwd=WORKDIR)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@linux_only
def test_a_policy_chosen_at_start_stays() -> None:
    # a process started as an idle one (chrt --idle) is not promoted to batch
    assert run_python("""
        import os
        from dmsproto.proxy.scheduling import schedule_process
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        print(schedule_process("batch"), os.sched_getscheduler(0) == os.SCHED_IDLE)
        """) == "None True"


@linux_only
def test_threads_started_afterwards_inherit_it() -> None:
    assert run_python("""
        import os, threading
        from dmsproto.proxy.scheduling import schedule_process
        schedule_process("batch")
        seen = []
        thread = threading.Thread(target=lambda: seen.append(os.sched_getscheduler(0)))
        thread.start(); thread.join()
        print(seen == [os.SCHED_BATCH])
        """) == "True"


def test_normal_leaves_the_process_as_it_is() -> None:
    before = os.sched_getscheduler(0) if hasattr(os, "sched_getscheduler") else None
    assert schedule_process("normal") is None
    after = os.sched_getscheduler(0) if hasattr(os, "sched_getscheduler") else None
    assert before == after


def test_an_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown scheduling policy 'fast' \(one of "
                                         + ", ".join(POLICIES)):
        schedule_process("fast")  # type: ignore[arg-type]


@linux_only
def test_a_refusal_is_told_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "sched_getscheduler", lambda pid: os.SCHED_OTHER)
    monkeypatch.setattr(os, "sched_setscheduler", refuse)
    assert schedule_process("batch") == (
        "the system refused batch scheduling (Operation not permitted): the proxy is "
        "scheduled as started")


@pytest.mark.parametrize(("options", "told"), [
    ((), []),  # the default there is normal: nothing to say
    (("--scheduling", "batch"),
     ["note: this system has no batch scheduling: the proxy is scheduled as started"]),
])
async def test_a_system_without_batch_scheduling(make_sim: Callable[..., Simulator],
                                                 tmp_path: Path, options: tuple[str, ...],
                                                 told: list[str]) -> None:
    # a stand-in start-up hook takes the policy away, as on macOS or Windows
    (tmp_path / "sitecustomize.py").write_text(
        "import os\nif hasattr(os, 'SCHED_BATCH'):\n    del os.SCHED_BATCH\n")
    sim = make_sim(tiny_plant())
    async with sim, proxy_command("--listen", "127.0.0.1:0", "--upstream", sim.url, *options,
                                  PREPEND=str(tmp_path)) as (process, out, err):
        await out.line()
        if hasattr(os, "sched_getscheduler"):
            assert os.sched_getscheduler(process.pid) == os.SCHED_OTHER
        assert await stop(process) == 0
        notes = [*err.seen, *(await err.rest()).splitlines()]
    assert [line for line in notes if "scheduling" in line] == told
