"""The DMS's own datapoints that change by themselves: System:Time and the blinkers.

``System:Time`` is set on every tick (``onSet`` each time, ``onChange`` when
its value moves): a string node holds the local time ``HH:MM:SS`` in the
engine's zone, an int node epoch seconds, a double node epoch seconds with
fraction. The document does not state its type; the demo plant uses a string.
``System:Blinker:Blink<P>`` (P in seconds, e.g. ``Blink0.5``) is a bool that is
true in the first half of each period P (counted from the epoch); it is
written only when it flips. The trigger is ``<SYS>``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from .items import Context
from .writes import assign

if TYPE_CHECKING:
    from .engine import Engine

TIME_PATH = "System:Time"
BLINKER_PATH = "System:Blinker"
SYS = "<SYS>"


def system_tick(engine: Engine, ctx: Context, now: datetime) -> None:
    """Advance the system datapoints to ``now``; events go to ``ctx.sink``."""
    epoch = now.timestamp()
    clock = engine.tree.get(TIME_PATH)
    if clock is not None and clock.type != "none":
        if clock.type == "string":
            assign(engine, ctx, clock, "string", now.strftime("%H:%M:%S"), now, SYS)
        elif clock.type == "int":
            assign(engine, ctx, clock, "int", int(epoch), now, SYS)
        elif clock.type == "double":
            assign(engine, ctx, clock, "double", epoch, now, SYS)
    blinkers = engine.tree.get(BLINKER_PATH)
    if blinkers is None:
        return
    for node in blinkers.sorted_children():
        period = _period(node.name)
        if node.type != "bool" or period is None:
            continue
        lit = (epoch % period) < period / 2
        if node.value != lit:
            assign(engine, ctx, node, "bool", lit, now, SYS)


def _period(name: str) -> float | None:
    if not name.startswith("Blink"):
        return None
    try:
        period = float(name[len("Blink"):])
    except ValueError:
        return None
    return period if period > 0 else None
