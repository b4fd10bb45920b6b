"""subscribe and unsubscribe (document 3.6; WebSocket sessions only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from ..tags import tag_key
from .items import Context, ItemRefused, tag_of, tagged
from .messages import (
    NO_READ,
    NO_SUBSCRIPTION,
    NOT_FOUND,
    WEBSOCKET_ONLY,
    too_many_subscriptions,
)
from .query import QueryError, parse_query
from .subscriptions import Subscription, parse_events
from .wire import NO_PERM, OK, ON_CHANGE, UNSET
from .wire import NOT_FOUND as NOT_FOUND_CODE

if TYPE_CHECKING:
    from .engine import Engine


def subscribe_item(engine: Engine, ctx: Context, item: Any) -> list[Any]:
    """One ``SubscribeItem`` -> one ``SubscribeResult`` with the datapoint's state."""
    if not ctx.session.websocket:
        raise ItemRefused(WEBSOCKET_ONLY)
    path: str = item.path
    try:
        query = parse_query(item.query, engine.protocol) if item.query is not UNSET else None
        events = parse_events(ON_CHANGE if item.event is UNSET else item.event,
                              engine.wire.event_codes)
    except (QueryError, ValueError) as exc:
        raise ItemRefused(str(exc)) from None
    node = engine.tree.get(path)
    if node is None:
        raise ItemRefused(NOT_FOUND, NOT_FOUND_CODE)
    if node.ext.perm == "none":
        raise ItemRefused(NO_READ, NO_PERM)
    tag = tag_of(item)
    held = ctx.session.subscriptions
    limit = engine.limits.subscriptions
    if len(held) >= limit and (path, tag_key(tag)) not in held:
        raise ItemRefused(too_many_subscriptions(limit))
    echo = msgspec.to_builtins(item.query) if query is not None else None
    engine.subscriptions.add(Subscription(ctx.session, path, tag, events, query, echo))
    extra: dict[str, Any] = {} if echo is None else {"query": echo}
    return [engine.wire.response.SubscribeResult(
        code=OK, path=path, value=node.value, type=node.type, stamp=engine.stamp(node.stamp),
        **extra, **tagged(tag))]


def unsubscribe_item(engine: Engine, ctx: Context, item: Any) -> list[Any]:
    """One ``UnsubscribeItem`` (path and the subscribe's tag) -> one ``SubscribeResult``."""
    if not ctx.session.websocket:
        raise ItemRefused(WEBSOCKET_ONLY)
    path: str = item.path
    tag = tag_of(item)
    sub = engine.subscriptions.remove(ctx.session, path, tag)
    if sub is None:
        raise ItemRefused(NO_SUBSCRIPTION, NOT_FOUND_CODE)
    extra: dict[str, Any] = {}
    if sub.query_raw is not None:
        extra["query"] = sub.query_raw
    node = engine.tree.get(path)
    if node is not None:
        extra.update(value=node.value, type=node.type, stamp=engine.stamp(node.stamp))
    return [engine.wire.response.SubscribeResult(code=OK, path=path, **extra, **tagged(tag))]
