"""Fault injection for the simulator: make the next matching request go wrong, on purpose.

Tests of a client arm faults at run time through ``sim.faults``; each fault is one-shot
and is used up by the first request that matches it (``match`` is a command name such as
``"get"`` or ``"subscribe"`` that must be a key of the request object; ``None`` matches
any request, also unparsable ones). Several faults may hit the same request; they then
act in this order: delay, hold, injected frames, the response (or its replacement),
drop/close.

The engine always processes the request first (so a held or dropped ``set`` has still
changed the value); faults only change what goes back on the wire.

Over HTTP, ``inject_event_before_response`` and ``close_next`` do not apply and are
left armed; ``malformed_next`` always replaces the body; drops close the TCP stream.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import trio

__all__ = ["Faults", "Hold", "Plan", "derive_event", "pad_frame"]

DEFAULT_OVERSIZE = 4 * 1024 * 1024 + 1


class Hold:
    """A response held back until the test calls :meth:`release`.

    ``reached`` is set once a matching request has been processed and its response is
    being held, so a test can wait for that point instead of sleeping.
    """

    def __init__(self) -> None:
        self.reached = trio.Event()
        self._released = trio.Event()

    def release(self) -> None:
        self._released.set()

    @property
    def released(self) -> bool:
        return self._released.is_set()

    async def wait_released(self) -> None:
        await self._released.wait()


@dataclass
class Plan:
    """What to do on the wire for one request (built by :meth:`Faults.plan`)."""

    delay: float = 0.0
    holds: list[Hold] = field(default_factory=list)
    before: list[str | dict[str, Any]] = field(default_factory=list)
    """Frames sent before the response: raw text (malformed) or frames (events)."""
    replace: str | None = None
    """Raw text sent instead of the response."""
    oversize: int | None = None
    """Pad the response (or an empty event frame) to at least this many characters."""
    drop_before: bool = False
    drop_after: bool = False
    close: tuple[int, str] | None = None
    close_after_response: bool = False
    inject_from_response: int = 0
    """How many event frames to derive from the (subscribe) response and send first."""

    @property
    def empty(self) -> bool:
        return self == Plan()


@dataclass
class _Fault:
    kind: str
    match: str | None
    websocket_only: bool = False
    seconds: float = 0.0
    hold: Hold | None = None
    text: str = ""
    replace: bool = False
    frame: dict[str, Any] | None = None
    size: int = 0
    code: int = 1000
    reason: str = ""
    after_response: bool = False


def _matches(fault: _Fault, request: object) -> bool:
    if fault.match is None:
        return True
    return isinstance(request, dict) and fault.match in request


class Faults:
    """The armed faults of one simulator (see the module docstring)."""

    def __init__(self) -> None:
        self._armed: list[_Fault] = []

    @property
    def pending(self) -> int:
        """How many armed faults have not been used yet."""
        return len(self._armed)

    def clear(self) -> None:
        self._armed.clear()

    def drop_before_response(self, *, match: str | None = None) -> None:
        """Close the connection instead of answering the next matching request."""
        self._armed.append(_Fault("drop_before", match))

    def drop_after_response(self, *, match: str | None = None) -> None:
        """Answer the next matching request, then close the connection."""
        self._armed.append(_Fault("drop_after", match))

    def delay_next(self, seconds: float, *, match: str | None = None) -> None:
        """Send the next matching response ``seconds`` late (on the trio clock)."""
        self._armed.append(_Fault("delay", match, seconds=seconds))

    def hold_next(self, *, match: str | None = None) -> Hold:
        """Hold the next matching response until ``Hold.release()``.

        Responses to later requests on that connection wait behind it (requests of a
        connection are answered in order).
        """
        hold = Hold()
        self._armed.append(_Fault("hold", match, hold=hold))
        return hold

    def malformed_next(
        self, text: str = "{this is not JSON", *, replace: bool = False,
        match: str | None = None,
    ) -> None:
        """Send ``text`` (not JSON) before the next matching response, or instead of it."""
        self._armed.append(_Fault("malformed", match, text=text, replace=replace))

    def inject_event_before_response(
        self, frame: dict[str, Any] | None = None, *, match: str | None = "subscribe",
    ) -> None:
        """Send an event frame between the next matching request and its response.

        Without ``frame``, one ``onChange`` event per ok item of the (subscribe)
        response is made up from the response, carrying the subscription's tag.
        """
        self._armed.append(_Fault("inject", match, websocket_only=True, frame=frame))

    def oversized_next(self, size: int = DEFAULT_OVERSIZE, *, match: str | None = None) -> None:
        """Pad the next matching response to at least ``size`` characters (still valid JSON)."""
        self._armed.append(_Fault("oversize", match, size=size))

    def close_next(
        self, code: int, reason: str = "", *, after_response: bool = False,
        match: str | None = None,
    ) -> None:
        """Close the WebSocket with ``code``/``reason`` instead of (or after) the response."""
        self._armed.append(
            _Fault("close", match, websocket_only=True, code=code, reason=reason,
                   after_response=after_response)
        )

    def plan(self, request: object, *, websocket: bool) -> Plan:
        """Use up the faults matching ``request`` and say what to do (server side)."""
        plan = Plan()
        keep: list[_Fault] = []
        for fault in self._armed:
            if (fault.websocket_only and not websocket) or not _matches(fault, request):
                keep.append(fault)
                continue
            if fault.kind == "drop_before":
                plan.drop_before = True
            elif fault.kind == "drop_after":
                plan.drop_after = True
            elif fault.kind == "delay":
                plan.delay += fault.seconds
            elif fault.kind == "hold" and fault.hold is not None:
                plan.holds.append(fault.hold)
            elif fault.kind == "malformed":
                if fault.replace or not websocket:
                    plan.replace = fault.text
                else:
                    plan.before.append(fault.text)
            elif fault.kind == "inject":
                if fault.frame is not None:
                    plan.before.append(fault.frame)
                else:
                    plan.inject_from_response += 1
            elif fault.kind == "oversize":
                plan.oversize = max(plan.oversize or 0, fault.size)
            elif fault.kind == "close":
                plan.close = (fault.code, fault.reason)
                plan.close_after_response = fault.after_response
        self._armed = keep
        return plan


def derive_event(response: dict[str, Any] | None) -> dict[str, Any]:
    """An ``{"event": [...]}`` frame made from the ok items of a subscribe response."""
    items: list[dict[str, Any]] = []
    for item in (response or {}).get("subscribe", []) or []:
        if not isinstance(item, dict) or item.get("code") != "ok" or "path" not in item:
            continue
        event: dict[str, Any] = {"code": "onChange", "path": item["path"], "trigger": "<SYS>"}
        for key in ("value", "type", "stamp", "tag"):
            if key in item:
                event[key] = item[key]
        items.append(event)
    if not items:
        items.append({"code": "onChange", "path": "System:Injected", "trigger": "<SYS>",
                      "value": None, "type": "none", "stamp": None})
    return {"event": items}


def pad_frame(
    frame: dict[str, Any] | None, size: int, encode: Callable[[dict[str, Any]], str]
) -> str:
    """``frame`` (or an empty event frame) with a filler member, encoded to >= ``size`` chars."""
    base = dict(frame) if frame is not None else {"event": []}
    base["padding"] = ""
    overhead = len(encode(base))
    base["padding"] = "x" * max(0, size - overhead)
    return encode(base)
