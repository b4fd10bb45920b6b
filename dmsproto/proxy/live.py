"""Validation of live traffic: each message as it passes, with the rules of ``validate``.

:class:`LiveChecker` is the one place where the proxy meets the validator.  It runs
what ``dmsproto validate`` runs on a capture (the per-frame rules of
:mod:`dmsproto.validation` through the capture's fast validator, and the
cross-message checks of :class:`dmsproto.capture.checker.Checker`), one message at
a time and per stream (a WebSocket connection, or one HTTP POST exchange), and
hands back what it found as :class:`Finding` values with a severity.  A
:class:`~dmsproto.capture.report.Report` collects the same findings for the
summary, which therefore reads like ``validate``'s report.

Binary WebSocket frames arrive as ``bytes`` (text frames and HTTP bodies as ``str``;
a body that is not UTF-8 as ``bytes``) and are checked as JSON text like text frames.
A finding whose violation has no severity counts as an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from ..capture.checker import COMMANDS, Checker
from ..capture.fastcheck import FrameValidator
from ..capture.model import Message
from ..capture.report import Report
from ..errors import NotJSON
from ..jsontext import parse_json
from ..validation import Severity, Violation
from ..validation.frame import not_an_object_violation, not_json_violation
from ..validation.rules import binary_frame, found, severity, websocket_only
from ..versions import DEFAULT_VERSION, Direction, get_version

FRAMING_RULE: Final = "websocket"
"""The rule of a WebSocket frame that cannot be read, seen only live; declared with its
severity in :data:`dmsproto.validation.RULES` like every other rule."""
_KNOWN = COMMANDS | {"event"}


@dataclass(frozen=True, slots=True)
class Finding:
    """One violation seen live: when, on which stream and message, what, and how bad."""

    time: float
    """Seconds since the epoch when the message passed the proxy."""
    client: str
    """The stream: ``c3`` (a WebSocket connection) or ``c3.2`` (an HTTP exchange)."""
    direction: Direction | None
    """Who sent the message (``None`` when the finding is about no message)."""
    message_number: int
    """Which message of the stream (1 = the first); 0 when the finding is about none."""
    pointer: str
    """The JSON Pointer of the offending value in the message."""
    rule: str
    """The rule broken (``dmsproto.validation.RULES``)."""
    value: Any
    """The offending value."""
    message: str
    """Why it breaks the rule."""
    severity: Severity = "error"
    """``error`` or ``warning``."""

    def as_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready members (a line of ``--findings``).

        Returns:
            Time, client, direction, message number, severity, rule, pointer, value
            and message.
        """
        return {"time": self.time, "client": self.client, "dir": self.direction,
                "n": self.message_number, "severity": self.severity, "rule": self.rule,
                "pointer": self.pointer, "value": self.value, "message": self.message}


_Raw = tuple[str, str, Any, str, Severity]
"""(rule, pointer, value, text, severity) of one finding on a known message."""


class _Stream:
    """One stream's cross-message checker and what it reported, not yet handed out."""

    __slots__ = ("checker", "count", "found")

    def __init__(self) -> None:
        self.count = 0
        self.found: list[tuple[str, Message, str, Any, str]] = []
        self.checker = Checker(lambda *finding: self.found.append(finding))


class LiveChecker:
    """``check(direction, data, stream, time)`` -> the findings on that message.

    Validates each message as ``dmsproto validate`` would, and pairs it with the
    others of its stream, as they pass.

    Args:
        protocol: the protocol version whose schemas apply.
        report: where the findings are also counted for the summary
            (a new one when not given; see :attr:`report`).
    """

    def __init__(self, protocol: str = DEFAULT_VERSION, *, report: Report | None = None) -> None:
        get_version(protocol)
        self.protocol = protocol
        self.report = report if report is not None else Report(files=[], protocol=protocol)
        self._frames = FrameValidator(protocol)
        self._streams: dict[str, _Stream] = {}

    def open(self, stream: str) -> None:
        """Start a stream (requests pair with responses only within one stream).

        Args:
            stream: the stream's name (``c3``, ``c3.2``).
        """
        self._streams[stream] = _Stream()

    def check(self, direction: Direction, data: str | bytes, stream: str,
              time: float, *, http: bool = False) -> list[Finding]:
        """Check one whole message.

        Args:
            direction: ``send`` (the client spoke) or ``recv`` (the DMS spoke).
            data: the message; ``bytes`` is a binary WebSocket frame.
            stream: the stream it passed on (opened on first use).
            time: seconds since the epoch when it passed.
            http: the message is an HTTP POST body (monitoring commands are refused).

        Returns:
            The findings on this message, and those on earlier messages of the
            stream that this one settles (a response that answers no request).
        """
        state = self._streams.get(stream)
        if state is None:
            state = self._streams[stream] = _Stream()
        state.count += 1
        size = len(data)
        message = Message(direction, data, stream, state.count, time, stream, size, http=http)
        report = self.report
        report.messages += 1
        report.bytes += size
        counts = report.counts
        findings = self._findings(message, [binary_frame()]) if isinstance(data, bytes) else []
        try:
            frame = parse_json(data)
        except NotJSON as exc:
            counts[direction, "(not JSON)"] += 1
            return findings + self._unreadable(state, message, not_json_violation(exc))
        if type(frame) is not dict:  # a JSON string is not text to read again
            counts[direction, "(not an object)"] += 1
            return findings + self._unreadable(state, message, not_an_object_violation(frame))
        violations = self._frames.check(frame, direction)
        if http and direction == "send":
            violations = [*violations, *websocket_only(frame)]
        if violations:
            findings += self._findings(message, violations)
        counted = False
        for key in frame:
            if key in _KNOWN:
                counts[direction, key] += 1
                counted = True
        if not counted:
            counts[direction, "(no command)"] += 1
        state.checker.feed(message, frame)
        if state.found:
            findings += self._drain(state)
        return findings

    def _unreadable(self, state: _Stream, message: Message, why: Violation) -> list[Finding]:
        """A message that is no JSON object; a request of that kind still awaits its answer."""
        if message.direction == "send":
            state.checker.unreadable(message)
        return self._findings(message, [why])

    def framing(self, direction: Direction, stream: str, time: float, text: str) -> Finding:
        """A frame that could not be read at all (rule ``websocket``).

        The peer broke the WebSocket protocol itself, below the messages the other
        rules check.

        Args:
            direction: who sent the frame.
            stream: the stream it came on.
            time: seconds since the epoch when it came.
            text: what was wrong with it.

        Returns:
            The finding, on the message the frame would have been.
        """
        state = self._streams.get(stream)
        number = state.count + 1 if state is not None else 1
        message = Message(direction, "", stream, number, time, stream, 0)
        [finding] = self._findings(message, [found(FRAMING_RULE, "", None, text)])
        return finding

    def close(self, stream: str) -> list[Finding]:
        """End a stream: its requests still without a response are ``orphan-request``.

        Args:
            stream: the stream.

        Returns:
            The findings on its unanswered requests.
        """
        state = self._streams.pop(stream, None)
        if state is None:
            return []
        state.checker.finish()
        return self._drain(state)

    def settle(self, stream: str) -> None:
        """The oldest open request of ``stream`` was answered by a message not checked.

        Args:
            stream: the stream.
        """
        state = self._streams.get(stream)
        if state is not None:
            state.checker.settle(stream)

    def discard(self, stream: str) -> None:
        """Forget a stream without reporting its open requests (answered outside the protocol).

        Args:
            stream: the stream.
        """
        self._streams.pop(stream, None)

    @property
    def streams(self) -> int:
        """Streams open now."""
        return len(self._streams)

    # --- internals ------------------------------------------------------------------

    def _drain(self, state: _Stream) -> list[Finding]:
        """The cross-message findings, each on the message it is about."""
        out = [self._finding(message, (rule, pointer, value, text, severity(rule)))
               for rule, message, pointer, value, text in state.found]
        state.found.clear()
        return out

    def _findings(self, message: Message, violations: list[Violation]) -> list[Finding]:
        return [self._finding(message, (v.rule, v.pointer, v.value, v.message, v.severity))
                for v in violations]

    def _finding(self, message: Message, raw: _Raw) -> Finding:
        rule, pointer, value, text, severity = raw
        self.report.add(rule, message, pointer, value, text)
        time = message.time
        return Finding(time if isinstance(time, float) else 0.0, message.stream,
                       message.direction, int(message.where), pointer, rule, value, text,
                       severity)


__all__ = ["FRAMING_RULE", "Finding", "LiveChecker", "Severity"]
