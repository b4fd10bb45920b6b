"""Shared data and helpers of the client tests: a plant, its clock, a fast reconnect policy."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from dmsproto.options import ReconnectPolicy

ANCHOR = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)

PLANT: dict[str, Any] = {
    "format": "dmsproto-plant/1",
    "zone": "Europe/Zurich",
    "anchor": "2024-05-01T12:00:00Z",
    "changelogGroups": ["ABS1", "ALARMS"],
    "points": {
        "Test:Int": {"value": 1, "name": "An int", "unit": "h", "accType": "uint32"},
        "Test:Double": {"type": "double", "value": 21.5, "unit": "°C"},
        "Test:Text": {"value": "hello"},
        "Test:Flag": {"value": False},
        "Test:RO": {"value": 5, "perm": "ro"},
        "Test:Sub:A": {"value": 0},
        "Test:Sub:B": {"value": 0},
        "Plant:T1:Istwert": {"type": "double", "value": 20.0},
        "Plant:T2:Istwert": {"type": "double", "value": 22.0},
        "Plant:T2:Sollwert": {"type": "double", "value": 21.0},
        "Plant:Trend": {
            "type": "double",
            "value": 1.0,
            "history": {"days": 1, "every": 900, "base": 10, "amplitude": 2, "seed": 1},
        },
        "Plant:Pump": {
            "value": False,
            "changelogGroup": "ABS1",
            "logTexts": {"true": "Pump on", "false": "Pump off"},
        },
        "Plant:Fault": {
            "value": False,
            "changelogGroup": "ALARMS",
            "alarm": {
                "priority": 2,
                "priorityBACnet": 66,
                "alarmGroup": 1,
                "alarmCollectGroup": 10,
                "siteGroup": 1,
                "screen": "Overview",
            },
        },
        "System:Time": {"type": "string", "value": "12:00:00"},
    },
    "changelog": [
        {"path": "Plant:Pump", "ago": 7200, "text": "Pump on"},
        {"path": "Plant:Pump", "ago": 3600, "text": "Pump off"},
        {"path": "Plant:Fault", "ago": 1800, "text": "Fault", "state": "occurred"},
    ],
}



def clock() -> datetime:
    """The simulator's engine clock: fixed at ANCHOR."""
    return ANCHOR


FAST = ReconnectPolicy(initial_delay=0.01, max_delay=0.05, jitter=0.5)
"""A reconnect policy for tests: a few hundredths of a second between attempts."""


@contextmanager
def log_handler(handler: logging.Handler, name: str = "dmsproto") -> Iterator[None]:
    """``handler`` attached to the logger ``name`` for the block."""
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
