"""subscribe and unsubscribe (document 3.6; WebSocket sessions only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .items import NOT_FOUND, Context, ItemError, as_object, req_str, with_tag
from .query import QueryError, parse_query
from .reads import NO_READ
from .subscriptions import Subscription, parse_events

if TYPE_CHECKING:
    from .engine import Engine

_SUB_FIELDS = frozenset({"path", "query", "event", "tag"})
_UNSUB_FIELDS = frozenset({"path", "tag"})
WEBSOCKET_ONLY = "Monitoring is only possible on WebSocket connections"


def subscribe_item(engine: Engine, ctx: Context, raw: object) -> list[dict[str, Any]]:
    if not ctx.session.websocket:
        raise ItemError(WEBSOCKET_ONLY)
    item = as_object(raw, _SUB_FIELDS)
    path = req_str(item, "path")
    try:
        query = parse_query(item["query"], engine.protocol) if "query" in item else None
        events = parse_events(item.get("event", "onChange"))
    except (QueryError, ValueError) as exc:
        raise ItemError(str(exc)) from None
    node = engine.tree.get(path)
    if node is None:
        raise ItemError(NOT_FOUND, "not found")
    if node.ext.perm == "none":
        raise ItemError(NO_READ, "no perm")
    tag = item.get("tag")
    engine.subscriptions.add(
        Subscription(ctx.session, path, tag, events, query, item.get("query"))
    )
    out: dict[str, Any] = {"code": "ok", "path": path}
    if query is not None:
        out["query"] = item["query"]
    out.update(engine.node_state(node))
    return [with_tag(out, tag)]


def unsubscribe_item(engine: Engine, ctx: Context, raw: object) -> list[dict[str, Any]]:
    if not ctx.session.websocket:
        raise ItemError(WEBSOCKET_ONLY)
    item = as_object(raw, _UNSUB_FIELDS)
    path = req_str(item, "path")
    tag = item.get("tag")
    sub = engine.subscriptions.remove(ctx.session, path, tag)
    if sub is None:
        raise ItemError("No subscription on this path with this tag", "not found")
    out: dict[str, Any] = {"code": "ok", "path": path}
    if sub.query_raw is not None:
        out["query"] = sub.query_raw
    node = engine.tree.get(path)
    if node is not None:
        out.update(engine.node_state(node))
    return [with_tag(out, tag)]
