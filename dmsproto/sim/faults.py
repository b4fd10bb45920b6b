"""Fault injection for the simulator: make the next matching request go wrong, on purpose.

Tests arm faults at run time through ``sim.faults`` (``dmsproto serve --fault`` arms
them from the command line). Each fault is one-shot: it is used up by the first request
that matches it and that its transport can serve. ``match`` is a command name such as
``"get"`` or ``"subscribe"`` that must be a key of the request object; ``None`` matches
any request, also unparsable ones.

Every kind of fault is declared once, by its arming method on :class:`Faults` marked
with :func:`fault`: the method's name and parameters are the test-facing API, the
declared name and the same parameters are the command line's ``--fault NAME:ARG...``,
the ``match`` default says what it matches, and the action(s) it returns (see
:mod:`dmsproto.sim.fault_actions`) say what it does and, through them, which
transports can carry it out. :meth:`Faults.plan` is the interpreter: it turns the
faults matching one request into an ordered tuple of actions, in the order
:class:`~dmsproto.sim.fault_actions.Phase` describes, which the WebSocket and the HTTP
POST executors walk. Adding a fault is one more decorated method.
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Concatenate, Final, ParamSpec, TypeVar

from ..errors import NotJSON
from ..jsontext import parse_json
from .fault_actions import (
    ANSWER_ONLY,
    Action,
    Close,
    Delay,
    Drop,
    Hold,
    HttpStatus,
    NoAnswer,
    Pad,
    Phase,
    Replace,
    Send,
    SendEvent,
    Transport,
    derive_event,
    pad_frame,
)
from .limits import MAX_MESSAGE_BYTES

__all__ = [
    "DEFAULT_OVERSIZE",
    "FAULT_KINDS",
    "FaultKind",
    "FaultParameter",
    "Faults",
    "Hold",
    "derive_event",
    "describe_fault_kinds",
    "fault",
    "pad_frame",
]

DEFAULT_OVERSIZE: Final = MAX_MESSAGE_BYTES + 1
"""One byte over the DMS's 4 MiB message limit (the padding is ASCII)."""

P = ParamSpec("P")
F = TypeVar("F", bound="Faults")
Made = TypeVar("Made", bound="Action | tuple[Action, ...]")


@dataclass(frozen=True, slots=True)
class _Armed:
    """One armed fault: its kind's name, what it matches, the actions it produces."""

    kind: str
    match: str | None
    actions: tuple[Action, ...]

    def on(self, transport: Transport) -> tuple[Action, ...] | None:
        """The actions as ``transport`` carries them out; None when it cannot."""
        carried: list[Action] = []
        for action in self.actions:
            done = action.on(transport)
            if done is None:
                return None
            carried.append(done)
        return tuple(carried)


class _Commands:
    """The command names of one request, parsed only if a fault asks."""

    def __init__(self, request: object) -> None:
        self._request = request
        self._names: frozenset[str] | None = None

    def __contains__(self, name: str) -> bool:
        if self._names is None:
            request = self._request
            if isinstance(request, str | bytes):
                try:
                    request = parse_json(request)
                except NotJSON:
                    request = None
            self._names = frozenset(request) if isinstance(request, Mapping) else frozenset()
        return name in self._names


@dataclass(frozen=True)
class FaultParameter:
    """One parameter of a fault kind on the command line (``--fault NAME:ARG...``)."""

    name: str
    convert: Callable[[str], object]
    required: bool
    default: object = None

    @property
    def metavar(self) -> str:
        """The parameter's name in help and messages, e.g. ``SECONDS``."""
        return self.name.upper()


@dataclass(frozen=True)
class FaultKind:
    """One kind of fault, as its arming method declares it (see :func:`fault`)."""

    name: str
    """The command line's name of the kind, e.g. ``hold`` or ``http-status``."""
    method: Callable[..., Any]
    """The arming method (its signature and docstring are the declaration)."""

    @property
    def summary(self) -> str:
        """The first line of the arming method's docstring."""
        return (inspect.getdoc(self.method) or "").split("\n", 1)[0]

    @functools.cached_property
    def parameters(self) -> tuple[FaultParameter, ...]:
        """The method's parameters the command line can set, in order (``match`` last).

        A parameter whose type has no text form here (an event frame) keeps its default.
        """
        hints = typing.get_type_hints(self.method)
        found: list[FaultParameter] = []
        for param in list(inspect.signature(self.method).parameters.values())[1:]:
            convert = _converter(hints[param.name])
            required = param.default is inspect.Parameter.empty
            if convert is None:
                if required:
                    raise TypeError(f"fault {self.name}: {param.name} has no text form")
                continue
            found.append(FaultParameter(param.name, convert, required,
                                        None if required else param.default))
        return tuple(found)

    def usage(self) -> str:
        """``NAME:REQUIRED[:OPTIONAL=DEFAULT]...`` as ``--fault`` takes it."""
        text = self.name
        for param in self.parameters:
            part = f":{param.metavar}"
            if param.default not in (None, False, ""):
                part += f"={param.default}"
            text += part if param.required else f"[{part}]"
        return text

    def arm_from_text(self, faults: Faults, args: list[str]) -> None:
        """Arm this kind on ``faults`` from the ``:``-separated arguments of ``--fault``.

        Args:
            faults: where to arm it.
            args: values in parameter order; ``NAME=VALUE`` names one (later values
                follow it); an empty value keeps the default.

        Raises:
            ValueError: an unknown parameter, a value of the wrong form, too many
                values, or a required parameter missing.
        """
        params = self.parameters
        by_name = {p.name: index for index, p in enumerate(params)}
        values: dict[str, object] = {}
        position = 0
        for arg in args:
            key, equals, rest = arg.partition("=")
            if equals and key in by_name:
                position, arg = by_name[key], rest
            if position >= len(params):
                raise ValueError(f"too many values for fault {self.usage()}")
            param = params[position]
            position += 1
            if arg:
                try:
                    values[param.name] = param.convert(arg)
                except ValueError:
                    raise ValueError(
                        f"fault {self.name}: {param.metavar} cannot be {arg!r}") from None
        missing = [p.metavar for p in params if p.required and p.name not in values]
        if missing:
            raise ValueError(f"fault {self.usage()} needs {', '.join(missing)}")
        self.method(faults, **values)  # checks the values and arms


FAULT_KINDS: dict[str, FaultKind] = {}
"""Every declared fault kind by name, in declaration order."""


def fault(
    name: str,
) -> Callable[[Callable[Concatenate[F, P], Made]], Callable[Concatenate[F, P], Made]]:
    """Declare a fault kind by its arming method: the one place a fault is defined.

    The method takes the fault's parameters and a keyword-only ``match`` (whose
    default says what the fault matches; the decorator reads it, the method body
    need not) and returns the action(s) the fault produces, in any order
    (:meth:`Faults.plan` orders them). Calling the decorated method arms the fault and
    returns those actions (a :class:`Hold` lets the caller release it).

    Args:
        name: the kind's name on the command line (``dmsproto serve --fault NAME``).

    Returns:
        The decorator.
    """

    def declare(
        method: Callable[Concatenate[F, P], Made],
    ) -> Callable[Concatenate[F, P], Made]:
        match_param = inspect.signature(method).parameters.get("match")
        if match_param is None or match_param.kind is not inspect.Parameter.KEYWORD_ONLY:
            raise TypeError(f"fault {name}: the method needs a keyword-only match parameter")
        default_match = match_param.default

        @functools.wraps(method)
        def arm(faults: F, /, *args: P.args, **kwargs: P.kwargs) -> Made:
            made = method(faults, *args, **kwargs)
            match = kwargs.get("match", default_match)
            if match is not None and not isinstance(match, str):
                raise TypeError(f"match must be a command name or None, not {match!r}")
            actions = made if isinstance(made, tuple) else (made,)
            faults._arm(_Armed(name, match, actions))
            return made

        FAULT_KINDS[name] = FaultKind(name, arm)
        return arm

    return declare


class Faults:
    """The armed faults of one simulator, and the interpreter that uses them up.

    Each arming method below is the whole declaration of one fault kind (see
    :func:`fault`); :meth:`plan` turns them into ordered actions (order: see
    :class:`~dmsproto.sim.fault_actions.Phase`).
    """

    def __init__(self) -> None:
        self._armed: list[_Armed] = []

    @property
    def pending(self) -> int:
        """How many armed faults have not been used yet."""
        return len(self._armed)

    def clear(self) -> None:
        """Disarm every fault."""
        self._armed.clear()

    def _arm(self, armed: _Armed) -> None:
        self._armed.append(armed)

    def arm_from_text(self, spec: str) -> None:
        """Arm a fault from its command-line form, e.g. ``hold:get`` or ``http-status:403``.

        Args:
            spec: ``NAME[:ARG]...``: a declared kind's name and its parameters in order,
                ``match`` last (see :func:`describe_fault_kinds`).

        Raises:
            ValueError: an unknown kind or unusable arguments (the message says which).
        """
        name, *args = spec.split(":")
        kind = FAULT_KINDS.get(name)
        if kind is None:
            raise ValueError(f"unknown fault {name!r} (known: {', '.join(FAULT_KINDS)})")
        kind.arm_from_text(self, args)

    # --- the declarations -------------------------------------------------------------

    @fault("drop-before")
    def drop_before_response(self, *, match: str | None = None) -> tuple[NoAnswer, Drop]:
        """Close the connection instead of answering the next matching request.

        Args:
            match: the command the request must hold; None for any request.
        """
        return NoAnswer(), Drop()

    @fault("drop-after")
    def drop_after_response(self, *, match: str | None = None) -> Drop:
        """Answer the next matching request, then close the connection.

        Args:
            match: the command the request must hold; None for any request.
        """
        return Drop()

    @fault("delay")
    def delay_next(self, seconds: float, *, match: str | None = None) -> Delay:
        """Send the next matching response SECONDS late (on the trio clock).

        Args:
            seconds: how late.
            match: the command the request must hold; None for any request.
        """
        return Delay(seconds)

    @fault("hold")
    def hold_next(self, *, match: str | None = None) -> Hold:
        """Hold the next matching response until released (from the command line: never).

        Responses to later requests on that connection wait behind it (requests of a
        connection are answered in order).

        Args:
            match: the command the request must hold; None for any request.

        Returns:
            The hold: ``await hold.reached.wait()``, then ``hold.release()``.
        """
        return Hold()

    @fault("malformed")
    def malformed_next(
        self, text: str = "{this is not JSON", *, replace: bool = False,
        match: str | None = None,
    ) -> Send | Replace:
        """Send TEXT (not JSON) before the next matching response, or instead of it.

        Over HTTP POST the text is the body either way.

        Args:
            text: what to send, as it is.
            replace: send it instead of the response (else before it).
            match: the command the request must hold; None for any request.
        """
        return Replace(text) if replace else Send(text)

    @fault("inject-event")
    def inject_event_before_response(
        self, frame: dict[str, Any] | None = None, *, match: str | None = "subscribe",
    ) -> SendEvent:
        """Send an event frame on the WebSocket between the next matching request and its response.

        Args:
            frame: the event frame; None makes up one ``onChange`` event per ok item of
                the (subscribe) response, carrying the subscription's tag.
            match: the command the request must hold; None for any request.
        """
        return SendEvent(frame)

    @fault("oversize")
    def oversized_next(self, size: int = DEFAULT_OVERSIZE, *, match: str | None = None) -> Pad:
        """Pad the next matching response to at least SIZE characters (still valid JSON).

        Args:
            size: the least length; the default is one over the DMS's 4 MiB limit.
            match: the command the request must hold; None for any request.
        """
        return Pad(size)

    @fault("close")
    def close_next(
        self, code: int, reason: str = "", *, after_response: bool = False,
        match: str | None = None,
    ) -> Close | tuple[NoAnswer, Close]:
        """Close the WebSocket with CODE and REASON instead of (or after) the response.

        Args:
            code: the close code.
            reason: the close reason.
            after_response: answer first, then close.
            match: the command the request must hold; None for any request.
        """
        close = Close(code, reason)
        return close if after_response else (NoAnswer(), close)

    @fault("http-status")
    def http_status_next(
        self, status: int, text: str = "", *, match: str | None = None,
    ) -> HttpStatus:
        """Answer the next matching HTTP POST with error STATUS and TEXT as plain text.

        401 and 403 are what a DMS answers to refused credentials.

        Args:
            status: the HTTP error status (400-599).
            text: the body; empty for the status's reason phrase.
            match: the command the request must hold; None for any request.

        Raises:
            ValueError: ``status`` is not an HTTP error status.
        """
        return HttpStatus.standard(status, text)

    # --- the interpreter --------------------------------------------------------------

    def plan(self, request: object, transport: Transport) -> tuple[Action, ...]:
        """Use up the faults matching ``request`` and say what to do on the wire.

        Sans-I/O: nothing is sent here. The actions come in the order and under the
        rules of :class:`~dmsproto.sim.fault_actions.Phase`; faults that do not match,
        that ``transport`` cannot carry out, or whose answer or end is already taken
        on this request stay armed.

        Args:
            request: the request's text (parsed only when an armed fault names a
                command) or its parsed JSON value.
            transport: where the request came in.

        Returns:
            The plan: every ``WAIT`` and ``BEFORE`` action, then exactly one answer,
            then at most one ``END`` action.
        """
        if not self._armed:
            return ANSWER_ONLY
        commands = _Commands(request)
        chosen: list[Action] = []
        taken: set[Phase] = set()
        keep: list[_Armed] = []
        for armed in self._armed:
            actions = armed.on(transport)
            slots = {a.phase for a in actions or () if a.phase.single}
            usable = actions is not None and not slots & taken and (
                armed.match is None or armed.match in commands)
            if not usable:
                keep.append(armed)
                continue
            chosen.extend(actions or ())
            taken |= slots
        self._armed = keep
        if Phase.ANSWER not in taken:
            chosen.extend(ANSWER_ONLY)
        return tuple(sorted(chosen, key=lambda action: action.phase))


def describe_fault_kinds() -> str:
    """Each declared fault kind's ``--fault`` form and summary, for ``serve --help``."""
    return "\n".join(f"  {kind.usage()}\n      {kind.summary.replace('``', '')}"
                     for kind in FAULT_KINDS.values())


def _converter(hint: object) -> Callable[[str], object] | None:
    """How a command-line value becomes a parameter of type ``hint`` (None: it cannot)."""
    if hint is bool:
        return _boolean
    if hint in (int, float, str):
        return typing.cast(Callable[[str], object], hint)
    if isinstance(hint, types.UnionType) and set(typing.get_args(hint)) == {str, type(None)}:
        return _command
    return None


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


def _command(text: str) -> str | None:
    """A command name, or ``*`` for any request."""
    return None if text == "*" else text
