"""The actions a fault plan is made of, and the one order they are carried out in.

:meth:`Faults.plan <dmsproto.sim.faults.Faults.plan>` turns the armed faults that match
one request into a tuple of these small immutable actions, ordered by :class:`Phase`
(whose docstring is the order rule). Each transport walks that tuple with one small
executor: the WebSocket connection in :mod:`dmsproto.sim.server`, HTTP POST in
:func:`dmsproto.sim.http.carry_out_post`. Nothing here does I/O except the waits
(:meth:`Wait.wait`), which both executors share.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from http import HTTPStatus
from typing import Any, ClassVar, Final, Literal

import trio

from ..codec import encode as encode_json
from .wire import as_json

__all__ = [
    "ANSWER_ONLY",
    "Action",
    "Answer",
    "Close",
    "Delay",
    "Drop",
    "Encoder",
    "End",
    "Extra",
    "Hold",
    "HttpStatus",
    "NoAnswer",
    "Pad",
    "Phase",
    "Replace",
    "Respond",
    "Send",
    "SendEvent",
    "TRANSPORTS",
    "Transport",
    "Wait",
    "derive_event",
    "pad_frame",
]

Transport = Literal["websocket", "http"]
"""Where a request came in: a WebSocket message, or the body of an HTTP POST."""
TRANSPORTS: Final[frozenset[Transport]] = frozenset({"websocket", "http"})

Encoder = Callable[[Any], str]
"""JSON text of an outgoing frame (the simulator's, which validates when asked to)."""


class Phase(IntEnum):
    """The order of a fault plan: the one place it is written down.

    The engine has already processed the request when its plan is made (a held or
    dropped ``set`` has changed the value): a plan only decides what goes back on the
    wire, and when. :meth:`Faults.plan <dmsproto.sim.faults.Faults.plan>` lists the
    actions of the faults it uses phase by phase; within a phase they keep the order
    their faults were armed in.

    1. ``WAIT``: :class:`Delay` and :class:`Hold`; the answer waits for each in turn.
       On a WebSocket, answers to the connection's later requests wait behind it.
    2. ``BEFORE``: :class:`Send` (raw text) and :class:`SendEvent`: extra frames
       ahead of the answer.
    3. ``ANSWER``: exactly one of :class:`Respond` (the engine's response, used when
       no fault chose another answer), :class:`Replace`, :class:`Pad`,
       :class:`HttpStatus` or :class:`NoAnswer`. On a WebSocket the answer is followed
       by the events the request raised for its own connection (none after
       :class:`NoAnswer`).
    4. ``END``: :class:`Drop` (the TCP stream closed without a close frame; over HTTP
       after a ``Connection: close`` answer, or unanswered after :class:`NoAnswer`)
       or :class:`Close` (a close handshake with a code). Nothing is read or sent on
       that connection afterwards.

    ``WAIT`` and ``BEFORE`` take any number of actions; ``ANSWER`` and ``END`` one
    each. A fault is used whole or not at all: a matching fault that needs an
    ``ANSWER`` or ``END`` already taken on this request (a second
    ``drop_after_response``, a ``malformed_next(replace=True)`` after an
    ``oversized_next``) is not used and stays armed for the next matching request.

    What a transport cannot do is declared on the action classes
    (:attr:`Action.transports`, :meth:`Action.on`) and applied by the interpreter, so
    executors never decide it. A WebSocket carries out every action but
    :class:`HttpStatus`. HTTP POST has one body per request and no events: a
    :class:`Send` becomes that body (a :class:`Replace`), and :class:`SendEvent` and
    :class:`Close` cannot happen there. A fault with an action its transport cannot
    carry out is not used by that request and stays armed for one that can.
    """

    WAIT = 1
    BEFORE = 2
    ANSWER = 3
    END = 4

    @property
    def single(self) -> bool:
        """Whether one action fills this phase (``ANSWER``, ``END``)."""
        return self >= Phase.ANSWER


class Action:
    """One step of a fault plan (see :class:`Phase` for the order)."""

    __slots__ = ()
    phase: ClassVar[Phase]
    transports: ClassVar[frozenset[Transport]] = TRANSPORTS
    """The transports that carry this action out as it is."""

    def on(self, transport: Transport) -> Action | None:
        """This action as ``transport`` carries it out, or None when it cannot."""
        return self if transport in self.transports else None


class Wait(Action):
    """An action that makes the answer wait (``WAIT`` phase)."""

    __slots__ = ()
    phase = Phase.WAIT

    async def wait(self) -> None:
        """Wait as this action says (both executors call this)."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Delay(Wait):
    """Wait ``seconds`` on the trio clock before answering."""

    seconds: float

    async def wait(self) -> None:
        """Sleep ``seconds``."""
        await trio.sleep(self.seconds)


class Hold(Wait):
    """A response held back until the test calls :meth:`release`.

    ``reached`` is set once a matching request has been processed and its response is
    being held, so a test can wait for that point instead of sleeping.
    """

    __slots__ = ("_released", "reached")

    def __init__(self) -> None:
        self.reached = trio.Event()
        self._released = trio.Event()

    def release(self) -> None:
        """Let the held response go (and everything queued behind it)."""
        self._released.set()

    @property
    def released(self) -> bool:
        """Whether :meth:`release` was called."""
        return self._released.is_set()

    async def wait_released(self) -> None:
        """Wait until :meth:`release` is called."""
        await self._released.wait()

    async def wait(self) -> None:
        """Say the point is reached, then wait for ``release``."""
        self.reached.set()
        await self.wait_released()


class Extra(Action):
    """A frame sent ahead of the answer (``BEFORE`` phase)."""

    __slots__ = ()
    phase = Phase.BEFORE

    def render(self, response: Any, encode: Encoder) -> str:
        """The frame's text; ``response`` is the engine's response to the request."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Send(Extra):
    """Send ``text`` as it is (typically not JSON) before the answer.

    HTTP POST has no room for a frame before the answer: there ``text`` is the body.
    """

    text: str

    def on(self, transport: Transport) -> Action | None:
        """Itself on a WebSocket; on HTTP POST, ``text`` replaces the answer."""
        return self if transport == "websocket" else Replace(self.text)

    def render(self, response: Any, encode: Encoder) -> str:
        """``text`` as it is."""
        return self.text


@dataclass(frozen=True, slots=True)
class SendEvent(Extra):
    """Send an event frame before the answer (WebSocket only: HTTP has no events).

    ``frame`` None: one ``onChange`` event made up from the ok items of the (subscribe)
    response, see :func:`derive_event`.
    """

    transports = frozenset({"websocket"})
    frame: Mapping[str, Any] | None = None

    def render(self, response: Any, encode: Encoder) -> str:
        """``frame``, or an event made up from the response."""
        return encode(self.frame if self.frame is not None else derive_event(as_json(response)))


class Answer(Action):
    """What answers the request (``ANSWER`` phase: exactly one per plan)."""

    __slots__ = ()
    phase = Phase.ANSWER

    def render(self, response: Any, encode: Encoder) -> str | None:
        """The answer's text, None for none; ``response`` is the engine's response."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Respond(Answer):
    """Answer with the engine's response (what happens without faults)."""

    def render(self, response: Any, encode: Encoder) -> str | None:
        """The engine's response."""
        return None if response is None else encode(response)


@dataclass(frozen=True, slots=True)
class Replace(Answer):
    """Answer with ``text`` instead of the response."""

    text: str

    def render(self, response: Any, encode: Encoder) -> str | None:
        """``text`` instead of the response."""
        return self.text


@dataclass(frozen=True, slots=True)
class Pad(Answer):
    """Answer with the response padded to at least ``size`` characters (still JSON)."""

    size: int

    def render(self, response: Any, encode: Encoder) -> str | None:
        """The response with padding whitespace up to ``size``."""
        return pad_frame(as_json(response), self.size, _encode_raw)


@dataclass(frozen=True, slots=True)
class HttpStatus(Answer):
    """Answer an HTTP POST with ``status`` and ``text`` as a plain-text body (HTTP only)."""

    transports = frozenset({"http"})
    status: int
    text: str

    @classmethod
    def standard(cls, status: int, text: str = "") -> HttpStatus:
        """``status`` with ``text``, or its standard reason phrase when ``text`` is empty."""
        if not 400 <= status <= 599:
            raise ValueError(f"HTTP status {status} is not an error status (400-599)")
        if not text:
            try:
                text = HTTPStatus(status).phrase + "."
            except ValueError:
                text = "Error."
        return cls(status, text)

    def render(self, response: Any, encode: Encoder) -> str | None:
        """The body, ``text``."""
        return self.text


@dataclass(frozen=True, slots=True)
class NoAnswer(Answer):
    """Send no answer (used with an :class:`End` that ends the connection instead)."""

    def render(self, response: Any, encode: Encoder) -> str | None:
        """No answer."""
        return None


class End(Action):
    """How the connection ends after the answer (``END`` phase: at most one per plan)."""

    __slots__ = ()
    phase = Phase.END


@dataclass(frozen=True, slots=True)
class Drop(End):
    """Close the TCP stream without a WebSocket close frame (over HTTP: after the answer)."""


@dataclass(frozen=True, slots=True)
class Close(End):
    """Close the WebSocket with ``code`` and ``reason`` (WebSocket only)."""

    transports = frozenset({"websocket"})
    code: int
    reason: str = ""


ANSWER_ONLY: Final[tuple[Action, ...]] = (Respond(),)
"""The plan of a request no fault matches."""


def _encode_raw(frame: Any) -> str:
    """JSON text without the simulator's validation (padding is not a protocol member)."""
    return encode_json(frame).decode("utf-8")


def derive_event(response: dict[str, Any] | None) -> dict[str, Any]:
    """An ``{"event": [...]}`` frame made from the ok items of a subscribe response.

    Args:
        response: the response as JSON values; without ok items (or None) the event
            names the made-up point ``System:Injected``.

    Returns:
        The event frame, one ``onChange`` item per ok item, carrying its tag.
    """
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


def pad_frame(frame: dict[str, Any] | None, size: int, encode: Encoder) -> str:
    """``frame`` (or an empty event frame) with a filler member, encoded to >= ``size`` chars.

    Args:
        frame: the frame as JSON values, or None for an empty event frame.
        size: the least length of the text.
        encode: how to write the frame as JSON text.

    Returns:
        The padded frame's JSON text.
    """
    base = dict(frame) if frame is not None else {"event": []}
    base["padding"] = ""
    overhead = len(encode(base))
    base["padding"] = "x" * max(0, size - overhead)
    return encode(base)
