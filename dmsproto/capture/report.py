"""The result of validating captures: counts, and violations grouped by rule.

Only the first ``max_examples`` findings of each rule are kept with their details
(position, time, direction, JSON pointer, offending value, text); the rest are
counted.  So a capture with millions of broken frames still gives a short report
in constant memory.  Each rule carries its severity (``error`` or ``warning``, from
:data:`dmsproto.validation.RULES`).  Rendered as text for people and as JSON for
machines.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec

from ..validation import Severity
from ..validation.model import short
from ..validation.rules import severity as rule_severity
from ..versions import Direction
from ..wording import count
from .model import BadRecord, Message


@dataclass(frozen=True, slots=True)
class Example:
    """One finding with everything needed to find it in the capture.

    Args:
        rule: the rule broken.
        position: where the message is (``Message.position``).
        time: when the message was seen, as ISO 8601 text.
        direction: who spoke (``None`` for a record that is no message).
        pointer: the JSON Pointer of the offending value in the message.
        value: the offending value.
        message: why it breaks the rule.
    """

    rule: str
    position: str
    time: str | None
    direction: Direction | None
    pointer: str
    value: Any
    message: str

    def as_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready members, for ``--format json``.

        Returns:
            Position, time, direction, pointer, value and message.
        """
        return {"position": self.position, "time": self.time, "dir": self.direction,
                "pointer": self.pointer, "value": self.value, "message": self.message}


@dataclass(slots=True)
class RuleGroup:
    """The findings of one rule: how many, the first few in detail, how bad."""

    rule: str
    severity: Severity = "error"
    count: int = 0
    examples: list[Example] = field(default_factory=list)


def format_time(value: str | float | None) -> str | None:
    """Capture times as text: epoch seconds become ISO 8601 UTC with milliseconds."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    try:
        return datetime.fromtimestamp(value, UTC).isoformat(timespec="milliseconds")
    except (OverflowError, OSError, ValueError):
        return str(value)


@dataclass
class Report:
    """Everything ``dmsproto validate`` found in one run.

    Made empty by ``validate_files`` (or by a caller of ``validate_records``) and
    filled as the messages are checked.

    Args:
        files: the capture files read.
        protocol: the protocol version they were checked against.
        max_examples: findings kept in detail per rule (the rest are counted).
        messages: messages read.
        bytes: bytes of messages read.
        sessions: recording sessions seen.
        counts: messages per (direction, command).
        rules: the findings per rule.
        per_file: messages per file.
        notes: what the readers assumed (``Note``), for the user.
    """

    files: list[str]
    protocol: str
    max_examples: int = 5
    messages: int = 0
    bytes: int = 0
    sessions: int = 0
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    rules: dict[str, RuleGroup] = field(default_factory=dict)
    per_file: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    @property
    def violations(self) -> int:
        """Findings of every severity."""
        return sum(g.count for g in self.rules.values())

    @property
    def errors(self) -> int:
        """Findings of severity ``error``."""
        return sum(g.count for g in self.rules.values() if g.severity == "error")

    @property
    def warnings(self) -> int:
        """Findings of severity ``warning``."""
        return sum(g.count for g in self.rules.values() if g.severity == "warning")

    @property
    def clean(self) -> bool:
        """No finding at all, not even a warning, and DMS messages in every file.

        A file without any was not checked: a wrong ``--port`` or ``--base-path`` is
        no pass.
        """
        return not self.rules and not self.empty_files

    def passed(self, *, strict: bool = False) -> bool:
        """Whether the run passed.

        Args:
            strict: warnings fail too.

        Returns:
            ``True`` when there is no error (and with ``strict``, no warning either).
        """
        return not (self.errors or (strict and self.warnings))

    @property
    def empty_files(self) -> list[str]:
        """The files that held no DMS message."""
        return [f for f in self.files if not self.per_file[f]]

    def _group(self, rule: str) -> RuleGroup:
        group = self.rules.get(rule)
        if group is None:
            group = self.rules[rule] = RuleGroup(rule, rule_severity(rule))
        return group

    def add(self, rule: str, message: Message, pointer: str, value: Any, text: str) -> None:
        """Count a finding on ``message``; keep its details while the rule has room.

        Args:
            rule: the rule broken.
            message: the message it was found in.
            pointer: the JSON Pointer of the offending value.
            value: the offending value.
            text: why it breaks the rule.
        """
        group = self._group(rule)
        group.count += 1
        if len(group.examples) < self.max_examples:
            group.examples.append(Example(rule, message.position, format_time(message.time),
                                          message.direction, pointer, value, text))

    def add_bad_record(self, record: BadRecord) -> None:
        """Count a capture record that holds no message (rule ``capture``).

        Args:
            record: the record.
        """
        group = self._group("capture")
        group.count += 1
        if len(group.examples) < self.max_examples:
            group.examples.append(Example("capture", record.position, format_time(record.time),
                                          None, "", record.value, record.reason))

    def examples(self, rule: str) -> list[Example]:
        """The findings of ``rule`` kept in detail.

        Args:
            rule: the rule's name.

        Returns:
            Up to ``max_examples`` findings, in the order found.
        """
        group = self.rules.get(rule)
        return list(group.examples) if group else []

    # --- rendering --------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready members (what ``--format json`` prints).

        Returns:
            Totals, counts per command, and the rules with their examples, errors
            first.
        """
        counts: dict[str, dict[str, int]] = {"send": {}, "recv": {}}
        for (direction, command), n in sorted(self.counts.items()):
            counts.setdefault(direction, {})[command] = n
        return {
            "files": self.files, "protocol": self.protocol, "messages": self.messages,
            "bytes": self.bytes, "sessions": self.sessions, "counts": counts,
            "clean": self.clean, "empty_files": self.empty_files,
            "violations": self.violations, "errors": self.errors,
            "warnings": self.warnings, "notes": self.notes,
            "rules": [{"rule": g.rule, "severity": g.severity, "count": g.count,
                       "examples": [e.as_dict() for e in g.examples]}
                      for g in self._ordered()],
        }

    def _ordered(self) -> list[RuleGroup]:
        """Errors before warnings, then the most frequent first."""
        return sorted(self.rules.values(),
                      key=lambda g: (g.severity != "error", -g.count, g.rule))

    def to_json(self) -> str:
        """The report as indented JSON text.

        Returns:
            ``as_dict()`` encoded; a value that is not JSON is shown by its ``repr``.
        """
        compact = msgspec.json.encode(self.as_dict(), enc_hook=repr)
        return msgspec.json.format(compact, indent=2).decode()

    def to_text(self) -> str:
        """The report as people read it: totals, counts per command, findings per rule.

        Returns:
            The text, lines joined.
        """
        files = ", ".join(self.files)
        sessions = f", {count(self.sessions, 'recording session')}" if self.sessions > 1 else ""
        lines = [f"{files}: {count(self.messages, 'message')} ({_size(self.bytes)}), "
                 f"protocol {self.protocol}{sessions}"]
        lines += [f"note: {n}" for n in self.notes]
        commands = sorted({c for _, c in self.counts})
        if commands:
            width = max(len(c) for c in commands)
            lines.append(f"  {'':{width}}  {'send':>8}  {'recv':>8}")
            for c in commands:
                lines.append(f"  {c:{width}}  {self.counts[('send', c)]:>8,}  "
                             f"{self.counts[('recv', c)]:>8,}")
        if not self.rules:
            empty = self.empty_files
            if not empty:
                lines.append("clean: no violations")
            else:
                checked = "no violations; " if self.messages else ""
                lines.append(f"{checked}no DMS messages in {', '.join(empty)}")
            return "\n".join(lines)
        groups = self._ordered()
        lines.append(f"{count(self.errors, 'error')}, {count(self.warnings, 'warning')} "
                     f"in {count(len(groups), 'rule')}")
        for g in groups:
            shown = f", first {len(g.examples)}" if g.count > len(g.examples) else ""
            lines.append(f"  {g.rule} ({g.severity}): {g.count:,}{shown}")
            for e in g.examples:
                where = f"{e.position}" + (f" {e.time}" if e.time else "")
                direction = f" {e.direction}" if e.direction else ""
                lines.append(f"    {where}{direction} {e.pointer or '/'} = {short(e.value)}")
                lines.append(f"      {e.message}")
        return "\n".join(lines)


def _size(n: int) -> str:
    if n < 1000:
        return f"{n:,} B"
    value = float(n)
    for unit in ("kB", "MB"):
        value /= 1000
        if value < 1000:
            return f"{value:.1f} {unit}"
    return f"{value / 1000:.1f} GB"


__all__ = ["Example", "Report", "RuleGroup", "format_time"]
