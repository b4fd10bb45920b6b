"""Every named rule of the validator, once: its severity, how it is found, what it checks.

The kinds of rule:

- ``schema``: a JSON Schema keyword (``type``, ``required``, ``enum``, ...) failed;
  always an error; where it applies is the schema itself.
- ``annotation``: a check the schema cannot express, applied exactly where the
  schema carries ``"x-rules": ["<name>"]``; so where it applies (request, response,
  event) is read from the schema (see :func:`dmsproto.validation.placements`).
- ``frame``: the message as a whole (``json``, ``frame``).
- ``capture`` / ``session``: found by ``dmsproto validate`` on whole captures: per
  record, or across the messages of one connection (request and response, events
  and subscriptions).
- ``live``: found only by ``dmsproto proxy`` on live traffic, below the messages (a
  WebSocket frame that cannot be read never reaches a capture).

A violation's severity is its rule's: :func:`found` builds violations with it.
:data:`SCOPES` says where a rule of each kind applies (an annotation rule's place is
read from the schema instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .model import Severity, Violation

Kind = Literal["schema", "annotation", "frame", "capture", "session", "live"]

SCOPES: dict[Kind, str] = {
    "schema": "where the version's schema puts the keyword",
    "annotation": "where the version's schema carries the rule in x-rules",
    "frame": "every message",
    "capture": "each capture record",
    "session": "across the messages of a connection",
    "live": "WebSocket frames passing dmsproto proxy",
}
"""Where the rules of each kind apply, for people (``--list-rules``, the docs)."""


@dataclass(frozen=True)
class Rule:
    """One named rule of the validator.

    Args:
        name: the rule's name, as reports and ``--ignore`` give it.
        severity: ``error`` or ``warning``.
        kind: which part of the validator checks it.
        summary: what it checks and on which section of the document it rests.
    """

    name: str
    severity: Severity
    kind: Kind
    summary: str


def _rules(*rules: Rule) -> dict[str, Rule]:
    return {r.name: r for r in rules}


RULES: dict[str, Rule] = _rules(
    # -- the message as a whole
    Rule("json", "error", "frame", "the text is not JSON (or not UTF-8) (2.3)"),
    Rule("frame", "error", "frame",
         "a frame is a JSON object; a request or response holds at least one command"),
    # -- checks the schema places with x-rules
    Rule("path-length", "error", "annotation",
         "a written path (set, rename target) is longer than the longest path a DMS "
         "stores (3.1.5: 160 characters on ProMoS 2.x; longer writes are rejected)"),
    Rule("array-index", "error", "annotation",
         "a request path with an index part reads PATH[n]SUFFIX, n >= 1 (<= 1024 when "
         "written) and a suffix of the version's table (3.1.4)"),
    Rule("timestamp", "error", "annotation",
         "a timestamp is a valid ISO 8601 date-time with Z or an offset: real dates, "
         "times and offsets (2.8)"),
    Rule("stamp-form", "warning", "annotation",
         "a timestamp from the DMS is in another ISO 8601 form than the DMS's own "
         "YYYY-MM-DDThh:mm:ss,fff+hh:mm (2.8)"),
    Rule("value-type", "error", "annotation",
         "value and type agree: int a whole number, double a number a double holds, "
         "string a string, bool a boolean; an array element as its index suffix says "
         "(3.1.4, 3.3.2)"),
    Rule("none-type", "error", "annotation",
         "a node of type none has value null and stamp null (2.8, 3.2.6)"),
    Rule("regex", "error", "annotation",
         "a query pattern is a valid PCRE 8.35 regular expression (3.2.2)"),
    Rule("empty-command", "warning", "annotation",
         "a request command array is empty: the document's schemas ask for at least "
         "one item; real DMSs accept it (a vendor client sends set: [], get: [])"),
    Rule("changelog-groups-item", "warning", "annotation",
         "changelogGetGroups takes an empty array (4.2.2); a field client sends one "
         "{\"changelogGetGroups\": []} item per call, which real DMSs answer"),
    Rule("set-user", "warning", "annotation",
         "a set request without the root 'user' the set table marks mandatory (3.3.2); "
         "identification needs only whois (3.1.1)"),
    # -- per capture record
    Rule("capture", "error", "capture", "a capture record that holds no usable message"),
    Rule("binary-frame", "warning", "capture",
         "a DMS message in a binary WebSocket frame: JSON is text (2.3, RFC 6455); the "
         "vendor's own Node-RED client sends binary frames and real DMSs answer them"),
    Rule("websocket-only", "error", "capture",
         "subscribe or unsubscribe sent in an HTTP POST: monitoring is only possible on "
         "WebSocket connections (3.1, 3.6)"),
    # -- below the messages, seen live only
    Rule("websocket", "error", "live",
         "a WebSocket frame breaks RFC 6455 (a client frame without a mask, a reserved bit "
         "set, text that is not UTF-8, ...); the proxy closes both sides"),
    # -- across the messages of one connection
    Rule("orphan-request", "error", "session", "a request that never got a response"),
    Rule("orphan-response", "error", "session", "a response that answers no open request"),
    Rule("tag-echo", "error", "session",
         "a response without its request's root tag, or with one its request did not "
         "send (2.9)"),
    Rule("command-echo", "error", "session",
         "a response lacks a command of its request, or adds one"),
    Rule("item-count", "error", "session",
         "a response array differs in length from its request array (not for queries, "
         "changelogGetGroups and the one fatal-error item of 3.2.1) (3.1.2)"),
    Rule("item-order", "error", "session",
         "response items answer the request items in another order (3.1.2)"),
    Rule("path-echo", "error", "session",
         "a response item answers another path (rename: also another newPath, 3.4.3; "
         "changelogRead: another group, 4.3.3)"),
    Rule("item-tag", "error", "session",
         "a response item lacks its request item's tag, or carries one never sent"),
    Rule("whois", "warning", "session",
         "a write (set, rename, delete) without whois: needed on unauthenticated "
         "connections, optional on authenticated ones (3.1.1); a capture does not show which"),
    Rule("event-unsubscribed", "error", "session",
         "an event for a tag or path never subscribed on this connection, or whose "
         "subscription the DMS refused (3.6.3, 3.6.4)"),
    Rule("event-after-unsubscribe", "error", "session",
         "an event for a subscription already cancelled (3.6.3)"),
)
"""Every rule of the validator by name: one place for names, severities and summaries."""

#: A JSON Schema keyword that failed (``type``, ``required``, ...): always an error.
SCHEMA_RULE = Rule("schema", "error", "schema", "a JSON Schema keyword of the version's schema")


def rule(name: str) -> Rule:
    """The rule named ``name``.

    Args:
        name: a rule's name, or a JSON Schema keyword (``type``, ``required``, ...).

    Returns:
        The rule; every JSON Schema keyword is the one rule ``schema``.
    """
    return RULES.get(name, SCHEMA_RULE)


def severity(name: str) -> Severity:
    """The severity of rule ``name``."""
    return rule(name).severity


def found(name: str, pointer: str, value: Any, message: str) -> Violation:
    """A violation of rule ``name`` with that rule's severity."""
    return Violation(pointer, name, value, message, rule(name).severity)


def binary_frame() -> Violation:
    """The finding for a DMS message that travelled in a binary WebSocket frame."""
    return found("binary-frame", "", None,
                 "message sent in a binary WebSocket frame; JSON goes in text frames")


MONITOR_COMMANDS = ("subscribe", "unsubscribe")
"""The commands "only for WebSocket connection" (3.1)."""


def websocket_only(frame: dict[str, Any]) -> list[Violation]:
    """The findings for a request that travelled in an HTTP POST: one per monitor command."""
    return [found("websocket-only", f"/{command}", frame[command],
                  f"{command} sent in an HTTP POST; monitoring is only possible on "
                  "WebSocket connections (3.6)")
            for command in MONITOR_COMMANDS if command in frame]


ANNOTATION_RULES = frozenset(r.name for r in RULES.values() if r.kind == "annotation")

__all__ = ["ANNOTATION_RULES", "MONITOR_COMMANDS", "RULES", "SCHEMA_RULE", "SCOPES", "Kind",
           "Rule", "binary_frame", "found", "rule", "severity", "websocket_only"]
