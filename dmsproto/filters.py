"""The query filters, declared once: :class:`QueryFilter`.

``Client.query`` and ``Client.subscribe`` (trio and blocking) take these keywords
(``**filters: Unpack[QueryFilter]``), ``dmsproto.protocol.query_object`` turns them
into the version's ``Query`` struct, the ``Query``/``Subscribe`` operations accept
them as a mapping, and ``dmsproto ls``/``watch`` generate their filter flags from
them.  The DMS evaluates every filter; which ones a protocol version has is read
off its generated ``Query`` struct (``wire``: the attribute there), so a filter the
version lacks raises ``NotInVersionError`` before anything is sent.  To add a
filter, add one field here: ``name: Annotated[type, Opt(None, "help", wire=..., cli=...)]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, TypedDict

from .declare import Cli, Opt, describe


class QueryFilter(TypedDict, total=False):
    """The filters of a search (``query``) or a subscription; ``None`` = not given."""

    regex_path: Annotated[str | None, Opt(
        None, "only paths matching this PCRE", wire="reg_ex_path", cli=Cli(metavar="RE"),
    )]
    regex_value: Annotated[str | None, Opt(
        None, "only values matching this PCRE", wire="reg_ex_value", cli=Cli(metavar="RE"),
    )]
    regex_stamp: Annotated[str | None, Opt(
        None, "only timestamps (in the DMS's format) matching this PCRE", wire="reg_ex_stamp",
    )]
    types: Annotated[Iterable[str] | str | None, Opt(
        None,
        "only these value types out of none, bool, int, double, string (a list, or "
        "commas between)",
        wire="is_type",
        cli=Cli("type", metavar="T,..."),
    )]
    has_hist_data: Annotated[bool | None, Opt(
        None,
        "only datapoints with trend history (False: without)",
        cli=Cli("has-history", switch=True, help="only datapoints with trend history"),
    )]
    has_changelog: Annotated[bool | None, Opt(
        None,
        "only datapoints with a change log (False: without; protocol 1.4 on)",
        cli=Cli(switch=True, help="only datapoints with a change log (protocol 1.4 on)"),
    )]
    has_prot_data: Annotated[bool | None, Opt(
        None, "the protocol 1.3 name of has_changelog",
    )]
    has_alarm_data: Annotated[bool | None, Opt(
        None,
        "only alarm datapoints (False: no alarm datapoints)",
        cli=Cli("has-alarms", switch=True, help="only alarm datapoints"),
    )]
    max_depth: Annotated[int | None, Opt(
        None,
        "levels below the path to search (0 = unlimited; the DMS's default is 1)",
        cli=Cli("depth", metavar="N"),
        at_least=0,
    )]


describe(QueryFilter)

__all__ = ["QueryFilter"]
