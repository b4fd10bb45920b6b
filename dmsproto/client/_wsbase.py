"""What the trio and the asyncio WebSocket transports do alike, whatever the loop.

Who waits for what (a waiter per call in flight, a parking lot per subscription
with a consumer); what each received message does (through the core, then the
waiters it concerns are woken; a fatal frame ends the link); how a call's
frames are handed out for writing and counted in ``call.sent``; why a link
ended (``protocol.connection`` words it) and what that means for pending calls
and live subscriptions; when to try reconnecting (the reconnect policy's
``Attempts``); and how the answer to the renewed subscriptions is applied.

Each transport supplies its loop's waiter and parking lot (``_make_lot``,
``_set``) and its "link is up" event (``_make_up``), and does the I/O:
opening, reading, pinging, writing, sleeping.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, Protocol, TypeVar

from ..errors import (
    ConnectError,
    ConnectionLost,
    DMSProtoError,
    NotSent,
    ProtocolError,
    RequestTimeout,
)
from ..protocol._triage import shorten
from ..protocol.connection import ABNORMAL, NO_CODE, Attempts, closed_by_peer
from ..protocol.core import (
    BadFrame,
    Call,
    CallDone,
    ClientCore,
    SubscriptionData,
    SubscriptionState,
)
from ..recorder import Recorder, close_answer
from ..results import ItemError
from ._options import Options

log = logging.getLogger("dmsproto")


def again(error: BaseException) -> BaseException:
    """A fresh copy of a stored error, to raise once more (each raise its own traceback)."""
    fresh = copy.copy(error)
    fresh.__cause__ = error.__cause__
    return fresh


class Lot(Protocol):
    def unpark_all(self) -> Any: ...


class Flag(Protocol):
    def set(self) -> Any: ...


class LinkState(Protocol):
    """What the shared code reads and writes on a loop's link (one open connection)."""

    #: why the link died, when we killed it ourselves or the peer said why
    error: BaseException | None
    #: whether the DMS has sent anything on this link (a close before that refuses it)
    answered: bool
    #: writes every frame sent and received (``connect(record=...)``)
    recorder: Recorder | None


#: what ``WsState._receiver`` says about a message: handled, go on
HANDLED = 0
#: handled, and a subscription's buffer is half full or more: its consumer should run
#: before the next message is routed (else a burst read at once could overflow it)
CROWDED = 1
#: a frame that cannot be trusted: the link is to be closed
UNTRUSTED = 2

W = TypeVar("W")
L = TypeVar("L", bound=Lot)
K = TypeVar("K", bound=LinkState)


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
        #: failed (re)connection attempts, counted against the reconnect policy
        self._attempts = Attempts(opts.reconnect)
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

    # ----------------------------------------------------------------- calls

    def _link_now(self) -> K | None:
        """The link a call may use now; ``None`` while a (re)connection is under way.

        Raises:
            ConnectError: the DMS refused the connection, and the client gave up.
            NotSent: the client gave up for another reason, or was closed.
        """
        fatal = self.fatal
        if fatal is not None:
            if isinstance(fatal, ConnectError):
                raise again(fatal)
            raise NotSent(f"{fatal}; the request was not sent")
        link = self.link
        if link is None and self.closed:
            raise NotSent("client closed; the request was not sent")
        return link

    def _no_link(self, seconds: float | None) -> RequestTimeout:
        """The timeout of a call that waited in vain for a (re)connection: nothing was sent."""
        within = f"within {seconds} s" if seconds is not None else "in time"
        last = self._attempts.last
        why = f" (last error: {last})" if last is not None else ""
        return RequestTimeout(
            f"no connection to {self.opts.url} {within}{why}; the request was not sent"
        )

    def _timeout(self, seconds: float | None) -> RequestTimeout:
        within = f"within {seconds} s" if seconds is not None else "in time"
        return RequestTimeout(f"no response from {self.opts.url} {within}")

    def _outgoing(self, link: K, call: Call) -> Iterator[str]:
        """The texts of ``call``'s frames, in order, for the transport to write.

        Each is recorded and logged before its write (its answer may be read
        while the write is under way), and counted in ``call.sent`` once the
        transport asks for the next one, that is, once its write returned.
        """
        recorder = link.recorder
        debug = log.isEnabledFor(logging.DEBUG)
        for frame in call.frames:
            text = frame.decode()
            if recorder is not None:
                recorder.record("send", text)
            if debug:
                log.debug("send %s", shorten(text))
            yield text
            call.sent += 1

    # -------------------------------------------------------------- receiving

    def _receiver(self, link: K) -> Callable[[str | bytes], int]:
        """What the reader of ``link`` does with each whole message it received.

        The message goes through the core; the waiters of the calls it answered
        and the consumers of the subscriptions it fed are woken.  Returns
        ``HANDLED``; ``CROWDED`` when a subscription it fed holds half its
        buffer or more (the reader lets the consumers run before it routes the
        next message); ``UNTRUSTED`` for a frame that cannot be trusted:
        ``link.error`` then says why, and the transport closes the link (a
        reconnect policy applies).
        """
        receive = self.proto.receive
        recorder = self.recorder
        debug = log.isEnabledFor(logging.DEBUG)
        lots = self._lots
        waiters = self._waiters
        wake = self._set
        url = self.opts.url

        def handle(message: str | bytes) -> int:
            link.answered = True
            verdict = HANDLED
            if recorder is not None:
                recorder.record("recv", message, binary=type(message) is not str)
            if debug:
                log.debug("recv %s", shorten(message))
            for ev in receive(message):
                # bare class patterns: sub-patterns would cost a __match_args__ lookup
                match ev:
                    case SubscriptionData():
                        sub = ev.subscription
                        lot = lots.get(sub)
                        if lot is not None:
                            lot.unpark_all()
                        if 2 * len(sub.buffer) >= sub.maxlen:
                            verdict = CROWDED
                    case CallDone():
                        done = waiters.pop(ev.call, None)
                        if done is not None:
                            wake(done)
                    case BadFrame():
                        if ev.fatal:  # (the core logged the frames it dropped)
                            link.error = ProtocolError(f"{url}: {ev.error}; connection closed")
                            log.error("protocol violation: %s", link.error)
                            return UNTRUSTED
            return verdict

        return handle

    # ---------------------------------------------------------- a link's end

    def _close_error(self, link: K, code: int | None, reason: str | None) -> DMSProtoError:
        """Why ``link`` ended, from its close (see ``protocol.connection.closed_by_peer``).

        A close frame of the DMS answers the requests it leaves open (its fatal-error
        form, 2.6): the recording says so, so that checking it reports none of them
        as unanswered.  A connection that broke without a close frame answers nothing.
        """
        if self.closed:
            return ConnectionLost("client closed")
        if self.recorder is not None and code not in (None, ABNORMAL) \
                and self.proto.pending_calls:
            self.recorder.settled(close_answer(None if code == NO_CODE else code), every=True)
        return closed_by_peer(self.opts.url, code, reason, answered=link.answered)

    def _unexpected(self, exc: Exception, link: K | None, started: bool) -> DMSProtoError:
        """The typed error an unexpected exception of a connection's tasks becomes (logged).

        ``ConnectError`` before ``connect()`` returned; else ``ConnectionLost``,
        which ``link`` then ended with (so reconnection applies).
        """
        log.error("the connection to %s failed", self.opts.url, exc_info=exc)
        detail = f"{type(exc).__name__}: {exc}"
        if link is None or not started:
            return ConnectError(f"connecting to {self.opts.url} failed ({detail})")
        error = ConnectionLost(f"connection to {self.opts.url} failed ({detail})")
        if link.error is None:
            link.error = error
        return error

    def _lost(self, link: K) -> None:
        """The link is gone: fail pending calls; mark or end subscriptions."""
        if self.link is link:
            self.link = None
            self.up = self._make_up()
        error = link.error or ConnectionLost(f"connection to {self.opts.url} lost")
        keep = self.opts.reconnect is not None and not self.closed
        if isinstance(error, ConnectError):  # refused: said by the calls, or by the supervisor
            log.info("%s", error)
        elif keep:  # calls and subscriptions wait for a new link: only this log says why
            log.warning("connection to %s lost: %s", self.opts.url, error)
        elif not self.closed:  # every call and subscription raises it: saying it twice is noise
            log.info("connection to %s lost: %s", self.opts.url, error)
        for call in self.proto.connection_lost(error):
            self._wake_call(call)
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

    # ----------------------------------------------------------- reconnecting

    def _next_attempt(self, error: BaseException | None) -> float | None:
        """Seconds to wait before the next connection attempt; ``None``: given up (done here).

        Args:
            error: why the last connection ended (``None``: it just ended); a
                ``ConnectError`` says it could not be opened or the DMS refused
                it, which counts as a failed attempt; anything else ended a
                connection that worked, and the count starts afresh.
        """
        url = self.opts.url
        attempts = self._attempts
        if isinstance(error, ConnectError):
            if self.opts.reconnect is not None:
                log.warning("reconnect to %s failed: %s", url, error)
        else:
            attempts.connected()
            if error is None:
                error = ConnectionLost(f"connection to {url} lost")
        if self.closed:
            self._give_up(ConnectionLost(f"connection to {url} closed"))
            return None
        delay = attempts.failed(error)
        if delay is None:
            if self.opts.reconnect is not None:
                self._give_up(ConnectionLost(f"gave up reconnecting to {url}: {error}"))
            elif isinstance(error, ConnectError):
                self._give_up(error)
            else:
                self._give_up(ConnectionLost(f"{error} (no reconnect)"))
            return None
        log.info("reconnecting to %s in %.2f s (attempt %d)", url, delay, attempts.failures)
        return delay

    def _closed_meanwhile(self) -> bool:
        """After the backoff: whether the client was closed while it waited."""
        if self.closed:
            self._give_up(ConnectionLost(f"connection to {self.opts.url} closed"))
        return self.closed

    # ---------------------------------------------------------------- renewal

    def _to_renew(self) -> list[SubscriptionState]:
        """The subscriptions a new link must renew (the server forgot them)."""
        return [s for s in self.proto.subscriptions if s.active]

    def _renewal_failed(
        self, call: Call, subs: Sequence[SubscriptionState], exc: Exception
    ) -> None:
        self._abandon(call)
        log.warning("renewing %d subscriptions failed: %s", len(subs), exc)

    def _renewal_done(self, call: Call, subs: Sequence[SubscriptionState]) -> None:
        """Apply the answer to the renewed subscriptions: new ``initial``, or the end.

        Called once the answer came or its time ran out (``call`` not done).
        """
        try:
            if not call.done:
                raise RequestTimeout("no answer to the renewed subscriptions")
            results = call.results()
        except DMSProtoError as exc:
            self._renewal_failed(call, subs, exc)
            return
        for sub, result in zip(subs, results, strict=True):
            if isinstance(result, ItemError):
                sub.final = result.exception()
                self.proto.remove_subscription(sub)
                log.warning("subscription to %r not renewed: %s", sub.path, sub.final)
            else:
                sub.initial = result
            self._wake_sub(sub)
        log.info("renewed %d subscriptions", len(subs))


__all__ = ["CROWDED", "HANDLED", "UNTRUSTED", "LinkState", "WsState", "again"]
