"""The DMS's own datapoints that change by themselves: System:Time and the blinkers.

``System:Time`` is set on every tick (``onSet`` each time, ``onChange`` when
its value moves): a string node holds the local time ``HH:MM:SS`` in the
engine's zone, an int node epoch seconds, a double node epoch seconds with
fraction. The document does not state its type; the demo plant uses a string.
``System:Blinker:Blink<P>`` (P in seconds, e.g. ``Blink0.5``) is a bool that is
true in the first half of each period P (counted from the epoch); it is
written only when it flips. The trigger is ``<SYS>``.

The blinkers keep their own time: :func:`next_blink` says when the next one flips,
so a server wakes then (whatever its System:Time tick) and calls :func:`blink`.
The engine runs one :func:`system_tick` when it is made, so System:Time holds the
time from the start.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .items import Context
from .writes import assign

if TYPE_CHECKING:
    from .engine import Engine
    from .tree import Node

TIME_PATH = "System:Time"
BLINKER_PATH = "System:Blinker"
SYS = "<SYS>"


def system_tick(engine: Engine, ctx: Context, now: datetime) -> None:
    """Advance System:Time and the blinkers to ``now``; events go to ``ctx.sink``."""
    epoch = now.timestamp()
    clock = engine.tree.get(TIME_PATH)
    if clock is not None and clock.type != "none":
        if clock.type == "string":
            assign(engine, ctx, clock, "string", now.strftime("%H:%M:%S"), now, SYS)
        elif clock.type == "int":
            assign(engine, ctx, clock, "int", int(epoch), now, SYS)
        elif clock.type == "double":
            assign(engine, ctx, clock, "double", epoch, now, SYS)
    blink(engine, ctx, now)


def blink(engine: Engine, ctx: Context, now: datetime) -> None:
    """Flip every blinker whose half period changed by ``now``."""
    epoch = now.timestamp()
    for node, half in _blinkers(engine):
        lit = math.floor(epoch / half) % 2 == 0
        if node.value != lit:
            assign(engine, ctx, node, "bool", lit, now, SYS)


def next_blink(engine: Engine, now: datetime) -> datetime | None:
    """When the first blinker flips after ``now`` (None without blinkers)."""
    epoch = now.timestamp()
    flips = [(math.floor(epoch / half) + 1) * half for _, half in _blinkers(engine)]
    if not flips:
        return None
    return now + timedelta(seconds=min(flips) - epoch)


def _blinkers(engine: Engine) -> list[tuple[Node, float]]:
    """Each blinker datapoint with its half period in seconds."""
    parent = engine.tree.get(BLINKER_PATH)
    if parent is None:
        return []
    found = []
    for node in parent.sorted_children():
        period = _period(node.name)
        if node.type == "bool" and period is not None:
            found.append((node, period / 2))
    return found


def _period(name: str) -> float | None:
    if not name.startswith("Blink"):
        return None
    try:
        period = float(name[len("Blink"):])
    except ValueError:
        return None
    return period if period > 0 and math.isfinite(period) else None
