"""``watch``: print live events until Ctrl-C, then unsubscribe and close cleanly.

Ctrl-C is how a person ends a watch, so it is not an error: a signal receiver
cancels the watching scope, every subscription's ``async with`` unsubscribes on
the way out, and the command exits 0. The connection reconnects by itself (the
client renews the subscriptions); a lost stretch is reported as a gap.
"""

from __future__ import annotations

import argparse
import signal
from typing import Any

import trio

from ..client import Client, Subscription
from ..filters import QueryFilter
from ..results import Event, Gap
from . import exits
from .flags import add_flags, flag_values
from .output import Output, format_value, human_stamp
from .runner import run_client

EVENT_CODES = ("onChange", "onSet", "onCreate", "onRename", "onDelete")


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    w = sub.add_parser("watch", parents=parents, help="print live events until Ctrl-C",
                       description="Subscribe to PATHs and print each event (JSON Lines with "
                       "--json) until Ctrl-C; reconnects when the connection drops.")
    w.add_argument("paths", nargs="+", metavar="PATH")
    w.add_argument("--events", default=None, metavar="E,...",
                   help=f"event kinds: {','.join(EVENT_CODES)} or * [onChange]")
    w.add_argument("--count", type=int, default=None, metavar="N",
                   help="stop after N events")
    add_flags(w.add_argument_group("filters"), QueryFilter)
    w.set_defaults(handler=lambda a, o: run_client(run_watch, a, o, reconnect=True))


def event_json(event: Event) -> dict[str, Any]:
    doc: dict[str, Any] = {"code": event.code, "path": event.path}
    if event.new_path is not None:
        doc["newPath"] = event.new_path
    doc.update(value=event.value, type=event.type, stamp=event.stamp_text,
               trigger=event.trigger)
    return doc


def event_line(out: Output, event: Event) -> str:
    colour = {"onChange": "green", "onSet": "cyan", "onCreate": "blue",
              "onRename": "yellow", "onDelete": "red"}.get(event.code)
    where = event.path if event.new_path is None else f"{event.path} -> {event.new_path}"
    return (f"{out.style(human_stamp(event.stamp_text), 'dim')}  "
            f"{out.style(event.code.ljust(8), colour)}  {where} = "
            f"{out.style(format_value(event.value, event.type), 'bold')}  "
            f"{out.style(f'by {event.trigger}', 'dim')}")


class _Counter:
    def __init__(self, limit: int | None, scope: trio.CancelScope) -> None:
        self.limit = limit
        self.seen = 0
        self.scope = scope

    def count(self) -> None:
        self.seen += 1
        if self.limit is not None and self.seen >= self.limit:
            self.scope.cancel()


async def run_watch(args: argparse.Namespace, client: Client, out: Output) -> int:
    if args.count is not None and args.count < 1:
        raise exits.usage("--count must be >= 1")
    filters = flag_values(args, QueryFilter)
    with trio.CancelScope() as scope:
        counter = _Counter(args.count, scope)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_stop_on_signal, scope, out)
            for path in args.paths:
                sub = client.subscribe(path, events=args.events, gaps="yield", **filters)
                await nursery.start(_follow, sub, out, counter)  # subscribed before the next
            names = ", ".join(args.paths)
            out.note(out.style(f"watching {names} (Ctrl-C to stop)", "dim", err=True))
    out.note(out.style(f"stopped after {counter.seen} events; unsubscribed", "dim", err=True))
    return exits.OK


async def _stop_on_signal(scope: trio.CancelScope, out: Output) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            scope.cancel()
            return


async def _follow(sub: Subscription[Event | Gap], out: Output, counter: _Counter,
                  task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    async with sub:
        task_status.started()
        async for item in sub:
            if isinstance(item, Gap):
                _gap(out, item)
                continue
            if out.json_mode:
                out.json_line(event_json(item))
            else:
                out.line(event_line(out, item))
            counter.count()


def _gap(out: Output, gap: Gap) -> None:
    if out.json_mode:
        out.json_line({"gap": gap.reason, "dropped": gap.dropped})
    elif gap.reason == "reconnect":
        out.note("-- connection lost and restored: events in between are missing --")
    else:
        out.note(f"-- fell behind: {gap.dropped} events dropped --")
