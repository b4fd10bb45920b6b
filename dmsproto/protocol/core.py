"""The sans-I/O client core: calls in, frames out; frames in, completions and events out.

``ClientProtocol`` knows nothing of sockets, trio or HTTP (like h11/wsproto):

* ``start_call(ops)`` assigns root tags, splits requests above ``chunk_size``
  items into several frames and returns a ``Call`` whose ``frames`` the
  transport sends;
* ``receive(frame)`` takes one received text/bytes frame and returns what
  happened: ``CallDone`` (every frame of a call answered), ``SubscriptionData``
  (events were queued for a subscription) or ``ProtocolViolation``;
* ``Call.results()`` turns the collected response items into one typed value
  (or ``ItemError``) per operation, in the order of the operations.

Correlation is by the root ``tag`` (an integer per frame, echoed by the server),
so responses may interleave with events and with other calls' responses.  Query
items inside a multi-item ``get`` are separated by per-item tags.  Events are
routed by the subscription's tag into a bounded buffer per subscription.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from ..errors import ConnectionLost, DMSProtoError, EncodeError, ProtocolError
from ..results import Event, Gap, ItemError
from . import _decode
from .ops import ChangelogGroups, Op, Subscribe, Unsubscribe

log = logging.getLogger("dmsproto.protocol")

DEFAULT_CHUNK_SIZE = 10_000
RESPONSE_KEYS = frozenset(
    {
        "get",
        "set",
        "rename",
        "delete",
        "subscribe",
        "unsubscribe",
        "changelogGetGroups",
        "changelogRead",
    }
)

OverflowPolicy = Literal["raise", "yield"]


def tag_key(tag: Any) -> Any:
    """A hashable key for a JSON tag (``1``, ``1.0`` and ``true`` stay distinct)."""
    if type(tag) is str:
        return tag
    return orjson.dumps(tag, option=orjson.OPT_SORT_KEYS)


# --------------------------------------------------------------------------- calls


def _is_fatal(item: Any) -> bool:
    """A command-level error item: not ok and without ``path``."""
    return type(item) is dict and "path" not in item and item.get("code") != "ok"


class Call:
    """One logical request: its operations, frames, and the responses collected so far.

    ``waiter`` is free for the I/O layer (e.g. a ``trio.Event``).  ``error`` is set
    when the call failed as a whole (connection lost, protocol violation).
    """

    __slots__ = (
        "_plan",
        "_tagged",
        "_user_tags",
        "error",
        "frames",
        "ids",
        "ops",
        "remaining",
        "responses",
        "waiter",
    )

    def __init__(self, ops: Sequence[Op]) -> None:
        self.ops = ops
        self.frames: list[bytes] = []
        self.ids: list[int] = []
        self.responses: list[dict[str, Any] | None] = []
        self.remaining = 0
        self.error: BaseException | None = None
        self.waiter: Any = None
        # command -> list of (op index, number of request items)
        self._plan: dict[str, list[tuple[int, int]]] = {}
        self._tagged: set[str] = set()
        self._user_tags: dict[int, Any] = {}

    @property
    def done(self) -> bool:
        return self.error is not None or self.remaining == 0

    def results(self) -> list[Any]:
        """One decoded value per operation (typed result or ``ItemError``).

        Raises the call's ``error`` (``ConnectionLost``, ``ProtocolError``) if it failed.
        """
        if self.error is not None:
            raise self.error
        if self.remaining:
            raise DMSProtoError("call not complete")
        out: list[Any] = [None] * len(self.ops)
        for command, plan in self._plan.items():
            merged: list[Any] = []
            for frame in self.responses:
                assert frame is not None
                part = frame.get(command)
                if part is None:
                    continue
                if type(part) is not list:
                    raise ProtocolError(f"response member {command!r} is not an array")
                merged.extend(part)
            if command in self._tagged:
                self._fill_tagged(command, plan, merged, out)
            else:
                self._fill_positional(command, plan, merged, out)
        return out

    def _fill_positional(
        self, command: str, plan: list[tuple[int, int]], merged: list[Any], out: list[Any]
    ) -> None:
        expected = sum(n for _, n in plan)
        ops = self.ops
        if len(plan) == 1 and ops[plan[0][0]].expands:
            out[plan[0][0]] = ops[plan[0][0]].decode(merged)
            return
        if len(merged) != expected:
            fatal = next((i for i in merged if _is_fatal(i)), None)
            if fatal is None:
                raise ProtocolError(
                    f"{command!r}: {len(merged)} response items for {expected} request items"
                )
            for index, _ in plan:
                out[index] = ItemError.from_wire(fatal)
            return
        pos = 0
        for index, n in plan:
            out[index] = ops[index].decode(merged[pos : pos + n])
            pos += n

    def _fill_tagged(
        self, command: str, plan: list[tuple[int, int]], merged: list[Any], out: list[Any]
    ) -> None:
        groups: dict[int, list[Any]] = {index: [] for index, _ in plan}
        fatal: Any = None
        user_tags = self._user_tags
        for item in merged:
            if type(item) is not dict:
                raise ProtocolError(f"{command!r}: response item is not an object")
            tag = item.get("tag")
            index = tag[0] if type(tag) is list and tag else tag
            if type(index) is not int or index not in groups:
                if _is_fatal(item):
                    fatal = item
                    continue
                raise ProtocolError(f"{command!r}: response item with unknown tag {tag!r:.60}")
            if index in user_tags:
                item["tag"] = user_tags[index]
            else:
                item.pop("tag", None)
            groups[index].append(item)
        for index, _ in plan:
            items = groups[index]
            if not items and fatal is not None:
                out[index] = ItemError.from_wire(fatal)
            else:
                out[index] = self.ops[index].decode(items)


@dataclass(frozen=True, slots=True)
class CallDone:
    """Every frame of ``call`` has been answered (or the call failed)."""

    call: Call


@dataclass(frozen=True, slots=True)
class SubscriptionData:
    """New items were queued for ``subscription``: wake its consumer."""

    subscription: SubscriptionState


@dataclass(frozen=True, slots=True)
class ProtocolViolation:
    """The peer sent something we cannot use; ``fatal`` means close the connection."""

    error: ProtocolError
    fatal: bool


ProtocolEvent = CallDone | SubscriptionData | ProtocolViolation


# ------------------------------------------------------------------- subscriptions


class SubscriptionState:
    """Registry entry and bounded event buffer of one subscription (sans-I/O part).

    Overflow policy: while the buffer holds ``maxlen`` items, newer events are
    dropped and counted; at the point of loss the consumer then meets a
    ``Gap("overflow", dropped=n)`` marker before any later event.  Nothing is
    ever dropped silently.  A reconnect queues ``Gap("reconnect")`` the same way.
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
        "waker",
    )

    def __init__(
        self,
        path: str,
        tag: Any,
        event: str | None,
        query: dict[str, Any] | None,
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
        self.waker: Any = None
        self.initial: Any = None

    def push(self, event: Event | Gap) -> None:
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
        """Queue a gap marker; it may exceed ``maxlen`` by one so it is never lost."""
        if self.dropped:
            self.buffer.append(Gap("overflow", self.dropped))
            self.dropped = 0
        self.buffer.append(Gap(reason))

    def pop(self) -> Event | Gap | None:
        """The next item, or ``None`` when nothing is queued."""
        if self.buffer:
            return self.buffer.popleft()
        if self.dropped:
            n, self.dropped = self.dropped, 0
            return Gap("overflow", n)
        return None

    def subscribe_op(self) -> Subscribe:
        return Subscribe(self.path, self.tag, self.event, self.query)

    def unsubscribe_op(self) -> Unsubscribe:
        return Unsubscribe(self.path, self.tag)


# ------------------------------------------------------------------------- the core


class ClientProtocol:
    """State of one client connection to a DMS, independent of any I/O."""

    def __init__(
        self,
        *,
        whois: str | None = "dmsproto",
        user: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        short_get: bool = True,
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        self.whois = whois
        self.user = user
        self.chunk_size = chunk_size
        self.short_get = short_get
        self._next_id = 1
        self._next_sub = 1
        # root tag id -> (call, chunk index); insertion order = send order
        self._pending: dict[int, tuple[Call, int]] = {}
        self._subs: dict[Any, SubscriptionState] = {}
        #: events whose tag matched no live subscription (counted, logged at debug)
        self.unrouted_events = 0
        #: responses with an unknown root tag (e.g. late answers to cancelled calls)
        self.dropped_responses = 0

    # ---------------------------------------------------------------- requests

    def start_call(self, ops: Sequence[Op], *, root_tag: Any = None) -> Call:
        """Register a call and build its frames (``call.frames``) in send order.

        ``root_tag`` (batch only) is sent beside our correlation id and given
        back untouched.  Raises ``EncodeError`` for unencodable arguments.
        """
        if not ops:
            raise EncodeError("a request needs at least one operation")
        call = Call(ops)
        per_command: dict[str, list[Any]] = {}
        writes = False
        sets = False
        groups_seen = False
        op_items: list[list[Any]] = []
        for index, op in enumerate(ops):
            command = op.command
            items = op.items()
            op_items.append(items)
            if isinstance(op, ChangelogGroups):
                if groups_seen:
                    raise EncodeError("only one changelogGetGroups per request")
                groups_seen = True
            call._plan.setdefault(command, []).append((index, len(items)))
            per_command.setdefault(command, []).extend(items)
            if op.expands and items:
                call._tagged.add(command)
            if op.writes:
                writes = True
                if command == "set":
                    sets = True
        # per-item tags separate a query's answers from other items of the same command
        call._tagged = {c for c in call._tagged if len(call._plan[c]) > 1}
        for command in call._tagged:
            tagged: list[Any] = []
            for index, _ in call._plan[command]:
                for item in op_items[index]:
                    obj = {"path": item} if type(item) is str else dict(item)
                    user_tag = obj.get("tag")
                    if user_tag is not None:
                        call._user_tags[index] = user_tag
                        obj["tag"] = [index, user_tag]
                    else:
                        obj["tag"] = index
                    tagged.append(obj)
            per_command[command] = tagged
        # the short get form only when every get item is a bare path
        get_items = per_command.get("get")
        short = self.short_get
        if get_items is not None and not (short and all(type(i) is str for i in get_items)):
            per_command["get"] = [{"path": i} if type(i) is str else i for i in get_items]

        root: dict[str, Any] = {}
        if writes:
            if self.whois is not None:
                root["whois"] = self.whois
            if sets:
                root["user"] = self.user if self.user is not None else ""
        for chunk in self._chunks(per_command):
            ident = self._next_id
            self._next_id += 1
            frame = dict(root)
            frame["tag"] = ident if root_tag is None else [ident, root_tag]
            frame.update(chunk)
            call.frames.append(orjson.dumps(frame))
            call.ids.append(ident)
            self._pending[ident] = (call, len(call.responses))
            call.responses.append(None)
        call.remaining = len(call.ids)
        return call

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
        """Forget a call (cancelled or timed out): its late responses are dropped."""
        for ident in call.ids:
            self._pending.pop(ident, None)

    @property
    def pending_calls(self) -> int:
        return len({id(c) for c, _ in self._pending.values()})

    def connection_lost(self, error: BaseException | None = None) -> list[Call]:
        """Fail every pending call with ``error`` (default ``ConnectionLost``); return them."""
        exc = error if error is not None else ConnectionLost("connection to the DMS lost")
        calls: dict[int, Call] = {}
        for call, _ in self._pending.values():
            if call.error is None:
                call.error = exc
            calls[id(call)] = call
        self._pending.clear()
        return list(calls.values())

    # ----------------------------------------------------------- subscriptions

    def add_subscription(
        self,
        path: str,
        *,
        event: str | None = None,
        query: dict[str, Any] | None = None,
        tag: Any = None,
        maxlen: int = 100_000,
    ) -> SubscriptionState:
        """Register a subscription before its request is sent (events may come first).

        Without ``tag`` a unique one is generated.  A tag is the routing key of
        the events, so it must be unique on the connection (``ValueError``).
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
        """Stop routing events to ``sub`` (events still queued stay readable)."""
        sub.active = False
        if self._subs.get(sub.key) is sub:
            del self._subs[sub.key]

    @property
    def subscriptions(self) -> list[SubscriptionState]:
        return list(self._subs.values())

    # ----------------------------------------------------------------- receive

    def receive(self, data: str | bytes | bytearray | memoryview) -> list[ProtocolEvent]:
        """Process one received frame (a whole WebSocket message or HTTP body)."""
        try:
            frame = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            return [ProtocolViolation(ProtocolError(f"frame is not JSON: {exc}"), True)]
        if type(frame) is not dict:
            return [ProtocolViolation(ProtocolError("frame is not a JSON object"), True)]
        out: list[ProtocolEvent] = []
        events = frame.get("event")
        if events is not None:
            self._route(events, out)
            if len(frame) == 1:
                return out
        self._response(frame, out)
        return out

    def _route(self, events: Any, out: list[ProtocolEvent]) -> None:
        if type(events) is not list:
            out.append(ProtocolViolation(ProtocolError("'event' is not an array"), False))
            return
        subs = self._subs
        touched: list[SubscriptionState] = []
        make = _decode.event
        for item in events:
            if type(item) is not dict:
                out.append(ProtocolViolation(ProtocolError("event item is not an object"), False))
                continue
            tag = item.get("tag")
            sub = subs.get(tag if type(tag) is str else tag_key(tag))
            if sub is None:
                self.unrouted_events += 1
                log.debug("event for no subscription (tag %.60r) dropped", tag)
                continue
            sub.push(make(item))
            if sub not in touched:
                touched.append(sub)
        for sub in touched:
            out.append(SubscriptionData(sub))

    def _response(self, frame: dict[str, Any], out: list[ProtocolEvent]) -> None:
        tag = frame.get("tag")
        ident = tag[0] if type(tag) is list and tag else tag
        entry = self._pending.pop(ident, None) if type(ident) is int else None
        if entry is None:
            keys = RESPONSE_KEYS.intersection(frame)
            if not keys:
                out.append(
                    ProtocolViolation(ProtocolError("frame has no known response member"), False)
                )
                return
            if tag is None:
                entry = self._match_untagged(keys)
            if entry is None:
                self.dropped_responses += 1
                log.debug("response with unknown root tag %.60r dropped", tag)
                return
        call, index = entry
        if call.responses[index] is None:
            call.responses[index] = frame
            call.remaining -= 1
        if call.remaining == 0 and call.error is None:
            out.append(CallDone(call))

    def _match_untagged(self, keys: frozenset[str] | set[str]) -> tuple[Call, int] | None:
        """A response without root tag (server-side fatal error): oldest call with these keys."""
        for ident, (call, index) in self._pending.items():
            sent = orjson.loads(call.frames[index])
            if keys <= RESPONSE_KEYS.intersection(sent):
                del self._pending[ident]
                return call, index
        return None


__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "Call",
    "CallDone",
    "ClientProtocol",
    "OverflowPolicy",
    "ProtocolEvent",
    "ProtocolViolation",
    "SubscriptionData",
    "SubscriptionState",
    "tag_key",
]
