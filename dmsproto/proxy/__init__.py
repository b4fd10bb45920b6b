"""A live validating proxy: any client, a real DMS, every message checked as it passes.

``dmsproto proxy --listen 127.0.0.1:9020 --upstream wss://dms:9021/json_data`` puts
the proxy between a client we do not control (a web HMI, a Node-RED flow, another
language's client) and the DMS.  It forwards WebSocket and HTTP POST traffic
unchanged, frame by frame, and checks every message with the rules of
``dmsproto validate``.  As a library::

    checker = LiveChecker("1.4")
    witness = Witness(checker, listener=print)
    upstream = upstream_from_url("ws://127.0.0.1:9020/json_data")
    async with Proxy(upstream, witness, port=9030) as proxy:
        ...  # clients connect to proxy.url

Layout: :mod:`.config` (upstream, listen address, limits), :mod:`.live` (the
validation interface), :mod:`.witness` (checking, recording, telling),
:mod:`.server` (the listener), :mod:`.clienttls` (TLS with the clients),
:mod:`.websocket` and :mod:`.exchange` (one client's WebSocket or HTTP traffic),
:mod:`.http1` (h11 on both sides), :mod:`.upstream` (reaching the DMS),
:mod:`.refusal` (``--block-invalid``'s answer), :mod:`.scheduling` (how the command
asks the system to schedule its own process).  What ``dmsproto proxy`` prints is the
command's business
(:mod:`dmsproto.cli.cmd_proxy`).
"""

from __future__ import annotations

from .config import Limits, Upstream, parse_listen, upstream_from_url
from .live import FRAMING_RULE, Finding, LiveChecker, Severity
from .refusal import REFUSED, refusal
from .server import Proxy
from .witness import NOTICES, Listener, Notice, Witness, exit_status

__all__ = ["FRAMING_RULE", "NOTICES", "REFUSED", "Finding", "Limits", "Listener",
           "LiveChecker", "Notice", "Proxy", "Severity", "Upstream", "Witness",
           "exit_status", "parse_listen", "refusal", "upstream_from_url"]
