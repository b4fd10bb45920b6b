"""What the proxy saw: every message checked and recorded, every connection event told.

The connection code knows nothing of validation, recording or output: it hands
each whole message and each connection event to the :class:`Witness`, which
runs the :class:`~.live.LiveChecker`, writes the capture, counts, and passes
each :class:`~.live.Finding` and :class:`Notice` to the listener (the console
printer of ``dmsproto proxy``, or a list in tests) the moment it happens.
"""

from __future__ import annotations

import logging
import time as _time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from ..recorder import Recorder
from ..versions import Direction
from .live import Finding, LiveChecker

log = logging.getLogger("dmsproto.proxy")
NOTICES: Final = {
    "open": "a client connected",
    "close": "a client connection ended",
    "tls-failed": "a client's TLS handshake with the proxy failed (it refused the "
                  "certificate, or left)",
    "upstream-failed": "the DMS could not be reached or did not answer the handshake; "
                       "the client got 502",
    "upstream-refused": "the DMS refused the WebSocket handshake; its answer was passed on",
    "upstream-lost": "the DMS connection broke without a close handshake; the client's was "
                     "dropped too",
    "client-lost": "the client connection broke without a close handshake; the DMS "
                   "connection was dropped too",
    "websocket": "a peer broke the WebSocket framing; both sides were closed",
    "http-status": "the DMS answered a POST with an HTTP error (not a protocol message)",
    "blocked": "an invalid request was answered by the proxy and not forwarded",
    "unvalidated": "a message passed unchecked and unrecorded (larger than the limit, or "
                   "in a content coding the proxy does not undo)",
    "too-large": "an HTTP request body over the limit was answered 413 by the proxy and not "
                 "forwarded",
    "slow-request": "an HTTP request body did not arrive in time: answered 408 by the proxy "
                    "and not forwarded",
    "error": "the proxy failed on this connection; other connections go on",
}
"""Every kind of connection event, and what it means (the one list of them)."""


@dataclass(frozen=True, slots=True)
class Notice:
    """A connection event: a client came or went, the DMS failed, a request was refused."""

    time: float
    """Seconds since the epoch when it happened."""
    client: str
    """The stream it happened on (``c3``, ``c3.2``)."""
    event: str
    """One of ``NOTICES``."""
    text: str
    """What happened, in detail."""

    def as_dict(self) -> dict[str, Any]:
        """The notice as JSON-ready members (a line of ``--findings``).

        Returns:
            Time, client, event and text.
        """
        return {"time": self.time, "client": self.client, "event": self.event,
                "text": self.text}


STOPPED: Final = "cut off: the proxy stopped before the answer came"
"""Why requests on their way when the proxy stops have no answer (not the peers' fault)."""


def unchecked_answer(why: str) -> str:
    """Why a request has no answer to check: its answer passed the proxy unchecked.

    Args:
        why: what kept it from being checked (``over 64 MiB``, a content coding).

    Returns:
        The reason the recording's ``settled`` line and the report's note give.
    """
    return f"the answer passed unchecked ({why})"


Listener = Callable[[Finding | Notice], None]
"""Told each finding and notice the moment it happens (the console printer, a list)."""


def exit_status(errors: int, warnings: int, *, strict: bool = False) -> int:
    """The exit code of ``dmsproto proxy``, the same as ``dmsproto validate``'s.

    Args:
        errors: findings of severity ``error``.
        warnings: findings of severity ``warning``.
        strict: warnings fail too.

    Returns:
        1 with errors (with ``strict`` also with warnings), else 0.
    """
    return 1 if errors or (strict and warnings) else 0


class Witness:
    """Checks, records and tells; one per proxy, shared by all its connections.

    Args:
        checker: validates each message and pairs it with the others of its stream.
        recorder: writes every message to a JSON Lines capture (``conn`` = stream).
        listener: told each finding and notice as it happens.
        clock: seconds since the epoch (settable for tests).

    Attributes:
        errors: findings of severity ``error`` so far.
        warnings: findings of severity ``warning`` so far.
        notices: how many notices of each event so far.
    """

    def __init__(self, checker: LiveChecker, *, recorder: Recorder | None = None,
                 listener: Listener | None = None,
                 clock: Callable[[], float] = _time.time) -> None:
        self.checker = checker
        self.recorder = recorder
        self.listener = listener
        self.clock = clock
        self.errors = 0
        self.warnings = 0
        self.notices: Counter[str] = Counter()

    @property
    def connections(self) -> int:
        """Client connections so far."""
        return self.notices["open"]

    def exit_status(self, *, strict: bool = False) -> int:
        """The exit code for what was seen so far (see the module's ``exit_status``).

        Args:
            strict: warnings fail too.

        Returns:
            1 with errors (with ``strict`` also with warnings), else 0.
        """
        return exit_status(self.errors, self.warnings, strict=strict)

    # --- streams --------------------------------------------------------------------

    def open_stream(self, stream: str) -> None:
        """A stream begins (a WebSocket connection or an HTTP exchange).

        The recording gets a session marker for the stream, so ``dmsproto validate``
        checks each client connection apart, as the proxy did.

        Args:
            stream: the stream's name (``c3``, ``c3.2``).
        """
        self.checker.open(stream)
        if self.recorder is not None:
            self.recorder.connection(stream, label=f"proxy client {stream}",
                                     time=self._utc())

    def message(self, stream: str, direction: Direction, data: str | bytes, *,
                time: float | None = None, http: bool = False) -> list[Finding]:
        """One whole message passed: record it, check it, tell the findings.

        Args:
            stream: the stream it passed on.
            direction: ``send`` (the client spoke) or ``recv`` (the DMS spoke).
            data: the message; ``bytes`` is a binary WebSocket frame.
            time: seconds since the epoch when it passed the proxy (now when not
                given; a message checked after it passed gives the time it passed).
            http: the message is an HTTP POST body.

        Returns:
            The findings on it (``LiveChecker.check``).
        """
        now = self.clock() if time is None else time
        if self.recorder is not None:
            self.recorder.record(direction, data, conn=stream,
                                 time=self._utc(now),
                                 binary=isinstance(data, bytes), http=http)
        findings = self.checker.check(direction, data, stream, now, http=http)
        self._tell(findings)
        return findings

    def unchecked(self, stream: str, direction: Direction) -> None:
        """A message too large to keep passed unchecked (its notice told it).

        One from the DMS is taken as the answer to the oldest open request of the
        stream (the DMS's large messages are answers: a long history, a big query),
        so that request is not reported as unanswered.

        Args:
            stream: the stream it passed on.
            direction: who sent it.
        """
        if direction == "recv":
            self.checker.settle(stream)
            if self.recorder is not None:
                self.recorder.settled(unchecked_answer("larger than the limit"),
                                      conn=stream, time=self._utc())

    def framing(self, stream: str, direction: Direction, text: str) -> Finding:
        """A peer broke the WebSocket framing: a finding, and a notice that both sides were closed.

        Args:
            stream: the stream it happened on.
            direction: who broke it.
            text: what was wrong.

        Returns:
            The finding (rule ``websocket``).
        """
        finding = self.checker.framing(direction, stream, self.clock(), text)
        self._tell([finding])
        self.notice(stream, "websocket", text)
        return finding

    def end_stream(self, stream: str, *, unanswered: str | None = None) -> list[Finding]:
        """A stream ended.

        Args:
            stream: the stream.
            unanswered: why its open requests got no protocol message as their answer,
                when that is nobody's fault: the DMS's fatal-error form (an HTTP error
                status, a close frame of the DMS), or cut off by the proxy itself (it
                stopped, or a request never reached the DMS).  They are then not
                reported as orphans, and the recording says why, so ``dmsproto
                validate`` agrees.  ``None``: report them.

        Returns:
            The findings on its unanswered requests.
        """
        if unanswered is not None:
            self.checker.discard(stream)
            if self.recorder is not None:
                self.recorder.settled(unanswered, conn=stream, every=True,
                                      time=self._utc())
            return []
        findings = self.checker.close(stream)
        self._tell(findings)
        return findings

    def notice(self, client: str, event: str, text: str) -> Notice:
        """Tell a connection event.

        Args:
            client: the stream it happened on.
            event: one of ``NOTICES``.
            text: what happened, in detail.

        Returns:
            The notice, as the listener got it.

        Raises:
            ValueError: ``event`` is not one of ``NOTICES``.
        """
        if event not in NOTICES:
            raise ValueError(f"unknown notice {event!r}")
        notice = Notice(self.clock(), client, event, text)
        self.notices[event] += 1
        self._inform(notice)
        return notice

    def _utc(self, seconds: float | None = None) -> datetime:
        """``seconds`` since the epoch (now when not given) as the recording writes times."""
        return datetime.fromtimestamp(self.clock() if seconds is None else seconds, UTC)

    def _tell(self, findings: list[Finding]) -> None:
        for finding in findings:
            if finding.severity == "error":
                self.errors += 1
            else:
                self.warnings += 1
            self._inform(finding)

    def _inform(self, item: Finding | Notice) -> None:
        """Tell the listener; its failure is its own and never breaks a connection.

        A witness, not a participant: the traffic passes whatever the listener does.
        A listener that raises is logged once and told nothing more.
        """
        listener = self.listener
        if listener is None:
            return
        try:
            listener(item)
        except Exception:
            log.exception("the proxy's listener failed; it is told nothing more")
            self.listener = None


__all__ = ["NOTICES", "STOPPED", "Listener", "Notice", "Witness", "exit_status",
           "unchecked_answer"]
