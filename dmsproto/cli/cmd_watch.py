"""``watch``: print live events until Ctrl-C, then unsubscribe and close cleanly.

Ctrl-C is how a person ends a watch, so it is not an error: a signal receiver
cancels the watching scope, every subscription's ``async with`` unsubscribes on
the way out, and the command exits 0.

The connection reconnects by itself and the client renews the subscriptions.
When it drops, one line says so; when it is really back, one line says which
stretch of events is missing.  "Really back" is proven by an answer: the first
reconnect gap starts one call that waits for the new connection (the client
sends the renewed subscriptions before any new call, so their answers come
first); its answer, whatever it is, means the DMS is talking again.

``--alarms`` shows alarm datapoints as alarms: each event with the state,
priority and text of the alarm-log entry the DMS wrote for it (read from the
datapoint's change log, protocol 1.4 and later).
"""

from __future__ import annotations

import argparse
import signal
from datetime import UTC, datetime, timedelta
from typing import Any

import trio

from ..client import Client, Subscription
from ..errors import ConnectionLost, DMSError
from ..filters import QueryFilter
from ..protocol.ops import ReadChangelog
from ..results import ChangelogEntry, Event, Gap
from ..wording import count
from . import exits
from .cmd_changelog import STATE_STYLE, entry_json
from .connection import WATCH_RECONNECT
from .flags import add_flags, flag_values
from .output import Output, format_value, human_datetime, human_stamp
from .runner import run_client

EVENT_CODES = ("onChange", "onSet", "onCreate", "onRename", "onDelete")
ALARM_WINDOW = timedelta(seconds=2)
"""How far from an event's stamp its alarm-log entry may lie."""


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``watch`` subcommand and its flags to the command line."""
    w = sub.add_parser("watch", parents=parents, help="print live events until Ctrl-C",
                       description="Subscribe to PATHs and print each event (JSON Lines with "
                       "--json) until Ctrl-C; reconnects when the connection drops. "
                       "Watch alarms: dmsproto watch Plant --depth 0 --alarms")
    w.add_argument("paths", nargs="+", metavar="PATH")
    w.add_argument("--events", default=None, metavar="E,...",
                   help=f"event kinds: {','.join(EVENT_CODES)} or * [onChange]")
    w.add_argument("--count", type=int, default=None, metavar="N",
                   help="stop after N events")
    w.add_argument("--alarms", action="store_true",
                   help="alarm view: state, priority and text of each alarm (implies "
                   "--has-alarms; protocol 1.4 on)")
    add_flags(w.add_argument_group("filters"), QueryFilter)
    w.set_defaults(handler=lambda a, o: run_client(run_watch, a, o,
                                                   reconnect=WATCH_RECONNECT))


def event_json(event: Event) -> dict[str, Any]:
    """An event as one JSON object (``--json``)."""
    doc: dict[str, Any] = {"code": event.code, "path": event.path}
    if event.new_path is not None:
        doc["newPath"] = event.new_path
    doc.update(value=event.value, type=event.type, stamp=event.stamp_text,
               trigger=event.trigger)
    return doc


def event_line(out: Output, event: Event) -> str:
    """An event as one line of text."""
    colour = {"onChange": "green", "onSet": "cyan", "onCreate": "blue",
              "onRename": "yellow", "onDelete": "red"}.get(event.code)
    where = event.path if event.new_path is None else f"{event.path} -> {event.new_path}"
    return (f"{out.style(human_stamp(event.stamp_text), 'dim')}  "
            f"{out.style(event.code.ljust(8), colour)}  {where} = "
            f"{out.style(format_value(event.value, event.type), 'bold')}  "
            f"{out.style(f'by {event.trigger}', 'dim')}")


def alarm_line(out: Output, event: Event, alarm: ChangelogEntry | None) -> str:
    """``STAMP  STATE  PRIO n  PATH = VALUE  TEXT`` (what is unknown stays blank)."""
    state = (alarm.state if alarm else None) or "?"
    priority = alarm.priority if alarm else None
    prio = "" if priority is None else f"prio {priority:g}"
    text = alarm.text if alarm else ""
    return (f"{out.style(human_stamp(event.stamp_text), 'dim')}  "
            f"{out.style(state.ljust(12), STATE_STYLE.get(state))}  {prio.ljust(7)}  "
            f"{event.path} = {out.style(format_value(event.value, event.type), 'bold')}  "
            f"{out.style(text, 'bold')}").rstrip()


class _Counter:
    def __init__(self, limit: int | None, scope: trio.CancelScope) -> None:
        self.limit = limit
        self.seen = 0
        self.scope = scope

    def count(self) -> None:
        self.seen += 1
        if self.limit is not None and self.seen >= self.limit:
            self.scope.cancel()


class _Link:
    """Reports the connection going and coming back, once per outage for all paths."""

    def __init__(self, client: Client, out: Output, nursery: trio.Nursery, probe: str) -> None:
        self.client = client
        self.out = out
        self.nursery = nursery
        self.probe_path = probe
        self.gaps = 0
        self.new_gap = trio.Event()
        self.lost_at: datetime | None = None

    def gap(self, gap: Gap, path: str) -> None:
        out = self.out
        if gap.reason == "overflow":
            if out.json_mode:
                out.json_line({"gap": "overflow", "dropped": gap.dropped, "path": path})
            else:
                dropped = "events" if gap.dropped is None else count(gap.dropped, "event")
                out.note(f"-- {path}: fell behind, {dropped} dropped --")
            return
        self.gaps += 1
        self.new_gap.set()
        self.new_gap = trio.Event()
        if self.lost_at is not None:
            return  # this outage is reported already
        self.lost_at = datetime.now(UTC).astimezone()
        if out.json_mode:
            out.json_line({"connection": "lost", "stamp": self.lost_at.isoformat()})
        else:
            out.note(f"-- connection lost at {human_datetime(self.lost_at)}; reconnecting --")
        self.nursery.start_soon(self._wait_until_back)

    async def _wait_until_back(self) -> None:
        while True:
            gaps = self.gaps
            try:
                await self.client.get(self.probe_path, timeout=None)
            except DMSError:
                pass  # an answer all the same
            except ConnectionLost:
                # dropped again before answering: wait for that drop's gap, then ask again
                while self.gaps == gaps:
                    await self.new_gap.wait()
                continue
            self._back()
            return

    def _back(self) -> None:
        since = self.lost_at
        assert since is not None
        self.lost_at = None
        until = datetime.now(UTC).astimezone()
        if self.out.json_mode:
            self.out.json_line({"gap": "reconnect", "dropped": None,
                                "since": since.isoformat(), "until": until.isoformat()})
        else:
            self.out.note(f"-- connection restored: events between {human_datetime(since)} "
                          f"and {human_datetime(until)} are missing --")


async def run_watch(args: argparse.Namespace, client: Client, out: Output) -> int:
    """``dmsproto watch``: print events of subscriptions until Ctrl-C."""
    if args.count is not None and args.count < 1:
        raise exits.usage("--count must be >= 1")
    filters = flag_values(args, QueryFilter)
    if args.alarms:
        filters.setdefault("has_alarm_data", True)
        # refused before subscribing when the protocol version has no change logs
        ReadChangelog(args.paths[0], datetime.now(UTC)).items(client.core.wire)
    with trio.CancelScope() as scope:
        counter = _Counter(args.count, scope)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_stop_on_signal, scope, out)
            link = _Link(client, out, nursery, args.paths[0])
            for path in args.paths:
                sub = client.subscribe(path, events=args.events, gaps="yield", **filters)
                # subscribed before the next
                await nursery.start(_follow, sub, out, counter, link, args.alarms, client)
            names = ", ".join(args.paths)
            out.note(out.style(f"watching {names} (Ctrl-C to stop)", "dim", err=True))
    # while the connection is down there is no DMS to end the subscriptions on
    ended = "unsubscribed" if link.lost_at is None else (
        "the connection was down: nothing to unsubscribe")
    out.note(out.style(f"stopped after {count(counter.seen, 'event')}; {ended}", "dim",
                       err=True))
    return exits.OK


async def _stop_on_signal(scope: trio.CancelScope, out: Output) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            scope.cancel()
            return


async def _follow(sub: Subscription[Event | Gap], out: Output, counter: _Counter, link: _Link,
                  alarms: bool, client: Client,
                  task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    async with sub:
        task_status.started()
        async for item in sub:
            if isinstance(item, Gap):
                link.gap(item, sub.path)
                continue
            alarm = await alarm_of(client, item) if alarms else None
            if out.json_mode:
                doc = event_json(item)
                if alarms:
                    doc["alarm"] = entry_json(alarm, item.path) if alarm is not None else None
                out.json_line(doc)
            elif alarms:
                out.line(alarm_line(out, item, alarm))
            else:
                out.line(event_line(out, item))
            counter.count()


async def alarm_of(client: Client, event: Event) -> ChangelogEntry | None:
    """The alarm-log entry the DMS wrote for ``event`` (the nearest in time), if any."""
    stamp = event.stamp
    if stamp is None or event.code not in ("onChange", "onSet"):
        return None
    entries = await client.changelog(event.path, start=stamp - ALARM_WINDOW,
                                     end=stamp + ALARM_WINDOW)
    alarms = [e for e in entries if e.state is not None]
    if not alarms:
        return None
    return min(alarms, key=lambda e: abs(e.stamp - stamp))
