"""``changelog groups`` and ``changelog read GROUP``: change logs and alarm logs."""

from __future__ import annotations

import argparse
from typing import Any

from ..client import Client
from ..results import ChangelogEntry
from ..wording import count
from . import exits
from .connection import READ_RECONNECT
from .output import Output, human_stamp
from .runner import run_client
from .timeparse import HELP as TIME_HELP
from .timeparse import parse_optional, parse_time

STATE_STYLE = {"occurred": "red", "left": "green", "acknowledged": "yellow"}


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``changelog`` subcommand and its flags to the command line."""
    c = sub.add_parser("changelog", help="read change logs and alarms",
                       description="Change-log groups of the DMS and their entries.")
    inner = c.add_subparsers(dest="changelog_command", metavar="{groups,read}", required=True)
    g = inner.add_parser("groups", parents=parents, help="list the change-log groups")
    g.set_defaults(handler=lambda a, o: run_client(run_groups, a, o))
    r = inner.add_parser("read", parents=parents, help="read a group's entries",
                         description=f"Entries of GROUP between two times ({TIME_HELP}).")
    r.add_argument("group", metavar="GROUP")
    r.add_argument("--start", required=True, metavar="TS", help="from (e.g. -1d)")
    r.add_argument("--end", metavar="TS", help="to [now]")
    r.set_defaults(handler=lambda a, o: run_client(run_read, a, o, reconnect=READ_RECONNECT))


async def run_groups(args: argparse.Namespace, client: Client, out: Output) -> int:
    """``dmsproto changelog groups``: print the changelog groups."""
    groups = await client.changelog_groups()
    if out.json_mode:
        out.json(groups)
    else:
        for group in groups:
            out.line(group)
    return exits.OK


def entry_json(entry: ChangelogEntry, path: str | None = None) -> dict[str, Any]:
    """An entry as JSON.

    ``path`` is the datapoint whose log it was read from (the DMS names no path in the
    entries of a log read for one datapoint).
    """
    doc: dict[str, Any] = {"stamp": entry.stamp_text, "path": entry.path or path,
                           "text": entry.text}
    alarm = {"state": entry.state, "priority": entry.priority,
             "priorityBACnet": entry.priority_bacnet, "alarmGroup": entry.alarm_group,
             "alarmCollectGroup": entry.alarm_collect_group, "siteGroup": entry.site_group,
             "screen": entry.screen}
    doc.update({k: v for k, v in alarm.items() if v is not None})
    return doc


def print_entries(out: Output, entries: list[ChangelogEntry]) -> None:
    """A table; alarm columns (state, priority) only when the log holds alarms."""
    alarms = any(e.is_alarm for e in entries)
    if alarms:
        out.table(["STAMP", "STATE", "PRIO", "PATH", "TEXT"],
                  ([human_stamp(e.stamp_text), e.state or "",
                    "" if e.priority is None else f"{e.priority:g}", e.path or "", e.text]
                   for e in entries),
                  align="llr", styles=["dim", None, None, None, "bold"],
                  row_styles=[STATE_STYLE.get(e.state or "") for e in entries])
    else:
        out.table(["STAMP", "PATH", "TEXT"],
                  ([human_stamp(e.stamp_text), e.path or "", e.text] for e in entries),
                  styles=["dim", None, "bold"])


async def run_read(args: argparse.Namespace, client: Client, out: Output) -> int:
    """``dmsproto changelog read``: print the entries of a group or a datapoint."""
    start = parse_time(args.start)
    end = parse_optional(args.end)
    result = await client.changelog_read(args.group, start=start, end=end)
    if out.json_mode:
        out.json({"group": result.group, "changelog": [entry_json(e) for e in result.entries]})
        return exits.OK
    print_entries(out, result.entries)
    out.note(f"{count(len(result.entries), 'entry', 'entries')} in {result.group}")
    return exits.OK
