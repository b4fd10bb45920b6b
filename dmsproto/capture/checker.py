"""Checks across messages: does each response answer its request, each event a subscription?

Per stream (one connection) the checker keeps only what is still open: requests
without a response yet (a dict in arrival order plus a queue per root tag) and the
live subscriptions by tag.  Each message costs O(1) dictionary work plus one pass
over its own item arrays, so whole captures stream through in constant memory.

Rules reported here (the per-frame rules come from :mod:`dmsproto.validation`):

- ``orphan-request``: a request that never got a response;
- ``orphan-response``: a response that answers no open request;
- ``tag-echo``: a response without its request's root ``tag``, or with one no open
  request sent while an untagged request waits;
- ``command-echo``: a response lacking a command of its request, or adding one;
- ``item-count``: a response array with another length than its request array
  (not for ``get``/``subscribe`` with a ``query``, which answer with any number of
  items, nor ``changelogGetGroups``, which sends ``[]``, nor an array that is the one
  fatal-error item of 3.2.1, which answers the whole command);
- ``item-order``: the right paths in the wrong order; ``path-echo``: a wrong path (for
  ``changelogRead``, a wrong ``group``; for ``rename``, also a wrong ``newPath``);
- ``item-tag``: a response item without its request item's ``tag``, or with one its
  request item did not send (for a query: a tag no request item carried);
- ``whois``: a ``set``/``rename``/``delete`` request without ``whois``;
- ``event-unsubscribed``: an event for a tag (or path) never subscribed, or whose
  subscription the DMS refused (a subscribe item answered with a code other than ok);
- ``event-after-unsubscribe``: an event for a subscription already cancelled.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from ..tags import tag_key
from ..validation.model import short
from ..wording import count
from .model import Message

COMMANDS = frozenset({"get", "set", "rename", "delete", "subscribe", "unsubscribe",
                      "changelogGetGroups", "changelogRead"})
WRITES = ("set", "rename", "delete")
_QUERY_COMMANDS = ("get", "subscribe")
#: The member a response item echoes to name what it answers, where it is not ``path``
#: (changelogRead: "group: Echo from the request", 4.3.3).
_ECHOED = {"changelogRead": "group"}
_NO = object()
_TAG_SHOWN = 200  # characters of a tag's JSON text in a message

#: ``sink(rule, message, pointer, value, text)`` receives each finding.
Sink = Callable[[str, Message, str, Any, str], None]


def _fatal(item: Any, key: str) -> bool:
    """The fatal-error item of 3.2.1: code ``error`` and nothing naming what it answers."""
    return type(item) is dict and item.get("code") == "error" and key not in item


def _show(tag: Any) -> str:
    return "no tag" if tag is _NO else f"tag {short(tag, _TAG_SHOWN)}"


@dataclass(slots=True)
class _Pending:
    message: Message
    frame: dict[str, Any] | None  # None: a request that could not be read
    # per subscribe item: the (tag key, path) it added to the live subscriptions, if new
    added: list[tuple[Hashable, str] | None] = field(default_factory=list)


@dataclass(slots=True)
class _Subscription:
    paths: set[str] = field(default_factory=set)
    query: bool = False


@dataclass(slots=True)
class _Stream:
    seq: int = 0
    pending: dict[int, _Pending] = field(default_factory=dict)
    by_tag: dict[Hashable, deque[int]] = field(default_factory=dict)
    subs: dict[Hashable, _Subscription] = field(default_factory=dict)
    gone: set[Hashable] = field(default_factory=set)


class Checker:
    """Feed every parsed frame in capture order; call :meth:`finish` at the end."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self._streams: dict[str, _Stream] = {}

    def feed(self, message: Message, frame: dict[str, Any]) -> None:
        """Check one frame against what its stream saw before (pairs, subscriptions).

        Args:
            message: where the frame was captured (direction, stream, position).
            frame: the frame, parsed.
        """
        stream = self._streams.get(message.stream)
        if stream is None:
            stream = self._streams[message.stream] = _Stream()
        if message.direction == "send":
            self._request(stream, message, frame)
        elif "event" in frame:
            self._event(stream, message, frame)
        else:
            self._response(stream, message, frame)

    def unreadable(self, message: Message) -> None:
        """A request that is no JSON object: the DMS answers it with a fatal-error item.

        A request that cannot be read gets one response all the same, the fatal
        item of 3.2.1 (``{"get": [{"code": "error", "message": ...}]}``) without the
        tag it could not read: that response answers it, not some other request.

        Args:
            message: the request, as captured (direction ``send``).
        """
        stream = self._streams.get(message.stream)
        if stream is None:
            stream = self._streams[message.stream] = _Stream()
        self._pend(stream, _Pending(message, None), None)

    def settle(self, stream: str, *, every: bool = False) -> int:
        """The oldest open request of ``stream`` was answered outside the protocol.

        An HTTP error status or a response body the capture lacks: the request is
        answered, and the next response on the connection answers the next request.

        Args:
            stream: the connection (``Message.stream``).
            every: all its open requests were (cut off by the recording proxy's stop).

        Returns:
            How many requests this settled.
        """
        settled = 0
        while self._settle_oldest(stream):
            settled += 1
            if not every:
                break
        return settled

    def _settle_oldest(self, stream: str) -> bool:
        state = self._streams.get(stream)
        if state is None or not state.pending:
            return False
        seq, pending = next(iter(state.pending.items()))
        key = None
        if pending.frame is not None and "tag" in pending.frame:
            key = tag_key(pending.frame["tag"])
        queue = state.by_tag[key]
        queue.remove(seq)
        if not queue:
            del state.by_tag[key]
        del state.pending[seq]
        return True

    def finish(self) -> None:
        """Report the requests still waiting for a response."""
        for stream in self._streams.values():
            for pending in stream.pending.values():
                tag = _NO if pending.frame is None else pending.frame.get("tag", _NO)
                self._sink("orphan-request", pending.message, "",
                           None if tag is _NO else tag,
                           f"request ({_show(tag)}) never got a response")
        self._streams.clear()

    # --- requests ---------------------------------------------------------------------

    def _request(self, stream: _Stream, message: Message, frame: dict[str, Any]) -> None:
        if "whois" not in frame:
            for command in WRITES:
                if command in frame:
                    self._sink("whois", message, "/whois", None,
                               f"{command} request without 'whois' (required for writes on "
                               "unauthenticated connections)")
                    break
        pending = _Pending(message, frame)
        subscribe = frame.get("subscribe")
        if type(subscribe) is list:
            for item in subscribe:
                added = None
                if type(item) is dict and type(item.get("path")) is str:
                    key = tag_key(item["tag"]) if "tag" in item else None
                    sub = stream.subs.get(key)
                    if sub is None:
                        sub = stream.subs[key] = _Subscription()
                    if item["path"] not in sub.paths:
                        added = (key, item["path"])
                    sub.paths.add(item["path"])
                    sub.query = sub.query or "query" in item
                    stream.gone.discard(key)
                pending.added.append(added)
        self._pend(stream, pending, tag_key(frame["tag"]) if "tag" in frame else None)

    @staticmethod
    def _pend(stream: _Stream, pending: _Pending, key: Hashable) -> None:
        seq = stream.seq = stream.seq + 1
        stream.pending[seq] = pending
        queue = stream.by_tag.get(key)
        if queue is None:
            queue = stream.by_tag[key] = deque()
        queue.append(seq)

    # --- responses --------------------------------------------------------------------

    def _take(self, stream: _Stream, key: Hashable) -> _Pending | None:
        queue = stream.by_tag.get(key)
        if not queue:
            return None
        seq = queue.popleft()
        if not queue:
            del stream.by_tag[key]
        return stream.pending.pop(seq)

    def _response(self, stream: _Stream, message: Message, frame: dict[str, Any]) -> None:
        tag = frame.get("tag", _NO)
        if tag is not _NO:
            pending = self._take(stream, tag_key(tag))
            if pending is None and stream.by_tag.get(None):
                pending = self._take(stream, None)
                assert pending is not None
                self._sink("tag-echo", message, "/tag", tag,
                           f"response carries {_show(tag)}, its request at "
                           f"{pending.message.position} sent no root tag")
        else:
            pending = self._take(stream, None)
            if pending is None and stream.pending:
                oldest = next(iter(stream.pending.values()))
                assert oldest.frame is not None  # an unreadable request waits untagged
                pending = self._take(stream, tag_key(oldest.frame["tag"]))
                self._sink("tag-echo", message, "/tag", None,
                           f"response lacks the root tag of its request at "
                           f"{oldest.message.position}")
        if pending is None:
            self._sink("orphan-response", message, "/tag" if tag is not _NO else "",
                       None if tag is _NO else tag,
                       f"response ({_show(tag)}) answers no open request")
            return
        request = pending.frame
        if request is None or COMMANDS.isdisjoint(request):
            return  # the fatal answer to a request that could not be read, or held no command
        for command in request:
            if command in COMMANDS and command not in frame:
                self._sink("command-echo", message, f"/{command}", None,
                           f"response lacks {command!r} of its request at "
                           f"{pending.message.position}")
        for command, items in frame.items():
            if command not in COMMANDS:
                continue
            if command not in request:
                self._sink("command-echo", message, f"/{command}", None,
                           f"response has {command!r}, its request at "
                           f"{pending.message.position} did not ask for it")
                continue
            asked = request[command]
            if type(items) is list and type(asked) is list:
                self._items(message, command, asked, items)
                if command == "unsubscribe":
                    self._unsubscribed(stream, asked, items)
                elif command == "subscribe":
                    self._refused(stream, pending.added, items)

    def _items(self, message: Message, command: str, asked: list[Any],
               answered: list[Any]) -> None:
        if command == "changelogGetGroups":
            return
        if command in _QUERY_COMMANDS and any(type(a) is dict and "query" in a for a in asked):
            tags = {tag_key(a["tag"]) for a in asked if type(a) is dict and "tag" in a}
            for i, item in enumerate(answered):
                if type(item) is dict and "tag" in item and tag_key(item["tag"]) not in tags:
                    self._sink("item-tag", message, f"/{command}/{i}/tag", item["tag"],
                               "tag was not sent with any item of the request")
            return
        key = _ECHOED.get(command, "path")
        if len(answered) == 1 and len(asked) > 1 and _fatal(answered[0], key):
            return  # a fatal error answers the whole command with one item (3.2.1)
        if len(answered) != len(asked):
            self._sink("item-count", message, f"/{command}", len(answered),
                       f"{count(len(answered), 'response item')} for "
                       f"{count(len(asked), 'request item')}")
            return
        want = [a if type(a) is str else a.get(key) if type(a) is dict else None
                for a in asked]
        got = [i.get(key) if type(i) is dict else None for i in answered]
        if want != got and self._paths(message, command, key, want, got):
            return  # reordered items carry their tags along: one finding, item-order
        if command == "rename":
            self._new_paths(message, asked, answered)
        asked_tags = [a.get("tag", _NO) if type(a) is dict else _NO for a in asked]
        for i, (sent, item) in enumerate(zip(asked_tags, answered, strict=True)):
            if type(item) is not dict:
                continue
            back = item.get("tag", _NO)
            if sent is _NO and back is _NO:
                continue
            if sent is _NO or back is _NO or tag_key(back) != tag_key(sent):
                self._sink("item-tag", message, f"/{command}/{i}/tag",
                           None if back is _NO else back,
                           f"request item {i} was sent with {_show(sent)}, "
                           f"answered with {_show(back)}")

    def _paths(self, message: Message, command: str, key: str, want: list[Any],
               got: list[Any]) -> bool:
        """Report wrong paths; ``True`` when the items are the right ones, reordered."""
        # A fatal item (code "error", no path) stands in for any request item.
        wrong = [i for i, (w, g) in enumerate(zip(want, got, strict=True))
                 if g is not None and g != w]
        if not wrong:
            return False
        if sorted(map(repr, want)) == sorted(map(repr, got)):
            self._sink("item-order", message, f"/{command}", None,
                       "response items are not in the order of the request items")
            return True
        for i in wrong:
            self._sink("path-echo", message, f"/{command}/{i}/{key}", got[i],
                       f"answers request item {i}, which asked for {want[i]!r}")
        return False

    @staticmethod
    def _refused(stream: _Stream, added: list[tuple[Hashable, str] | None],
                 answered: list[Any]) -> None:
        """Forget the subscriptions a subscribe response refused (their events are strays)."""
        if len(added) != len(answered):
            return  # a query answer that does not pair item for item
        for new, item in zip(added, answered, strict=True):
            if new is None or type(item) is not dict or item.get("code") in (None, "ok"):
                continue
            key, path = new
            sub = stream.subs.get(key)
            if sub is None:
                continue
            sub.paths.discard(path)
            if not sub.paths:
                del stream.subs[key]

    def _new_paths(self, message: Message, asked: list[Any], answered: list[Any]) -> None:
        """A rename answer's ``newPath`` is "the renamed path" (3.4.3): the one asked for."""
        for i, (sent, item) in enumerate(zip(asked, answered, strict=True)):
            if type(sent) is dict and type(item) is dict and "newPath" in item \
                    and item["newPath"] != sent.get("newPath"):
                self._sink("path-echo", message, f"/rename/{i}/newPath", item["newPath"],
                           f"answers request item {i}, which renames to "
                           f"{sent.get('newPath')!r}")

    def _unsubscribed(self, stream: _Stream, asked: list[Any], answered: list[Any]) -> None:
        for i, item in enumerate(asked):
            if type(item) is not dict:
                continue
            if i < len(answered) and type(answered[i]) is dict \
                    and answered[i].get("code") not in (None, "ok"):
                continue
            key = tag_key(item["tag"]) if "tag" in item else None
            sub = stream.subs.get(key)
            if sub is None:
                continue
            sub.paths.discard(item.get("path"))
            if not sub.paths:
                del stream.subs[key]
                stream.gone.add(key)

    # --- events -----------------------------------------------------------------------

    def _event(self, stream: _Stream, message: Message, frame: dict[str, Any]) -> None:
        items = frame.get("event")
        if type(items) is not list:
            return
        for i, item in enumerate(items):
            if type(item) is not dict:
                continue
            tag = item.get("tag", _NO)
            key = None if tag is _NO else tag_key(tag)
            sub = stream.subs.get(key)
            pointer = f"/event/{i}/tag" if tag is not _NO else f"/event/{i}"
            value = None if tag is _NO else tag
            if sub is None:
                if key in stream.gone:
                    self._sink("event-after-unsubscribe", message, pointer, value,
                               f"event for the subscription with {_show(tag)}, "
                               "which was already unsubscribed")
                else:
                    self._sink("event-unsubscribed", message, pointer, value,
                               f"event for {_show(tag)}, which was never subscribed")
            elif not sub.query and item.get("path") not in sub.paths:
                self._sink("event-unsubscribed", message, f"/event/{i}/path",
                           item.get("path"),
                           f"event path is not among the paths subscribed with {_show(tag)}")


__all__ = ["COMMANDS", "WRITES", "Checker", "Sink"]
