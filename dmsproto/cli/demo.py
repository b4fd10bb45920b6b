"""``dmsproto demo``: the main job against a simulator started in-process, explained as it runs.

The README's first command: it must work from a plain install (no plot extra
needed), touch no network beyond loopback, and finish in a few seconds. Each step
prints the CLI command that does the same against a real DMS.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import trio

from .. import wording
from ..client import Client, Subscription, connect
from ..results import Event, ItemError
from . import exits, plot
from .cmd_changelog import print_entries
from .cmd_history import summary
from .cmd_watch import event_line
from .output import Output, human_stamp, sparkline, with_unit

READ_PATHS = (
    "System:Version",
    "Plant:HC1:TempFlow",
    "Plant:HC1:Pump:Cmd",
    "Plant:Rooms:R101:Temp",
    "Plant:Boiler:Pressure",
    "Plant:Meters:Electricity:Energy",
)
TREND = "Plant:HC1:TempFlow"
STEPS = 7


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``demo`` subcommand and its flags to the command line."""
    d = sub.add_parser("demo", parents=parents, help="a guided tour against a built-in simulator",
                       description="Start the DMS simulator in-process and walk through reading, "
                       "searching, writing, watching, history and change logs.")
    d.add_argument("--plot", metavar="FILE.png",
                   help="where to save the trend chart [a file in the temp directory]")
    d.add_argument("--watch-seconds", type=float, default=3.0, metavar="S",
                   help="how long to watch live events [3]")
    d.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Output) -> int:
    """``dmsproto demo``: the guided tour against the built-in simulator."""
    if out.json_mode:
        raise exits.usage("demo is a guided tour for people and has no --json output; "
                          "every command it shows takes --json (e.g. dmsproto get PATH --json)")
    if args.watch_seconds < 0:
        raise exits.usage("--watch-seconds must be >= 0")
    return trio.run(partial(_demo, args, out))


class _Steps:
    def __init__(self, out: Output) -> None:
        self.out = out
        self.n = 0

    def __call__(self, title: str, command: str) -> None:
        self.n += 1
        out = self.out
        out.line()
        out.line(out.style(f"[{self.n}/{STEPS}] {title}", "bold", "blue"))
        out.line(out.style(f"      $ {command}", "dim"))


async def _demo(args: argparse.Namespace, out: Output) -> int:
    from ..sim import Simulator

    started = trio.current_time()
    step = _Steps(out)
    async with Simulator(port=0, tick_interval=0.5) as sim:
        out.line(out.style("dmsproto demo", "bold") + " — a DMS simulator is running at "
                 + out.style(sim.url, "cyan"))
        async with connect(sim.url, whois="dmsproto-demo") as dms:
            await _read(dms, out, step)
            await _search(dms, out, step)
            await _write(dms, out, step)
            await _watch(dms, out, step, args.watch_seconds)
            await _history(dms, out, step, args.plot)
            await _changelogs(dms, out, step)
            step("Clean up: delete what the demo created", "dmsproto delete Demo --recursive")
            await dms.delete("Demo", recursive=True)
            out.line("deleted Demo and its children")
    elapsed = trio.current_time() - started
    out.line()
    out.line(out.style(f"Done in {elapsed:.1f} s.", "bold", "green")
             + " Next: `dmsproto serve` in one terminal, `dmsproto ls Plant` in another.")
    return exits.OK


async def _read(dms: Client, out: Output, step: _Steps) -> None:
    step("Read datapoints (value, unit, timestamp)",
         "dmsproto get Plant:HC1:TempFlow Plant:Rooms:R101:Temp")
    rows = []
    for item in await dms.get_many(READ_PATHS, ext_infos=["unit", "name"]):
        if isinstance(item, ItemError):
            rows.append([item.path or "?", item.code, ""])
            continue
        name = item.ext_infos.name if item.ext_infos else None
        unit = item.ext_infos.unit if item.ext_infos else None
        rows.append([item.path, with_unit(item.value, item.type, unit), name or ""])
    out.table(["PATH", "VALUE", "NAME"], rows, styles=[None, "bold", "dim"])


async def _search(dms: Client, out: Output, step: _Steps) -> None:
    step("Search the tree with a query (regex on the path, any depth)",
         "dmsproto ls Plant:Rooms --depth 0 --regex-path ':Temp$'")
    rooms = await dms.query("Plant:Rooms", regex_path=":Temp$", max_depth=0,
                            ext_infos=["unit"])
    shown = rooms[:5]
    out.table(["PATH", "VALUE"],
              ([p.path, with_unit(p.value, p.type, p.ext_infos.unit if p.ext_infos else None)]
               for p in shown), styles=[None, "bold"])
    if len(rooms) > len(shown):
        more = wording.count(len(rooms) - len(shown), "more room temperature")
        out.line(out.style(f"… and {more}", "dim"))
    alarms = await dms.query("Plant", has_alarm_data=True, max_depth=0)
    example = alarms[0].path if alarms else "-"
    out.line(f"{wording.count(len(alarms), 'alarm datapoint')} below Plant "
             f"(dmsproto ls Plant --depth 0 --has-alarms), e.g. {example}")


async def _write(dms: Client, out: Output, step: _Steps) -> None:
    step("Write a setpoint, create datapoints, rename one",
         "dmsproto set Plant:Rooms:R101:TempSet 22.5")
    done = [
        await dms.set("Plant:Rooms:R101:TempSet", 22.5),
        await dms.set("Demo:Note", "hello from dmsproto", create=True),
        await dms.set("Demo:Counter", 0, type="double", create=True),
    ]
    for result in done:
        out.line(f"set {result.path} = {out.style(str(result.value), 'bold')} "
                 f"{out.style(f'({result.type})', 'dim')}")
    renamed = await dms.rename("Demo:Note", "Demo:Greeting")
    out.line(f"renamed {renamed.path} -> {renamed.new_path}")


async def _watch(dms: Client, out: Output, step: _Steps, seconds: float) -> None:
    step(f"Watch live events for {seconds:g} s while the demo writes",
         "dmsproto watch System:Time System:Blinker:Blink1 Demo:Counter")
    subs = [dms.subscribe("System:Time"), dms.subscribe("System:Blinker:Blink1"),
            dms.subscribe("Demo:Counter")]
    count = 0

    async def follow(sub: Subscription[Event],
                     task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        nonlocal count
        async with sub:
            task_status.started()
            async for event in sub:
                count += 1
                out.line(event_line(out, event))

    with trio.move_on_after(seconds):
        async with trio.open_nursery() as nursery:
            for sub in subs:
                await nursery.start(follow, sub)
            for n in range(1, 5):
                await trio.sleep(seconds / 5)
                await dms.set("Demo:Counter", float(n))
            await trio.sleep_forever()
    out.line(out.style(f"{wording.count(count, 'event')}; unsubscribed", "dim"))


async def _history(dms: Client, out: Output, step: _Steps, target: str | None) -> None:
    step("Read a day of trend history", f"dmsproto history {TREND} --start -1d --plot trend.png")
    now = datetime.now().astimezone()
    info = await dms.get(TREND, ext_infos=["unit", "name"])
    unit = info.ext_infos.unit if info.ext_infos else None
    hist = await dms.history(TREND, start=now - timedelta(days=1), end=now)
    out.line(f"{TREND}: {summary(hist.values, unit)}")
    if hist.values:
        out.line(f"{human_stamp(hist.stamp_texts[0])} "
                 f"{out.style(sparkline(hist.values, 48), 'red')} "
                 f"{human_stamp(hist.stamp_texts[-1])}")
    if not plot.available():
        out.line(out.style("(pip install 'dmsproto[plot]' to also get a PNG chart)", "dim"))
        return
    file = Path(target) if target else Path(tempfile.gettempdir()) / "dmsproto-demo-trend.png"
    name = info.ext_infos.name if info.ext_infos else None
    written = plot.plot_trend(file, hist.stamps(), hist.values,
                              title=f"{TREND} — {name}" if name else TREND, unit=unit)
    out.line(f"chart saved to {out.style(str(written), 'cyan')}")


async def _changelogs(dms: Client, out: Output, step: _Steps) -> None:
    step("Read change logs and alarms", "dmsproto changelog read ALARMS --start -2d")
    groups = await dms.changelog_groups()
    out.line("change-log groups: " + ", ".join(groups))
    since = datetime.now().astimezone() - timedelta(days=2)
    for group in ("ABS1", "ALARMS"):
        if group not in groups:
            continue
        entries = (await dms.changelog_read(group, start=since)).entries
        shown = min(6, len(entries))
        found = wording.count(len(entries), "entry", "entries")
        out.line(out.style(f"{group}: {found} in 2 days, the latest {shown}:", "bold"))
        print_entries(out, entries[:6])
