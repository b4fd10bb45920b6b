"""The sans-I/O client core: calls in, frames out; frames in, completions and events out.

``ClientCore`` knows nothing of sockets, trio or HTTP (like h11/wsproto), and
holds no I/O objects: a transport keeps its own waiters, keyed by the ``Call``
and ``SubscriptionState`` objects the events below carry.


* ``start_call(ops)`` assigns root tags, splits requests above ``chunk_size``
  items into several frames and returns a ``Call`` whose ``frames`` the
  transport sends;
* ``receive(frame)`` takes one received text/bytes frame and returns what
  happened: ``CallDone`` (every frame of a call answered, or the call failed),
  ``SubscriptionData`` (events were queued for a subscription) or ``BadFrame``;
  it never raises, whatever the peer sent (see "Frames that break the protocol");
* ``Call.results()`` turns the collected response items into one typed value
  (or ``ItemError``) per operation, in the order of the operations;
* ``failure(call, error)`` says what a call in flight raises when its
  connection ended: ``NotSent``, ``OutcomeUnknown`` (a write went out and
  was not answered) or the connection's own error.

Correlation is by the root ``tag`` (an integer per frame, echoed by the server),
so responses may interleave with events and with other calls' responses.  Query
items inside a multi-item ``get`` are separated by per-item tags.  Events are
routed by the subscription's tag into a bounded buffer per subscription.

Frames are built from, and decoded into, the generated structs of the
connection's protocol version (``dmsproto._generated``, via ``_wire``), so no
wire name or enumeration is spelled out here.

Frames that break the protocol.  A frame that does not decode is sorted by
what can still be read of it (``_triage``; whether it is JSON at all is the
verdict of ``dmsproto.jsontext``, the one JSON reader), and ``stats`` counts each:

* its root tag names a call in flight: that call fails with ``ProtocolError``
  naming the JSON pointer and the reason (``CallDone``; the connection stays);
  a frame that is not JSON names its call by a root tag at its head;
* it is a JSON object that names no call in flight: dropped, logged, counted
  (``BadFrame`` with ``fatal=False``); an event frame loses only its bad items;
* it is not JSON (cut short, ``1e999``, not UTF-8, nested too deep, ...) or
  not an object, and names no call in flight: ``BadFrame`` with ``fatal=True``
  -- the transport closes the connection, every call in flight fails at once,
  and a reconnect policy applies (subscriptions then report the gap).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from ..codec import decode_error, encode
from ..errors import (
    ConnectError,
    ConnectionLost,
    DecodeError,
    DMSProtoError,
    EncodeError,
    NotJSON,
    NotSent,
    OutcomeUnknown,
    ProtocolError,
)
from ..results import Event, Gap
from ..tags import tag_key
from ..versions import DEFAULT_VERSION
from . import _decode, _triage
from ._wire import UNSET, Wire, wire_for
from .ops import ChangelogGroups, Get, Op, Set, Subscribe, Unsubscribe
from .stats import ReceiveStats

log = logging.getLogger("dmsproto.protocol")

DEFAULT_CHUNK_SIZE = 10_000
"""Request items per frame: a longer call is sent as several frames and the answers merged."""

OverflowPolicy = Literal["raise", "yield"]


def _is_event_frame(wire: Wire, data: str | bytes) -> bool:
    """Cheap test for the usual event frame layout (its event array first)."""
    if isinstance(data, str):
        return wire.event_head_text.match(data) is not None
    return wire.event_head_bytes.match(data) is not None


# --------------------------------------------------------------------------- calls


_NONE_TAGGED: frozenset[str] = frozenset()
_NO_USER_TAGS: dict[int, Any] = {}  # shared, never written to


class Call:
    """One logical request: its operations, frames, and the responses collected so far.

    Made by ``ClientCore.start_call``; a transport sends ``frames`` in order, counts
    them in ``sent``, and waits for ``CallDone``.

    Args:
        ops: the operations, in the order their results are given back.
        wire: the protocol version's generated types and names.

    Attributes:
        ops: the operations.
        frames: the encoded request frames, in send order.
        ids: the correlation id (root tag) of each frame.
        commands: the command attributes each frame carries (to match an untagged
            error answer to its frame).
        responses: the decoded ``ResponseFrame`` structs, one per frame (``None``
            until answered).
        remaining: frames not answered yet.
        sent: frames the transport has handed to the connection, in order: when the
            connection is lost it says what may have been done.
        error: set when the call failed as a whole (connection lost, protocol
            violation).
    """

    __slots__ = (
        "_plan",
        "_tagged",
        "_user_tags",
        "_wire",
        "commands",
        "error",
        "frames",
        "ids",
        "ops",
        "remaining",
        "responses",
        "sent",
    )

    def __init__(self, ops: Sequence[Op], wire: Wire) -> None:
        self.ops = ops
        self._wire = wire
        self.frames: list[bytes] = []
        self.ids: list[int] = []
        #: the command attributes each frame carries (to match an untagged error)
        self.commands: list[frozenset[str]] = []
        self.responses: list[Any] = []
        self.remaining = 0
        #: frames handed to the connection so far (the transport counts them)
        self.sent = 0
        self.error: BaseException | None = None
        # command -> list of (op index, number of request items)
        self._plan: dict[str, list[tuple[int, int]]] = {}
        self._tagged: set[str] | frozenset[str] = _NONE_TAGGED  # replaced when needed
        self._user_tags: dict[int, Any] = _NO_USER_TAGS  # replaced before the first write

    @property
    def done(self) -> bool:
        """Whether every frame is answered or the call failed: ``results()`` may be read."""
        return self.error is not None or self.remaining == 0

    def results(self) -> list[Any]:
        """One decoded value per operation (typed result or ``ItemError``).

        Returns:
            The results in the order of the operations; an item the DMS refused is an
            ``ItemError`` in its place.

        Raises:
            DMSProtoError: the call's ``error`` if it failed (``ConnectionLost``,
                ``NotSent``, ``OutcomeUnknown``, ``ProtocolError``), or the call is
                not complete yet.
            ProtocolError: the answers cannot be read as results (item counts or tags
                that do not match the request).
        """
        if self.error is not None:
            raise self.error
        if self.remaining:
            raise DMSProtoError("call not complete")
        ops = self.ops
        try:
            if len(ops) == 1 and len(self.responses) == 1:
                # the usual call (one op, one frame): no merging, no bookkeeping
                op = ops[0]
                part = getattr(self.responses[0], op.command, UNSET)
                if part is not UNSET and (
                    op.expands or len(part) == self._plan[op.command][0][1]
                ):
                    return [op.decode(part, self._wire)]
            return self._merged()
        except DMSProtoError:
            raise
        except Exception as exc:  # answers that decoded, yet make no sense as results
            what = ", ".join(sorted({op.what for op in ops}))
            raise ProtocolError(
                f"the answer to {what} cannot be read as its result ({type(exc).__name__})"
            ) from exc

    def _merged(self) -> list[Any]:
        """``results()`` of a call with several ops or frames: the items merged per command."""
        ops = self.ops
        out: list[Any] = [None] * len(ops)
        for command, plan in self._plan.items():
            merged: list[Any] = []
            for frame in self.responses:
                part = getattr(frame, command, UNSET)
                if part is not UNSET:
                    merged.extend(part)
            if command in self._tagged:
                self._fill_tagged(command, plan, merged, out)
            else:
                self._fill_positional(command, plan, merged, out)
        return out

    def _is_fatal(self, item: Any) -> bool:
        """A command-level error item: not ok and without ``path``."""
        return item.path is UNSET and item.code != self._wire.ok

    def _fill_positional(
        self, command: str, plan: list[tuple[int, int]], merged: list[Any], out: list[Any]
    ) -> None:
        expected = sum(n for _, n in plan)
        ops = self.ops
        wire = self._wire
        if len(plan) == 1 and ops[plan[0][0]].expands:
            out[plan[0][0]] = ops[plan[0][0]].decode(merged, wire)
            return
        if len(merged) != expected:
            fatal = next((i for i in merged if self._is_fatal(i)), None)
            if fatal is None:
                raise ProtocolError(
                    f"{wire.commands.get(command, command)!r}: {len(merged)} response items "
                    f"for {expected} request items"
                )
            for index, _ in plan:
                out[index] = _decode.item_error(fatal)
            return
        pos = 0
        for index, n in plan:
            out[index] = ops[index].decode(merged[pos : pos + n], wire)
            pos += n

    def _fill_tagged(
        self, command: str, plan: list[tuple[int, int]], merged: list[Any], out: list[Any]
    ) -> None:
        groups: dict[int, list[Any]] = {index: [] for index, _ in plan}
        fatal: Any = None
        user_tags = self._user_tags
        for item in merged:
            tag = item.tag
            index = tag[0] if type(tag) is list and tag else tag
            if type(index) is not int or index not in groups:
                if self._is_fatal(item):
                    fatal = item
                    continue
                raise ProtocolError(
                    f"{self._wire.commands.get(command, command)!r}: response item with "
                    f"unknown tag {tag!r:.60}"
                )
            item.tag = user_tags.get(index, UNSET)
            groups[index].append(item)
        for index, _ in plan:
            items = groups[index]
            if not items and fatal is not None:
                out[index] = _decode.item_error(fatal)
            else:
                out[index] = self.ops[index].decode(items, self._wire)


@dataclass(frozen=True, slots=True)
class CallDone:
    """Every frame of ``call`` has been answered (or the call failed).

    Args:
        call: the call; ``call.results()`` gives its results or raises its error.
    """

    call: Call


@dataclass(frozen=True, slots=True)
class SubscriptionData:
    """New items were queued for ``subscription``: wake its consumer.

    Args:
        subscription: the subscription whose buffer has new events or gaps.
    """

    subscription: SubscriptionState


@dataclass(frozen=True, slots=True)
class BadFrame:
    """The peer sent something we cannot use.

    Args:
        error: what was wrong, as the error a caller would see.
        fatal: whether the connection must be closed (the frame broke the protocol
            beyond what can be skipped); otherwise it was dropped and counted.
    """

    error: ProtocolError
    fatal: bool


CoreEvent = CallDone | SubscriptionData | BadFrame
"""What ``ClientCore.receive`` reports: a call answered, events queued, or a bad frame."""


# ------------------------------------------------------------------- subscriptions


class SubscriptionState:
    """Registry entry and bounded event buffer of one subscription (sans-I/O part).

    Overflow policy: while the buffer holds ``maxlen`` items, newer events are
    dropped and counted; at the point of loss the consumer then meets a
    ``Gap("overflow", dropped=n)`` marker before any later event.  Nothing is
    ever dropped silently.  A reconnect queues ``Gap("reconnect")`` the same way.

    Made by ``ClientCore.add_subscription``.

    Args:
        path: the subscribed datapoint (or where its query starts).
        tag: the subscription's tag: the routing key of its events.
        event: the event filter (``event_spec``), or ``None`` for ``onChange``.
        query: the version's ``Query`` struct or a mapping, or ``None``.
        maxlen: how many items the buffer holds before events are dropped.

    Raises:
        ValueError: ``maxlen`` below 1.

    Attributes:
        key: ``tag`` as a dictionary key (``tag_key``).
        buffer: the queued events and gap markers.
        dropped: events dropped since the buffer was last full.
        active: whether events are still routed to it.
        final: raised to the consumer once the buffer is drained (the subscription
            ended), else ``None``.
        initial: the answer to the subscribe request (the current value), once known.
    """

    __slots__ = (
        "active",
        "buffer",
        "dropped",
        "event",
        "final",
        "initial",
        "key",
        "maxlen",
        "path",
        "query",
        "tag",
    )

    def __init__(
        self,
        path: str,
        tag: Any,
        event: str | None,
        query: Any,
        maxlen: int,
    ) -> None:
        if maxlen < 1:
            raise ValueError("subscription buffer size must be >= 1")
        self.path = path
        self.tag = tag
        self.key = tag_key(tag)
        self.event = event
        self.query = query
        self.maxlen = maxlen
        self.buffer: deque[Event | Gap] = deque()
        self.dropped = 0
        self.active = True
        #: raised to the consumer once the buffer is drained (the subscription ended)
        self.final: BaseException | None = None
        self.initial: Any = None

    def push(self, event: Event | Gap) -> None:
        """Queue an item; while the buffer is full it is dropped and counted instead.

        Args:
            event: the event (or gap marker) to queue.
        """
        buf = self.buffer
        if self.dropped:
            if len(buf) >= self.maxlen:
                self.dropped += 1
                return
            buf.append(Gap("overflow", self.dropped))
            self.dropped = 0
        if len(buf) >= self.maxlen:
            self.dropped = 1
            return
        buf.append(event)

    def push_gap(self, reason: Literal["reconnect", "overflow"]) -> None:
        """Queue a gap marker; it may exceed ``maxlen`` by one so it is never lost.

        Args:
            reason: ``reconnect`` (events may be missing across a reconnect) or
                ``overflow``.
        """
        if self.dropped:
            self.buffer.append(Gap("overflow", self.dropped))
            self.dropped = 0
        self.buffer.append(Gap(reason))

    def pop(self) -> Event | Gap | None:
        """Take the next queued item.

        Returns:
            The next event or gap marker (a ``Gap("overflow")`` where events were
            dropped), or ``None`` when nothing is queued.
        """
        if self.buffer:
            return self.buffer.popleft()
        if self.dropped:
            n, self.dropped = self.dropped, 0
            return Gap("overflow", n)
        return None

    def subscribe_op(self) -> Subscribe:
        """The request that makes (or, after a reconnect, renews) this subscription.

        Returns:
            A ``Subscribe`` operation with this subscription's path, tag and filters.
        """
        return Subscribe(self.path, self.tag, self.event, self.query)

    def unsubscribe_op(self) -> Unsubscribe:
        """The request that ends this subscription at the DMS.

        Returns:
            An ``Unsubscribe`` operation with this subscription's path and tag.
        """
        return Unsubscribe(self.path, self.tag)


# ------------------------------------------------------------------------- the core


class ClientCore:
    """State of one client connection to a DMS, independent of any I/O.

    ``protocol`` selects the generated types requests are built from and
    responses decoded into (``"1.3"``, ``"1.4"``, ``"1.5"``).  With
    ``validate_requests`` every request frame is checked with
    ``dmsproto.validate`` before it is registered, and a frame that breaks the
    schema raises ``EncodeError`` naming each violation (off by default: the
    generated types already keep requests well-formed, and the check costs a
    schema validation per request).

    Received frames are decoded into lenient twins of the generated types
    (same attributes, no pattern or enumeration checks: see ``_lenient``) so a
    server that drifts slightly stays usable and decoding stays cheap; with
    ``strict_decoding`` the generated types are used as they are, and an answer
    that breaks the schema fails its call with ``ProtocolError``.

    Args:
        whois: who writes: sent with every write request.
        user: the user, sent with every write request.
        chunk_size: request items per frame; a longer call is split.
        short_get: send a plain ``get`` as a bare path (the short form).
        protocol: the protocol version.
        validate_requests: check every request frame against the schema.
        strict_decoding: decode answers with the generated types as they are.

    Raises:
        ValueError: ``chunk_size`` below 1.
        UnknownVersionError: a protocol version dmsproto does not ship.

    Attributes:
        wire: the protocol version's generated types and names.
        whois: as given.
        user: as given.
        chunk_size: as given.
        short_get: as given.
        validate_requests: as given.
        strict_decoding: as given.
        stats: what became of every frame received (see ``ReceiveStats``).
    """

    def __init__(
        self,
        *,
        whois: str | None = "dmsproto",
        user: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        short_get: bool = True,
        protocol: str = DEFAULT_VERSION,
        validate_requests: bool = False,
        strict_decoding: bool = False,
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        self.wire = wire = wire_for(protocol)
        self.strict_decoding = strict_decoding
        if strict_decoding:
            self._decode_response = wire.strict_response.decode
            self._decode_event = wire.strict_event.decode
            self._event_item: Any = wire.event_item
        else:
            self._decode_response = wire.lenient_response.decode
            self._decode_event = wire.lenient_event.decode
            self._event_item = wire.lenient_event_item
        #: event frames straight into ``Event`` objects (lenient decoding only)
        self._event_decoder = None if strict_decoding else wire.event_decoder
        self.whois = whois
        self.user = user
        self.chunk_size = chunk_size
        self.short_get = short_get
        self.validate_requests = validate_requests
        self._next_id = 1
        self._next_sub = 1
        # root tag id -> (call, chunk index); insertion order = send order
        self._pending: dict[int, tuple[Call, int]] = {}
        self._subs: dict[Any, SubscriptionState] = {}
        self._command_sets: dict[str, frozenset[str]] = {}
        #: what became of every frame received (see ``ReceiveStats``)
        self.stats = ReceiveStats()

    @property
    def version(self) -> str:
        """The protocol version spoken (e.g. ``"1.4"``)."""
        return self.wire.name

    @property
    def unrouted_events(self) -> int:
        """Event items whose tag matched no live subscription (``stats.unrouted_events``)."""
        return self.stats.unrouted_events

    @property
    def invalid_events(self) -> int:
        """Event items that broke the schema, dropped (``stats.invalid_events``)."""
        return self.stats.invalid_events

    @property
    def dropped_responses(self) -> int:
        """Answers to no call in flight, dropped (``stats.dropped_responses``)."""
        return self.stats.dropped_responses

    # ---------------------------------------------------------------- requests

    def start_call(self, ops: Sequence[Op], *, root_tag: Any = None) -> Call:
        """Register a call and build its frames (``call.frames``) in send order.

        Args:
            ops: the operations, sent in one request unless there are more than
                ``chunk_size`` items.
            root_tag: a caller's tag for the request (batch only), sent beside our
                correlation id and given back untouched.

        Returns:
            The registered call, its frames ready to send.

        Raises:
            EncodeError: no operations, something that is no ``Op``, or an argument that
                cannot be encoded (also a request that breaks the schema, with
                ``validate_requests``).
            NotInVersionError: a command or argument the protocol version lacks.
        """
        if not ops:
            raise EncodeError("a request needs at least one operation")
        for op in ops:
            if not isinstance(op, Op):
                raise EncodeError(f"an operation is one of dmsproto.protocol's Get, Set, "
                                  f"Query, ... (an Op), got {op!r:.60}")
        wire = self.wire
        first_items: list[Any] | None = None
        if len(ops) == 1:
            op = ops[0]
            wire.require_command(op.command, op.what)
            first_items = op.items(wire)
            if len(first_items) <= self.chunk_size:
                return self._single_call(ops, first_items, root_tag)
        call = Call(ops, wire)
        per_command: dict[str, list[Any]] = {}
        writes = False
        sets = False
        groups_seen = False
        tagged: set[str] = set()
        op_items: list[list[Any]] = []
        for index, op in enumerate(ops):
            command = op.command
            wire.require_command(command, op.what)
            items = op.items(wire) if first_items is None else first_items
            op_items.append(items)
            if isinstance(op, ChangelogGroups):
                if groups_seen:
                    raise EncodeError("only one changelog_groups per request")
                groups_seen = True
            call._plan.setdefault(command, []).append((index, len(items)))
            per_command.setdefault(command, []).extend(items)
            if op.expands and items:
                tagged.add(command)
            if op.writes:
                writes = True
                sets = sets or isinstance(op, Set)
        # per-item tags separate a query's answers from other items of the same command
        call._tagged = {c for c in tagged if len(call._plan[c]) > 1}
        for command in call._tagged:
            per_command[command] = self._tag_items(call, command, op_items)
        self._short_form(per_command)

        root: dict[str, Any] = {}
        if writes:
            if self.whois is not None:
                root["whois"] = self.whois
            if sets:
                root["user"] = self.user if self.user is not None else ""
        frames: list[bytes] = []
        make = wire.request.RequestFrame
        first = self._next_id
        for n, chunk in enumerate(self._chunks(per_command)):
            ident = first + n
            tag = ident if root_tag is None else [ident, root_tag]
            frame = encode(make(tag=tag, **root, **chunk))
            if self.validate_requests:
                self._check(frame)
            frames.append(frame)
            call.commands.append(frozenset(chunk))
        self._next_id = first + len(frames)
        for n, frame in enumerate(frames):
            call.frames.append(frame)
            call.ids.append(first + n)
            self._pending[first + n] = (call, n)
            call.responses.append(None)
        call.remaining = len(call.ids)
        return call

    def _single_call(self, ops: Sequence[Op], items: list[Any], root_tag: Any) -> Call:
        """``start_call`` for one op in one frame (the hot path): same frame, less work.

        One op is never item-tagged (tags only separate the answers of several
        ops of one command), so the frame is the op's items under its command.
        """
        op = ops[0]
        command = op.command
        wire = self.wire
        call = Call(ops, wire)
        call._plan[command] = [(0, len(items))]
        chunk = {command: items}
        if command == Get.command:
            self._short_form(chunk)
        ident = self._next_id
        tag = ident if root_tag is None else [ident, root_tag]
        make = wire.request.RequestFrame
        if op.writes:
            root: dict[str, Any] = {}
            if self.whois is not None:
                root["whois"] = self.whois
            if isinstance(op, Set):
                root["user"] = self.user if self.user is not None else ""
            frame = encode(make(tag=tag, **root, **chunk))
        else:
            frame = encode(make(tag=tag, **chunk))
        if self.validate_requests:
            self._check(frame)
        self._next_id = ident + 1
        call.frames.append(frame)
        call.ids.append(ident)
        commands = self._command_sets.get(command)
        if commands is None:
            commands = self._command_sets[command] = frozenset(chunk)
        call.commands.append(commands)
        call.responses.append(None)
        call.remaining = 1
        self._pending[ident] = (call, 0)
        return call

    def _tag_items(self, call: Call, command: str, op_items: list[list[Any]]) -> list[Any]:
        """The command's items with per-item tags ``index`` or ``[index, user tag]``."""
        make = self.wire.request.GetItem
        replace = msgspec.structs.replace
        tagged: list[Any] = []
        for index, _ in call._plan[command]:
            for item in op_items[index]:
                if type(item) is str:
                    tagged.append(make(path=item, tag=index))
                    continue
                user_tag = item.tag
                if user_tag is not UNSET:
                    if call._user_tags is _NO_USER_TAGS:
                        call._user_tags = {}
                    call._user_tags[index] = user_tag
                    tagged.append(replace(item, tag=[index, user_tag]))
                else:
                    tagged.append(replace(item, tag=index))
        return tagged

    def _short_form(self, per_command: dict[str, list[Any]]) -> None:
        """Keep the short get form (bare paths) only when every get item is one."""
        items = per_command.get(Get.command)
        if items is None or (self.short_get and all(type(i) is str for i in items)):
            return
        make = self.wire.request.GetItem
        per_command[Get.command] = [make(path=i) if type(i) is str else i for i in items]

    def _check(self, frame: bytes) -> None:
        from ..validation import validate  # the schema validators load on first use

        problems = [v for v in validate(frame, direction="send", protocol=self.wire.name)
                    if v.severity == "error"]  # warnings: what real DMSs accept
        if problems:
            listed = "; ".join(str(v) for v in problems[:5])
            more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
            raise EncodeError(f"request breaks protocol {self.wire.name}: {listed}{more}")

    def _chunks(self, per_command: dict[str, list[Any]]) -> Iterable[dict[str, list[Any]]]:
        total = sum(len(v) for v in per_command.values())
        size = self.chunk_size
        if total <= size:
            yield per_command
            return
        chunk: dict[str, list[Any]] = {}
        room = size
        for command, items in per_command.items():
            if not items:
                chunk[command] = []
                continue
            pos = 0
            while pos < len(items):
                take = items[pos : pos + room]
                chunk.setdefault(command, []).extend(take)
                pos += len(take)
                room -= len(take)
                if room == 0:
                    yield chunk
                    chunk = {}
                    room = size
        if chunk:
            yield chunk

    def abandon(self, call: Call) -> None:
        """Forget a call (cancelled or timed out): its late responses are dropped.

        Args:
            call: the call to forget.
        """
        for ident in call.ids:
            self._pending.pop(ident, None)

    @property
    def pending_calls(self) -> int:
        """How many calls wait for an answer."""
        return len({id(c) for c, _ in self._pending.values()})

    def connection_lost(self, error: BaseException | None = None) -> list[Call]:
        """Fail every pending call, as ``failure`` says, and forget it.

        Args:
            error: why the connection ended (default ``ConnectionLost``).

        Returns:
            The failed calls, for the transport to wake their callers.
        """
        exc = error if error is not None else ConnectionLost("connection to the DMS lost")
        calls: dict[int, Call] = {}
        for call, _ in self._pending.values():
            if call.error is None:
                call.error = self.failure(call, exc)
            calls[id(call)] = call
        self._pending.clear()
        return list(calls.values())

    def failure(self, call: Call, error: BaseException) -> BaseException:
        """What ``call`` raises when its connection ended with ``error``, by what was sent.

        * nothing of it went out (``call.sent == 0``): ``NotSent``, nothing was done;
        * a frame holding a write (set, rename, delete) went out and was not
          answered: ``OutcomeUnknown``, saying which operations were answered,
          sent without answer, and not sent;
        * otherwise (reads): ``error`` itself.

        A ``ConnectError`` (the DMS refused the connection) is returned as it is:
        a refused connection did nothing.  Never sends anything again.

        Args:
            call: a call of this core that was in flight.
            error: why the connection ended (``ConnectionLost``, ``ProtocolError``, ...).

        Returns:
            The exception the caller of ``call`` gets.
        """
        if isinstance(error, ConnectError | NotSent | OutcomeUnknown):
            return error
        if call.sent == 0:
            unsent = NotSent(f"{error}; the request was not sent (nothing was done)")
            unsent.ops = tuple(call.ops)
            unsent.__cause__ = error
            return unsent
        chunks = len(call.frames)
        answered = tuple(k for k, r in enumerate(call.responses) if r is not None)
        states: list[str] = []  # per op: "answered", "unknown" or "not sent"
        for op_chunks in self._op_chunks(call):
            if all(call.responses[k] is not None for k in op_chunks):
                states.append("answered")
            elif any(k < call.sent for k in op_chunks):
                states.append("unknown")
            else:
                states.append("not sent")
        ops = tuple(call.ops)
        unknown = tuple(op for op, st in zip(ops, states, strict=True) if st == "unknown")
        if not any(op.writes for op in unknown):
            return error
        lost = OutcomeUnknown(f"{error}; {_unknown_text(ops, unknown, answered, chunks)}")
        lost.ops = ops
        lost.unknown = unknown
        lost.answered = tuple(op for op, st in zip(ops, states, strict=True) if st == "answered")
        lost.not_sent = tuple(op for op, st in zip(ops, states, strict=True) if st == "not sent")
        lost.chunks = chunks
        lost.answered_chunks = answered
        lost.__cause__ = error
        return lost

    def _op_chunks(self, call: Call) -> list[list[int]]:
        """The frames (chunk indexes) each op's items went into, per op in order.

        ``_chunks`` fills frames of ``chunk_size`` items with the items of each
        command in turn, so an item's frame follows from its position.
        """
        last = len(call.frames) - 1
        size = self.chunk_size
        spans: list[list[int]] = [[] for _ in call.ops]
        position = 0
        for plan in call._plan.values():
            for index, n in plan:
                first = min(position // size, last)
                spans[index] = list(range(first, min((position + max(n, 1) - 1) // size,
                                                      last) + 1))
                position += n
        return spans

    # ----------------------------------------------------------- subscriptions

    def add_subscription(
        self,
        path: str,
        *,
        event: str | None = None,
        query: Any = None,
        tag: Any = None,
        maxlen: int = 100_000,
    ) -> SubscriptionState:
        """Register a subscription before its request is sent (events may come first).

        ``query`` is the version's ``Query`` struct (``query_object``) or a
        mapping.

        Args:
            path: the datapoint (or where the query starts).
            event: the event filter (``event_spec``); ``None`` is ``onChange``.
            query: the version's ``Query`` struct or a mapping, or ``None``.
            tag: the routing key of its events, unique on the connection; ``None``
                generates one.
            maxlen: how many items its buffer holds before events are dropped.

        Returns:
            The registered subscription; send its ``subscribe_op()``.

        Raises:
            EncodeError: ``path`` is not text.
            ValueError: ``tag`` is already in use on this connection, or ``maxlen``
                is below 1.
        """
        if not isinstance(path, str):
            raise EncodeError(f"path must be a string, got {path!r}")
        if tag is None:
            tag = f"dmsproto.sub.{self._next_sub}"
            self._next_sub += 1
        sub = SubscriptionState(path, tag, event, query, maxlen)
        if sub.key in self._subs:
            raise ValueError(f"subscription tag {tag!r} already in use on this connection")
        self._subs[sub.key] = sub
        return sub

    def remove_subscription(self, sub: SubscriptionState) -> None:
        """Stop routing events to ``sub`` (events still queued stay readable).

        Args:
            sub: the subscription.
        """
        sub.active = False
        if self._subs.get(sub.key) is sub:
            del self._subs[sub.key]

    @property
    def subscriptions(self) -> list[SubscriptionState]:
        """The subscriptions events are routed to (renewed after a reconnect)."""
        return list(self._subs.values())

    # ----------------------------------------------------------------- receive

    def receive(self, data: str | bytes | bytearray | memoryview) -> list[CoreEvent]:
        """Process one received frame (a whole WebSocket message or HTTP body).

        The frame is decoded straight into the version's generated
        ``EventFrame`` or ``ResponseFrame``.  Never raises: a frame that does
        not decode is sorted by what can be read of it (see the module
        docstring) and counted in ``stats``.

        Args:
            data: the frame's text or bytes.

        Returns:
            What happened: calls answered (``CallDone``), events queued
            (``SubscriptionData``), frames that could not be used (``BadFrame``).
        """
        if not isinstance(data, str | bytes):
            data = bytes(data)
        out: list[CoreEvent] = []
        try:
            if _is_event_frame(self.wire, data):
                direct = self._event_decoder
                try:
                    if direct is not None:
                        events, make = direct.decode(data).event, None
                    else:
                        events, make = self._decode_event(data).event, _decode.event
                except Exception as exc:
                    return self._undecodable(data, exc)
                self.stats.event_frames += 1
                self._route(events, out, make)
                return out
            try:
                frame = self._decode_response(data)
            except Exception as exc:
                return self._undecodable(data, exc)
            self._response(frame, data, out)
            return out
        except Exception as exc:  # a bug of ours: the stream can no longer be trusted
            log.error("reading a frame failed: %s", _triage.shorten(data), exc_info=exc)
            self.stats.fatal_frames += 1
            return [BadFrame(ProtocolError(
                f"a frame could not be processed ({type(exc).__name__}: {exc})"), True)]

    def _route(self, events: list[Any], out: list[CoreEvent], make: Any) -> None:
        """Queue each event for its subscription.

        ``make`` turns a generated ``EventItem`` into an ``Event`` (``None``: the
        items are ``Event`` objects already).
        """
        subs = self._subs
        touched: dict[SubscriptionState, None] = {}  # first-touch order, no list scan
        stats = self.stats
        unrouted = stats.unrouted_events
        for item in events:
            tag = item.tag
            if type(tag) is str:
                sub = subs.get(tag)
            else:
                sub = None if tag is UNSET else subs.get(tag_key(tag))
            if sub is None:
                stats.unrouted_events += 1
                log.debug("event for no subscription (tag %.60r) dropped", tag)
                continue
            event = item if make is None else make(item)
            buffer = sub.buffer
            if sub.dropped or len(buffer) >= sub.maxlen:
                sub.push(event)  # the overflow accounting
            else:
                buffer.append(event)
            touched[sub] = None
        stats.events += len(events) - (stats.unrouted_events - unrouted)
        for sub in touched:
            out.append(SubscriptionData(sub))

    def _response(self, frame: Any, data: str | bytes, out: list[CoreEvent]) -> None:
        tag = frame.tag
        ident = tag[0] if type(tag) is list and tag else tag
        entry = self._pending.pop(ident, None) if type(ident) is int else None
        if entry is None:
            keys = {c for c in self.wire.response_commands if getattr(frame, c) is not UNSET}
            if not keys:
                out.extend(self._no_member(data))
                return
            if tag is UNSET:
                entry = self._match_untagged(keys)
            if entry is None:
                self.stats.dropped_responses += 1
                log.debug("response with unknown root tag %.60r dropped", tag)
                return
        self.stats.answers += 1
        call, index = entry
        if call.responses[index] is None:
            call.responses[index] = frame
            call.remaining -= 1
        if call.remaining == 0 and call.error is None:
            out.append(CallDone(call))

    def _match_untagged(self, keys: set[str]) -> tuple[Call, int] | None:
        """A response without root tag (server-side fatal error): oldest call with these keys."""
        for ident, (call, index) in self._pending.items():
            if keys <= call.commands[index]:
                del self._pending[ident]
                return call, index
        return None

    # ------------------------------------------------- frames that did not decode

    def _undecodable(self, data: str | bytes, exc: Exception) -> list[CoreEvent]:
        """A frame that did not decode: fail its call, drop it, or close (module docstring)."""
        typed = _triage.problem_of(exc, data)
        if typed is None:
            raise exc  # not a decoding problem: receive() treats it as a bug of ours
        value, not_json = _triage.read(data)
        if type(value) is dict and self.wire.event_key in value:
            return self._salvage_events(value[self.wire.event_key], data)
        return self._sort(data, value, not_json, typed)

    def _sort(
        self, data: str | bytes, value: Any, not_json: NotJSON | None, typed: DecodeError
    ) -> list[CoreEvent]:
        """Fail the call the frame names, drop the frame, or call it fatal."""
        wire = self.wire
        tag = _triage.root_tag(data, wire, value)
        ident = _triage.call_id(tag)
        entry = self._pending.get(ident) if ident is not None else None
        if entry is None and tag is _triage.NO_TAG and type(value) is dict:
            entry = self._match_untagged(self._commands_in(value))
        if entry is not None:
            call = entry[0]
            self.abandon(call)
            if not_json is None:
                call.error = ProtocolError(f"the answer breaks protocol {wire.name}: {typed}")
            else:
                where = f" ({typed.pointer})" if typed.pointer else ""
                call.error = ProtocolError(f"the answer is {not_json.reason}{where}")
            self.stats.answers += 1
            self.stats.failed_calls += 1
            log.debug("call failed by its answer: %s: %s", call.error, _triage.shorten(data))
            return [CallDone(call)]
        if type(value) is dict:
            return [self._drop(f"frame breaks protocol {wire.name}: {typed}", data)]
        self.stats.fatal_frames += 1
        log.debug("unreadable frame: %s", _triage.shorten(data))
        what = "not a JSON object" if not_json is None else not_json.reason
        return [BadFrame(ProtocolError(f"frame is {what}"), True)]

    def _no_member(self, data: str | bytes) -> list[CoreEvent]:
        """A frame that decoded with no known member, for no call: events, or nothing of use."""
        value, not_json = _triage.read(data)
        if not_json is not None:  # not JSON in a member the typed decoder skipped
            return self._sort(data, value, not_json, not_json)
        if type(value) is dict and self.wire.event_key in value:
            return self._salvage_events(value[self.wire.event_key], data)
        return [self._drop("frame has no known member", data)]

    def _commands_in(self, members: dict[str, Any]) -> set[str]:
        """The response commands among a frame's top-level members (attribute names)."""
        names = self.wire.commands
        return {c for c in self.wire.response_commands if names.get(c, c) in members}

    def _salvage_events(self, items: Any, data: str | bytes) -> list[CoreEvent]:
        """An event frame that did not decode as a whole: its good items go through."""
        if type(items) is not list:
            return [self._drop("event frame without a list of events", data)]
        self.stats.event_frames += 1
        out: list[CoreEvent] = []
        valid: list[Any] = []
        for n, item in enumerate(items):
            try:
                valid.append(msgspec.convert(item, self._event_item))
            except msgspec.ValidationError as bad:
                self.stats.invalid_events += 1
                error = ProtocolError(
                    f"event {n} dropped, it breaks the schema: {decode_error(bad)}")
                self._log_drop(error, data, self.stats.invalid_events)
                out.append(BadFrame(error, False))
        self._route(valid, out, _decode.event)
        return out

    def _drop(self, why: str, data: str | bytes) -> BadFrame:
        """Count, log (the first ten, then every power of ten) and drop a frame."""
        self.stats.dropped_frames += 1
        error = ProtocolError(why)
        self._log_drop(error, data, self.stats.dropped_frames)
        return BadFrame(error, False)

    @staticmethod
    def _log_drop(error: ProtocolError, data: str | bytes, count: int) -> None:
        if _triage.noteworthy(count):
            log.warning("%s (%d so far), dropped: %s", error, count, _triage.shorten(data))


def _unknown_text(ops: tuple[Op, ...], unknown: tuple[Op, ...], answered: tuple[int, ...],
                  chunks: int) -> str:
    """The part of an ``OutcomeUnknown`` message that says what may have been done."""
    if len(ops) == 1:
        op = ops[0]
        path = getattr(op, "path", None)
        what = f"{op.what} of {path!r}" if isinstance(path, str) else op.what
        return f"the {what} was sent and not answered: it may or may not have been done"
    text = (f"{len(unknown)} of {len(ops)} operations were sent and not answered: they may "
            "or may not have been done")
    if chunks > 1:
        text += f" (frames answered: {len(answered)} of {chunks})"
    return text


__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ReceiveStats",
    "Call",
    "CallDone",
    "ClientCore",
    "OverflowPolicy",
    "CoreEvent",
    "BadFrame",
    "SubscriptionData",
    "SubscriptionState",
]
