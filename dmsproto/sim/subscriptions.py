"""Sessions, their subscriptions, and routing events to them.

Subscriptions are indexed by path: one without a query fires for exactly its
datapoint; one with a query fires for its datapoint itself and for the
datapoints its query selects below its path (see :mod:`.query`), each only
when the query's filters (regexes, ``isType``, ``has...``) hold for it. Routing
an event looks at the event's own path and at each of its ancestors, so the
cost per event grows with the path's depth, not with the number of
subscriptions elsewhere in the tree.

The subscribed datapoint itself: both field clients subscribe single datapoints
with a query (``{"path": "System:Time", "query": {"maxDepth": 0}}``) and rely on
its events; a ``get`` query, by contrast, answers only what lies below its path
(the document's "get first child paths" example).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..tags import tag_key
from .messages import UNKNOWN_EVENT
from .query import Query
from .tree import SEP, Node
from .wire import EVENT_CODES

_session_ids = itertools.count(1)
_sub_seq = itertools.count(1)


@dataclass(eq=False)
class Session:
    """One client connection (a WebSocket, or one HTTP request).

    Args:
        peer: the client's address.
        user: who it authenticated as, if anyone.
        websocket: whether it is a WebSocket (only those get events).
        id: a number unique in the process, for logs and recordings.
        subscriptions: its live subscriptions by path and tag.
    """

    peer: str = "127.0.0.1"
    user: str | None = None
    websocket: bool = True
    id: int = field(default_factory=lambda: next(_session_ids))
    subscriptions: dict[tuple[str, Hashable], Subscription] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Session(id={self.id}, peer={self.peer!r}, user={self.user!r})"


@dataclass(eq=False)
class Subscription:
    """One subscribe request item, live until unsubscribed or the session ends."""

    session: Session
    path: str
    tag: Any
    events: frozenset[str]
    query: Query | None
    query_raw: Any = None
    seq: int = field(default_factory=lambda: next(_sub_seq))

    @property
    def key(self) -> tuple[str, Hashable]:
        """Path and tag: what names the subscription within its session."""
        return (self.path, tag_key(self.tag))


def parse_events(raw: str, codes: tuple[str, ...] = EVENT_CODES) -> frozenset[str]:
    """``"onChange, onSet"`` or ``"*"`` to a set of event codes (ValueError if unknown)."""
    names = [n.strip() for n in raw.split(",") if n.strip()]
    if not names:
        raise ValueError("event must name at least one event")
    if "*" in names:
        return frozenset(codes)
    for name in names:
        if name not in codes:
            raise ValueError(UNKNOWN_EVENT.format(name))
    return frozenset(names)


class SubscriptionIndex:
    """All subscriptions of all sessions, by path."""

    def __init__(self) -> None:
        self._exact: dict[str, list[Subscription]] = {}
        self._scoped: dict[str, list[Subscription]] = {}

    def __len__(self) -> int:
        return sum(map(len, self._exact.values())) + sum(map(len, self._scoped.values()))

    def add(self, sub: Subscription) -> None:
        """Register ``sub``, replacing the session's one with the same path and tag."""
        old = sub.session.subscriptions.get(sub.key)
        if old is not None:
            self._unlink(old)
        sub.session.subscriptions[sub.key] = sub
        table = self._exact if sub.query is None else self._scoped
        table.setdefault(sub.path, []).append(sub)

    def remove(self, session: Session, path: str, tag: Any) -> Subscription | None:
        """Forget the session's subscription to ``path`` with ``tag`` (``None``: none)."""
        sub = session.subscriptions.pop((path, tag_key(tag)), None)
        if sub is not None:
            self._unlink(sub)
        return sub

    def drop_session(self, session: Session) -> None:
        """Forget every subscription of ``session``."""
        for sub in session.subscriptions.values():
            self._unlink(sub)
        session.subscriptions.clear()

    def _unlink(self, sub: Subscription) -> None:
        table = self._exact if sub.query is None else self._scoped
        subs = table.get(sub.path, [])
        if sub in subs:
            subs.remove(sub)
        if not subs:
            table.pop(sub.path, None)

    def targets(
        self, code: str, path: str, node: Node, stamp_text: Callable[[datetime | None], str]
    ) -> list[Subscription]:
        """Subscriptions that receive event ``code`` of ``node`` (now at ``path``), oldest first."""
        found = [s for s in self._exact.get(path, ()) if code in s.events]
        if self._scoped:
            levels = path.split(SEP) if path else []
            for depth in range(len(levels) + 1):
                ancestor = SEP.join(levels[:depth])
                for sub in self._scoped.get(ancestor, ()):
                    query = sub.query
                    if (
                        code in sub.events
                        and query is not None
                        and query.in_scope(len(levels) - depth)
                        and query.matches(node, stamp_text)
                    ):
                        found.append(sub)
        found.sort(key=lambda s: s.seq)
        return found


class EventSink:
    """Collects the event items one request (or tick) causes, one frame per session."""

    def __init__(self) -> None:
        self.items: dict[Session, list[Any]] = {}

    def add(self, session: Session, item: Any) -> None:
        """Queue one generated ``EventItem`` for ``session``."""
        self.items.setdefault(session, []).append(item)
