"""The sans-I/O DMS: request text in, response and event frames out.

The engine owns the datapoint tree, change logs and subscriptions; a transport
(``server.py``) feeds it one request at a time per session and sends what it
returns. Time comes only from the injected clock, so tests are deterministic.

Types: each valid request item is read into the version's generated request
struct (:mod:`.wire`) and answered with the version's generated result
struct; :attr:`Reply.response` is the version's ``ResponseFrame`` and each
:attr:`Delivery.frame` an ``EventFrame``, to be written with
:func:`dmsproto.codec.encode` (:func:`.wire.as_json` gives plain JSON values).

Framing rules: a request that is not JSON, not an object, nested deeper than
:data:`~dmsproto.sim.limits.MAX_JSON_DEPTH`, has an unknown root member or no
command at all is fatal: the response holds a fatal item (``code`` error and a
message, no path) in the array of every command the request named (``get`` when
it named none, as in the document's example) and :attr:`Reply.fatal` carries the
message; the transports still send that response (3.2.1), they never close for it.
A command whose value is not an array answers one fatal item in its array.
Anything wrong inside an item answers that item only. An empty command array is
answered with an empty array (the vendor's Node-RED nodes send them).

What is wrong is the validator's business: only its findings of severity
``error`` are refused (a ``warning`` names a departure from the document that real
DMSs accept), and each is answered with a DMS-style message
(:mod:`.messages`), never the validator's own words.

One request cannot build an unbounded answer: items and entries are counted
against a :class:`~dmsproto.sim.items.Budget` (:mod:`.limits`).

Protocol versions (``protocol=``): ``"1.4"`` (default), ``"1.3"`` and ``"1.5"``
are validated with their schemas; the answers differ as the documents say
(``reads.py``, ``query.py``). A 1.3 server has no change-log commands: our
assumption is that it treats ``changelogGetGroups``/``changelogRead`` like any
other unknown root member, so such a request is fatal with the message
``Unknown command 'changelogRead'`` (the documents do not show what a DMS
answers to a command it does not know).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import DMSError, NotJSON
from ..jsontext import parse_json
from ..timestamps import format_server_stamp
from ..validation import validate
from ..versions import DEFAULT_VERSION, UnknownVersionError, get_version, version_key
from .items import AnswerTooLarge, Budget, Context, ItemRefused, error_item, fatal_item
from .limits import Limits
from .messages import (
    FATAL_JSON,
    NO_COMMAND,
    NOT_A_STRING,
    NOT_AN_ARRAY,
    NOT_AN_OBJECT,
    TOO_DEEP,
    UNKNOWN_COMMAND,
    for_violation,
)
from .monitor import subscribe_item, unsubscribe_item
from .plant import Plant, build
from .reads import changelog_groups, changelog_read, get_item
from .subscriptions import EventSink, Session, SubscriptionIndex
from .system import blink, next_blink, system_tick
from .tree import Node
from .wire import UNSET, Command, SimWire, wire_for
from .writes import delete_item, rename_item, set_item

_STAMP_CACHE = 65_536  # formatted stamps kept (a plant's nodes share few stamps)
ItemHandler = Callable[["Engine", Context, Any], list[Any]]

#: handlers by command attribute (the generated RequestFrame's snake_case names)
_ITEM_HANDLERS: dict[str, ItemHandler] = {
    "get": get_item,
    "set": set_item,
    "rename": rename_item,
    "delete": delete_item,
    "subscribe": subscribe_item,
    "unsubscribe": unsubscribe_item,
    "changelog_get_groups": changelog_groups,
    "changelog_read": changelog_read,
}
#: answered once even for an empty array (the document's form: "changelogGetGroups": [])
_ANSWERED_WHEN_EMPTY = "changelog_get_groups"


def commands_of(protocol: str) -> tuple[str, ...]:
    """The commands (wire names) a server speaking ``protocol`` knows."""
    return tuple(wire_for(protocol).commands)


@dataclass
class Delivery:
    """An event frame for one session.

    Args:
        session: the session (connection) to send it on.
        frame: the version's generated ``EventFrame``.
    """

    session: Session
    frame: Any


@dataclass
class Reply:
    """What one request produced: its response and the event frames it caused.

    Args:
        response: the version's generated ``ResponseFrame``.
        deliveries: the event frames the request caused (a write's subscribers).
        fatal: the DMS's message when the request as a whole was refused (not
            JSON, an unknown command, ...), else ``None``.
    """

    response: Any
    deliveries: list[Delivery]
    fatal: str | None = None


def _zone(name: str | None) -> tzinfo:
    try:
        return ZoneInfo(name or "Europe/Zurich")
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


class Engine:
    """A simulated DMS data server.

    Args:
        plant: the datapoints it starts with.
        clock: where time comes from (default: the wall clock, UTC).
        protocol: the protocol version it speaks.
        zone: the zone of its timestamps (default: the plant's).
        max_path_length: the longest path a write may name (default: the schema's, 160
            characters as on ProMoS 2.x; 80 for ProMoS 1.x).
        limits: what one request may make it build (default: :mod:`.limits`).

    Raises:
        UnknownVersionError: ``protocol`` is not a version string.

    Attributes:
        clock: as given.
        protocol: as given.
        zone: the zone of its timestamps.
        max_path_length: as given, or the version's.
        limits: as given, or the defaults.
        wire: the version's generated types and wire names, as the server reads them.
        commands: the commands (wire names) it knows.
        root_fields: the members a request's root may have.
        validating: whether requests are checked by the validator first (the
            version has schemas), answering as a DMS does.
        tree: the datapoints.
        logs: the changelog groups and their entries.
        subscriptions: every live subscription, indexed for routing events.
        sessions: the open sessions.
    """

    def __init__(
        self,
        plant: Plant,
        *,
        clock: Callable[[], datetime] | None = None,
        protocol: str = DEFAULT_VERSION,
        zone: str | None = None,
        max_path_length: int | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        version_key(protocol)  # "1.3", "1.4", "1.5", ...: raises UnknownVersionError else
        self.protocol = protocol
        self.wire: SimWire = wire_for(protocol)
        self.commands = tuple(self.wire.commands)
        self.root_fields = self.wire.root_fields
        self.zone = _zone(zone or plant.zone)
        self.max_path_length = max_path_length or self.wire.max_path_length
        self.limits = limits or Limits()
        self.validating = _known_protocol(protocol)
        self.tree, self.logs = build(plant, self.clock(), self.zone)
        self.subscriptions = SubscriptionIndex()
        self.sessions: list[Session] = []
        self._stamps: dict[datetime, str] = {}
        self.tick()  # System:Time and the blinkers are right from the start

    # -- sessions -----------------------------------------------------------------------
    def open_session(
        self, *, peer: str = "127.0.0.1", user: str | None = None, websocket: bool = True
    ) -> Session:
        """A client connected (or one HTTP request came): a session for its requests.

        Args:
            peer: the client's address.
            user: who it authenticated as, if anyone.
            websocket: whether it is a WebSocket (only those get events).

        Returns:
            The session, to hand to ``handle`` and ``close_session``.
        """
        session = Session(peer=peer, user=user, websocket=websocket)
        self.sessions.append(session)
        return session

    def close_session(self, session: Session) -> None:
        """The connection is gone: its subscriptions go with it.

        Args:
            session: the session ``open_session`` gave.
        """
        self.subscriptions.drop_session(session)
        if session in self.sessions:
            self.sessions.remove(session)

    # -- time and rendering -------------------------------------------------------------
    def now(self) -> datetime:
        """The clock's time in the engine's zone."""
        return self.clock().astimezone(self.zone)

    def stamp(self, value: datetime | None) -> str | None:
        """A stamp as the server writes it.

        Args:
            value: the instant, or ``None``.

        Returns:
            The DMS's text for it, in the engine's zone; ``None`` stays ``None``.
        """
        return None if value is None else self._format(value)

    def stamp_text(self, value: datetime | None) -> str:
        """A stamp as query regexes see it.

        Args:
            value: the instant, or ``None``.

        Returns:
            The DMS's text for it; ``""`` for ``None``.
        """
        return "" if value is None else self._format(value)

    def _format(self, value: datetime) -> str:
        text = self._stamps.get(value)  # equal instants format alike: always in self.zone
        if text is None:
            if len(self._stamps) >= _STAMP_CACHE:
                self._stamps.clear()
            text = self._stamps[value] = format_server_stamp(value.astimezone(self.zone))
        return text

    def epoch_stamp(self, t: float) -> str:
        """The DMS's text for an instant given in seconds since the epoch.

        Args:
            t: seconds since the epoch.

        Returns:
            The timestamp as the DMS writes it, in the engine's zone.
        """
        return format_server_stamp(datetime.fromtimestamp(t, self.zone))

    # -- events -------------------------------------------------------------------------
    def emit(
        self, sink: EventSink, code: str, node: Node, trigger: str, *,
        new_path: str | None = None, at: datetime | None = None,
    ) -> None:
        """Route event ``code`` of ``node`` (at its current path) to the subscribers.

        The event's ``stamp`` is the time of the event (3.6.4): the written stamp for a
        write (the node's stamp), ``at`` for a rename or delete; null on a node of type
        ``none``, whose stamps are always null (2.8).

        Args:
            sink: collects the event items per session.
            code: the event code (``onChange``, ``onSet``, ...).
            node: the datapoint the event is about.
            trigger: who caused it (the writer's ``whois``; ``<SYS>`` for the DMS).
            new_path: the new path, for ``onRename``.
            at: the time of a rename or delete.
        """
        targets = self.subscriptions.targets(code, node.path, node, self.stamp_text)
        if not targets:
            return
        event_item = self.wire.event.EventItem
        when = node.stamp if at is None or node.type == "none" else at
        value, vtype, stamp = node.value, node.type, self.stamp(when)
        renamed = UNSET if new_path is None else new_path
        for sub in targets:
            sink.add(sub.session, event_item(
                code=code, path=node.path, new_path=renamed, trigger=trigger, value=value,
                type=vtype, stamp=stamp, tag=UNSET if sub.tag is None else sub.tag))

    def _deliveries(self, sink: EventSink) -> list[Delivery]:
        frame = self.wire.event.EventFrame
        return [Delivery(s, frame(event=items)) for s, items in sink.items.items()]

    # -- requests -----------------------------------------------------------------------
    def handle(self, session: Session, text: str | bytes) -> Reply:
        """One request message as received (text, or UTF-8 bytes).

        The text is read as the validator reads it (:func:`dmsproto.jsontext.parse_json`).
        Not JSON: not UTF-8, a lone surrogate, ``NaN``, a number past a double
        (``1e999``), an integer past the interpreter's digit limit, or nested past the
        reader (too deep; answered as such).  Integers are read exactly.

        Args:
            session: the session it came on.
            text: the message.

        Returns:
            The response (a fatal error for text that is not a request) and the
            events the request caused.
        """
        try:
            message = parse_json(text)
        except NotJSON as exc:
            if exc.too_deep:
                return self._fatal({}, TOO_DEEP.format(self.limits.json_depth))
            return self._fatal({}, FATAL_JSON)
        return self.handle_message(session, message)

    def handle_message(self, session: Session, message: object) -> Reply:
        """One already parsed request.

        Args:
            session: the session it came on.
            message: the request, parsed.

        Returns:
            The response and the events the request caused.
        """
        if not isinstance(message, dict):
            return self._fatal({}, NOT_AN_OBJECT)
        if _deeper_than(message, self.limits.json_depth):
            return self._fatal(message, TOO_DEEP.format(self.limits.json_depth))
        item_errors, command_errors, frame_error = self._violations(message)
        unknown = next((k for k in message if k not in self.root_fields), None)
        if unknown is not None:
            frame_error = UNKNOWN_COMMAND.format(unknown)
        frame_error = frame_error or _frame_problem(message, self.wire, self.commands)
        if frame_error is not None:
            return self._fatal(message, frame_error)
        whois = message.get(self.wire.root["whois"])
        ctx = Context(session, whois if isinstance(whois, str) else None, EventSink(),
                      Budget(self.limits.answer_items, self.limits.answer_entries))
        answers: dict[str, list[Any]] = {}
        for name in (k for k in message if k in self.commands):
            command = self.wire.commands[name]
            items = message[name]
            if name in command_errors or not isinstance(items, list):
                reason = command_errors.get(name, NOT_AN_ARRAY.format(name))
                answers[command.attr] = [fatal_item(command, reason)]
                continue
            answers[command.attr] = self._run(command, ctx, items, item_errors)
        return Reply(self._frame(message, answers), self._deliveries(ctx.sink))

    def _frame(self, message: dict[str, Any], answers: dict[str, list[Any]]) -> Any:
        tag = message.get(self.wire.root["tag"])
        return self.wire.response.ResponseFrame(tag=UNSET if tag is None else tag, **answers)

    def _run(
        self, command: Command, ctx: Context, items: list[Any],
        item_errors: dict[tuple[str, int], str],
    ) -> list[Any]:
        handler = _ITEM_HANDLERS[command.attr]
        if not items and command.attr == _ANSWERED_WHEN_EMPTY:
            items = [None]
        validated = self.validating
        budget = ctx.budget
        out: list[Any] = []
        for index, raw in enumerate(items):
            reason = item_errors.get((command.name, index))
            if reason is not None:
                out.append(error_item(command, raw, reason))
                continue
            try:
                budget.check_items()
                item = None if raw is None else self.wire.convert(raw, command,
                                                                   validated=validated)
                answered = handler(self, ctx, item)
                budget.take_items(len(answered))
            except ValueError as exc:  # the item does not fit the generated type
                out.append(error_item(command, raw, str(exc)))
            except ItemRefused as exc:
                out.append(error_item(command, raw, exc.message, exc.code))
            except AnswerTooLarge as exc:
                out.append(error_item(command, raw, str(exc)))
            else:
                out.extend(answered)
        return out

    def _violations(
        self, message: dict[str, Any]
    ) -> tuple[dict[tuple[str, int], str], dict[str, str], str | None]:
        """Sort the validator's errors into item, command and frame problems.

        Each is answered with the DMS-style message; warnings are accepted, as a DMS
        does.
        """
        items: dict[tuple[str, int], str] = {}
        commands: dict[str, str] = {}
        frame: str | None = None
        if not self.validating:
            return items, commands, frame
        for v in validate(message, direction="send", protocol=self.protocol):
            if getattr(v, "severity", "error") != "error":
                continue
            text = for_violation(v.rule, v.pointer, v.value, max_path=self.max_path_length)
            parts = v.pointer.split("/")[1:] if v.pointer else []
            if len(parts) >= 2 and parts[0] in self.commands and parts[1].isdigit():
                items.setdefault((parts[0], int(parts[1])), text)
            elif len(parts) == 1 and parts[0] in self.commands:
                commands.setdefault(parts[0], text)
            elif frame is None:
                frame = text
        return items, commands, frame

    def _fatal(self, message: dict[str, Any], reason: str) -> Reply:
        named = [k for k in message if k in self.commands] or [next(iter(self.wire.commands))]
        answers = {self.wire.commands[k].attr: [fatal_item(self.wire.commands[k], reason)]
                   for k in named}
        return Reply(self._frame(message, answers), [], fatal=reason)

    # -- simulation ---------------------------------------------------------------------
    def tick(self) -> list[Delivery]:
        """Autonomous changes at clock(): ``System:Time`` and ``System:Blinker:*``.

        Returns:
            The event frames for their subscribers.
        """
        sink = EventSink()
        system_tick(self, Context(Session(websocket=False), None, sink), self.now())
        return self._deliveries(sink)

    def blink(self) -> list[Delivery]:
        """The blinkers (``System:Blinker:Blink<P>``) as of clock(), without ``System:Time``.

        Returns:
            The event frames for their subscribers.
        """
        sink = EventSink()
        blink(self, Context(Session(websocket=False), None, sink), self.now())
        return self._deliveries(sink)

    def next_blink(self) -> datetime | None:
        """When the next blinker flips after clock().

        Returns:
            The instant, or ``None`` when the plant has no blinkers.
        """
        return next_blink(self, self.now())

    def restart(self) -> None:
        """A DMS restart: every stamp is lost (values are kept)."""
        for node in self.tree.nodes():
            node.stamp = None

    def write(
        self,
        path: str,
        value: Any,
        *,
        trigger: str = "<SYS>",
        stamp: datetime | None = None,
        create: bool = False,
    ) -> list[Delivery]:
        """Write as a ``set`` from ``trigger`` would (tests, demos).

        Args:
            path: the datapoint's path.
            value: the value.
            trigger: who writes, as events report it.
            stamp: the value's timestamp (default: now).
            create: make the datapoint if it does not exist.

        Returns:
            The event frames for the subscribers of the change.

        Raises:
            DMSError: the DMS would refuse the write (``NotFound``-like codes in
                ``code``).
        """
        item = self.wire.request.SetItem(
            path=path, value=value, create=create,
            stamp=UNSET if stamp is None else format_server_stamp(stamp))
        sink = EventSink()
        ctx = Context(Session(user=trigger, websocket=False), None, sink)
        try:
            set_item(self, ctx, item)
        except ItemRefused as exc:
            raise DMSError(path, exc.code, exc.message) from None
        return self._deliveries(sink)


def _known_protocol(protocol: str) -> bool:
    """Whether the validator has schemas for ``protocol`` (else the engine checks alone)."""
    try:
        get_version(protocol)
    except UnknownVersionError:
        return False
    return True


def _deeper_than(message: object, limit: int) -> bool:
    """Whether ``message`` nests containers more than ``limit`` levels (iteratively)."""
    stack: list[tuple[object, int]] = [(message, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, dict | list))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value if isinstance(v, dict | list))
    return False


def _frame_problem(
    message: dict[str, Any], wire: SimWire, commands: tuple[str, ...]
) -> str | None:
    """What makes a parsed request unusable as a whole, if anything."""
    for key in message:
        if key not in wire.root_fields:
            return UNKNOWN_COMMAND.format(key)
    if not any(k in commands for k in message):
        return NO_COMMAND
    for key in (wire.root["whois"], wire.root["user"]):
        if key in message and not isinstance(message[key], str):
            return NOT_A_STRING.format(key)
    return None
