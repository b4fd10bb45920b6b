"""What the trio and the asyncio WebSocket transports do alike, whatever the loop.

Who waits for what (a waiter per call in flight, a parking lot per subscription
with a consumer), what a lost or given-up connection means for pending calls
and live subscriptions, when to try reconnecting, and how the answer to the
renewed subscriptions is applied.  Each transport supplies its loop's waiter and
parking lot (``_make_lot``, ``_set``), its "link is up" event (``_make_up``), and
does the I/O: opening, reading, pinging, writing, sleeping.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Generic, Protocol, TypeVar

from ..errors import ConnectionLost, RequestTimeout
from ..protocol.core import Call, ClientCore, SubscriptionState
from ..recorder import Recorder
from ..results import ItemError
from ._options import Options

log = logging.getLogger("dmsproto")


class Lot(Protocol):
    def unpark_all(self) -> Any: ...


class Flag(Protocol):
    def set(self) -> Any: ...


class Broken(Protocol):
    #: why the link died, when we killed it ourselves or the peer said why
    error: BaseException | None


W = TypeVar("W")
L = TypeVar("L", bound=Lot)
K = TypeVar("K", bound=Broken)


class WsState(Generic[W, L, K]):
    """The loop-neutral state of a (re)connecting WebSocket client transport.

    ``W`` is the loop's waiter of one call, ``L`` its parking lot of one
    subscription's consumers, ``K`` its link (one open connection).
    """

    transport = "ws"

    def __init__(
        self, opts: Options, proto: ClientCore, recorder: Recorder | None = None
    ) -> None:
        self.opts = opts
        self.proto = proto
        self.recorder = recorder
        #: the connection in use (``None`` while down)
        self.link: K | None = None
        #: set while a link is up (and when the client gave up, to wake who waits)
        self.up: Flag = self._make_up()
        self.closed = False
        #: why the client is permanently down (calls raise it)
        self.fatal: BaseException | None = None
        self.reconnects = 0
        self._waiters: dict[Call, W] = {}
        self._lots: dict[SubscriptionState, L] = {}

    # ------------------------------------------------------------ the loop's

    def _make_up(self) -> Flag:
        raise NotImplementedError

    def _make_lot(self) -> L:
        raise NotImplementedError

    def _set(self, done: W) -> None:
        """Wake the waiter of a call."""
        raise NotImplementedError

    # ---------------------------------------------------------------- waiting

    def _abandon(self, call: Call) -> None:
        self._waiters.pop(call, None)
        self.proto.abandon(call)

    def _wake_call(self, call: Call) -> None:
        done = self._waiters.pop(call, None)
        if done is not None:
            self._set(done)

    def parking_lot(self, sub: SubscriptionState) -> L:
        """Where the consumer of ``sub`` waits for events (made on first use)."""
        lot = self._lots.get(sub)
        if lot is None:
            lot = self._lots[sub] = self._make_lot()
        return lot

    def release(self, sub: SubscriptionState) -> None:
        """``sub`` is over for its consumer: wake it a last time and forget its lot."""
        lot = self._lots.pop(sub, None)
        if lot is not None:
            lot.unpark_all()

    def _wake_sub(self, sub: SubscriptionState) -> None:
        lot = self._lots.get(sub)
        if lot is not None:
            lot.unpark_all()

    def _usable(self) -> K | None:
        """The link a call may use now; ``None`` while a reconnect is under way.

        Raises:
            ConnectionLost: the client gave up or was closed.
        """
        if self.fatal is not None:
            raise ConnectionLost(str(self.fatal))
        link = self.link
        if link is None and self.closed:
            raise ConnectionLost("client closed")
        return link

    def _timeout(self, seconds: float | None) -> RequestTimeout:
        within = f"within {seconds} s" if seconds is not None else "in time"
        return RequestTimeout(f"no response from {self.opts.url} {within}")

    # -------------------------------------------------------- losing a link

    def _lost(self, link: K) -> None:
        """The link is gone: fail pending calls; mark or end subscriptions."""
        if self.link is link:
            self.link = None
            self.up = self._make_up()
        error = link.error or ConnectionLost(f"connection to {self.opts.url} lost")
        if not self.closed:
            log.warning("connection to %s lost: %s", self.opts.url, error)
        for call in self.proto.connection_lost(error):
            self._wake_call(call)
        keep = self.opts.reconnect is not None and not self.closed
        for sub in self.proto.subscriptions:
            if keep:
                sub.push_gap("reconnect")
            else:
                sub.final = ConnectionLost(f"connection to {self.opts.url} lost")
                self.proto.remove_subscription(sub)
            self._wake_sub(sub)

    def _give_up(self, error: BaseException) -> None:
        self.fatal = error
        for call in self.proto.connection_lost(error):
            self._wake_call(call)
        for sub in self.proto.subscriptions:
            sub.final = error
            self.proto.remove_subscription(sub)
            self._wake_sub(sub)
        self.up.set()  # wake calls waiting for a link: they see ``fatal``

    def _retry_delay(self, attempt: int, last: BaseException) -> float | None:
        """Seconds to wait before reconnect ``attempt``; ``None``: given up (done here)."""
        url = self.opts.url
        policy = self.opts.reconnect
        if self.closed:
            self._give_up(ConnectionLost(f"connection to {url} closed"))
            return None
        if policy is None:
            self._give_up(ConnectionLost(f"connection to {url} lost (no reconnect)"))
            return None
        if policy.max_attempts is not None and attempt > policy.max_attempts:
            self._give_up(ConnectionLost(f"gave up reconnecting to {url}: {last}"))
            return None
        delay = policy.delay(attempt)
        log.info("reconnecting to %s in %.2f s (attempt %d)", url, delay, attempt)
        return delay

    def _closed_meanwhile(self) -> bool:
        """After the backoff: whether the client was closed while it waited."""
        if self.closed:
            self._give_up(ConnectionLost(f"connection to {self.opts.url} closed"))
        return self.closed

    def _renewed(self, subs: Sequence[SubscriptionState], results: Sequence[Any]) -> None:
        """Apply the answer to the renewed subscriptions: new ``initial``, or the end."""
        for sub, result in zip(subs, results, strict=True):
            if isinstance(result, ItemError):
                sub.final = result.exception()
                self.proto.remove_subscription(sub)
                log.warning("subscription to %r not renewed: %s", sub.path, sub.final)
            else:
                sub.initial = result
            self._wake_sub(sub)
        log.info("renewed %d subscriptions", len(subs))


__all__ = ["WsState"]
