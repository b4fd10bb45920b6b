"""Helpers for deterministic engine tests.

A settable clock, a tiny plant, and a harness that checks every frame the engine
produces against the protocol schemas.

The harness hands frames back as plain JSON values with the wire's member names
(encoded by :func:`dmsproto.codec.encode` and decoded again, as a client sees
them), so a test states the expected wire form directly.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from ..validation import validate
from .engine import Delivery, Engine, Reply
from .plant import load_plant
from .subscriptions import Session
from .wire import as_json

#: The default start of a test clock: 11:00 local time in Zurich (CET).
T0 = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


class FrameViolation(ValueError):
    """The engine produced a frame that breaks the protocol schema."""


class StepClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        """The time now, as the engine reads its clock."""
        return self.now

    def advance(self, seconds: float) -> datetime:
        """Move the clock ``seconds`` on and give the new time."""
        self.now += timedelta(seconds=seconds)
        return self.now


def tiny_plant() -> dict[str, Any]:
    """A small plant whose every value a test can state exactly."""
    alarm = {"priority": 2, "priorityBACnet": 66, "alarmGroup": 1, "alarmCollectGroup": 10,
             "siteGroup": 1, "screen": "Main"}
    return {
        "format": "dmsproto-plant/1",
        "zone": "Europe/Zurich",
        "anchor": None,
        "changelogGroups": ["ABS1", "ALARMS", "PROT"],
        "points": {
            "A": {"name": "Area A", "template": "Area"},
            "A:Int": {"type": "int", "value": 44, "unit": "h", "changelogGroup": "PROT",
                      "logTexts": {"1": "Int is one"}},
            "A:Dbl": {"type": "double", "value": 4.5, "unit": "°C", "comment": "a double",
                      "accType": "double32",
                      "history": {"days": 1, "every": 900, "base": 10.0, "seed": 1}},
            "A:Str": {"type": "string", "value": "hello"},
            "A:Bool": {"type": "bool", "value": True, "name": "Switch"},
            "A:Arr": {"type": "string", "value": "(11,12,13,14)"},
            "A:Bits": {"type": "string", "value": "(T,T,F,T)"},
            "A:Flt": {"type": "string", "value": "{1.5,2.25}"},
            "A:Sub:Deep:Leaf": {"type": "int", "value": 1},
            "A:Alarm": {"type": "bool", "value": False, "changelogGroup": "ALARMS",
                        "alarm": alarm, "logTexts": {"true": "Alarm A", "false": "Alarm A gone"}},
            "A:RO": {"type": "double", "value": 1.0, "perm": "ro"},
            "A:Hidden": {"type": "int", "value": 3, "perm": "none"},
            "A:Bad": {"type": "double", "value": 0.0, "state": "error"},
            "B:X": {"type": "int", "value": 0},
            "System:Time": {"type": "string", "value": ""},
            "System:Blinker:Blink1": {"type": "bool", "value": False},
            "System:Blinker:Blink4": {"type": "bool", "value": False},
        },
        "changelog": [
            {"path": "A:Int", "ago": 7200, "text": "Int set to 43"},
            {"path": "A:Int", "ago": 3600, "text": "Int set to 44"},
            {"path": "A:Alarm", "ago": 5400, "text": "Alarm A", "state": "occurred"},
            {"path": "A:Alarm", "ago": 1800, "text": "Alarm A gone", "state": "left"},
        ],
    }


class Harness:
    """An engine on a :class:`StepClock` whose frames are all schema-checked."""

    def __init__(self, plant: dict[str, Any] | None = None, **engine_options: Any) -> None:
        self.clock = StepClock()
        self.engine = Engine(load_plant(plant or tiny_plant()), clock=self.clock, **engine_options)

    def session(self, **options: Any) -> Session:
        """A new engine session (``Engine.open_session`` options)."""
        return self.engine.open_session(**options)

    def request(self, session: Session, message: object) -> Reply:
        """Send ``message`` (a str is sent as raw text) and check what comes back."""
        text = message if isinstance(message, str) else json.dumps(message)
        return self.view(self.engine.handle(session, text))

    def handle_message(self, session: Session, message: object, *, check: bool = True) -> Reply:
        """``Engine.handle_message`` (an already parsed request), seen as JSON.

        ``check=False`` skips the schema check (an error item that echoes an
        invalid path breaks the response schema on purpose).
        """
        return self.view(self.engine.handle_message(session, message), check=check)

    def write(self, path: str, value: Any, **options: Any) -> list[Delivery]:
        """``Engine.write``, its event frames seen as JSON."""
        return self.view(Reply(None, self.engine.write(path, value, **options))).deliveries

    def tick(self) -> list[Delivery]:
        """``Engine.tick``, its event frames seen as JSON."""
        return self.view(Reply(None, self.engine.tick())).deliveries

    def view(self, reply: Reply, *, check: bool = True) -> Reply:
        """``reply`` with every frame as JSON values, each checked against the schema."""
        response = None if reply.response is None else as_json(reply.response)
        deliveries = [Delivery(d.session, as_json(d.frame)) for d in reply.deliveries]
        if check:
            for frame in [response, *(d.frame for d in deliveries)]:
                if frame is not None:
                    self.check(frame)
        return Reply(response, deliveries, reply.fatal)

    def check(self, frame: dict[str, Any]) -> None:
        """Fail with ``FrameViolation`` if a frame the engine sent breaks the schema."""
        if not self.engine.validating:
            return  # the validator has no schemas for this protocol version
        violations = validate(frame, direction="recv", protocol=self.engine.protocol)
        if violations:
            raise FrameViolation("; ".join(map(str, violations)))
