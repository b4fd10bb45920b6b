"""The connection options, declared once: :class:`ConnectOptions`.

``dmsproto.connect(url, **options)`` and ``dmsproto.sync.connect(url, **options)``
take exactly these keywords (mypy checks them through ``Unpack``), and the
``dmsproto`` command line generates its connection flags, ``DMSPROTO_*``
environment variables and config keys from the same fields.  To add an option,
add one field here: ``name: Annotated[type, Opt(default, "help", cli=Cli(...))]``.

Example::

    options: dmsproto.options.ConnectOptions = {"whois": "my-app", "timeout": 5.0}
    async with dmsproto.connect("wss://dms:9021/json_data", **options) as dms: ...
"""

from __future__ import annotations

import os
import random
import ssl
from typing import Annotated, TypedDict

from msgspec import Struct

from .declare import Cli, Opt, declared, describe
from .errors import EncodeError
from .protocol.core import DEFAULT_CHUNK_SIZE
from .recorder import Recorder
from .versions import DEFAULT_VERSION, Version


class ReconnectPolicy(Struct, frozen=True):
    """Automatic reconnection: exponential backoff with jitter.

    The n-th retry waits ``min(max_delay, initial_delay * multiplier**(n-1))``
    reduced by a random fraction up to ``jitter`` (0..1).  ``max_attempts``
    ``None`` retries forever; after the last failed attempt the client gives up
    and every waiting call and subscription gets ``ConnectionLost``.

    Attributes:
        initial_delay: seconds before the first retry.
        max_delay: the longest wait between two attempts, in seconds.
        multiplier: how much each wait grows over the one before.
        jitter: the largest fraction (0..1) taken off each wait at random, so that
            many clients of one DMS do not all come back at the same instant.
        max_attempts: retries before giving up; ``None`` retries forever.
    """

    initial_delay: float = 0.5
    max_delay: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.5
    max_attempts: int | None = None

    def delay(self, attempt: int) -> float:
        """Seconds to wait before a retry.

        Args:
            attempt: which retry (1 = the first).

        Returns:
            The delay, jitter applied.
        """
        base = min(self.max_delay, self.initial_delay * self.multiplier ** max(0, attempt - 1))
        return base * (1.0 - self.jitter * random.random())


PathArg = str | os.PathLike[str]
"""A file name: text or a path object."""


class ConnectOptions(TypedDict, total=False):
    """The keywords of ``dmsproto.connect()`` and ``dmsproto.sync.connect()``.

    Bad values raise ``ConnectError`` when connecting; an unknown keyword raises
    ``TypeError``.
    """

    url: Annotated[str, Opt(
        "ws://127.0.0.1:9020/json_data",
        "the DMS's URL: ws:// or wss:// (WebSocket), http:// or https:// (HTTP POST: no "
        "subscriptions); port 9020, with TLS 9021, and path /json_data unless given",
        cli=Cli(),
    )]
    whois: Annotated[str | None, Opt(
        "dmsproto",
        "who writes: sent with every write and reported as the trigger of the events it "
        "causes",
        cli=Cli(metavar="NAME"),
    )]
    user: Annotated[str | None, Opt(
        None,
        "the user: sent as the person logged in and, with the password, for Basic auth",
        cli=Cli(metavar="NAME"),
    )]
    password: Annotated[str | None, Opt(
        None,
        "the password for HTTP Basic auth (needs user; refused over plain ws:// and http:// "
        "unless allow_insecure_auth)",
        cli=Cli(flag=False, config=False),
        secret=True,
    )]
    ssl_context: Annotated[ssl.SSLContext | None, Opt(
        None, "a complete TLS context for wss:// and https:// (instead of the TLS files)",
    )]
    cafile: Annotated[PathArg | None, Opt(
        None,
        "trust this CA or certificate file (the DMS's self-signed certificate)",
        cli=Cli(metavar="FILE"),
    )]
    certfile: Annotated[PathArg | None, Opt(
        None, "client certificate (PEM)", cli=Cli("cert", metavar="FILE"),
    )]
    keyfile: Annotated[PathArg | None, Opt(
        None,
        "key of the client certificate (PEM; if not inside it)",
        cli=Cli("key", metavar="FILE"),
    )]
    check_hostname: Annotated[bool, Opt(
        True,
        "check that the DMS's certificate was issued for the URL's host name",
        cli=Cli("no-check-hostname", switch=False, env=False, config=False),
    )]
    allow_insecure_auth: Annotated[bool, Opt(
        False,
        "allow sending the password over plain ws:// or http://",
        cli=Cli("insecure-auth", switch=True, env=False, config=False),
    )]
    timeout: Annotated[float | None, Opt(
        10.0,
        "seconds to wait for each answer (the default of every call)",
        cli=Cli(metavar="S", help="seconds to wait for each answer"),
        above=0,
    )]
    connect_timeout: Annotated[float, Opt(
        10.0,
        "seconds for the TCP, TLS and WebSocket handshakes (TLSError, AuthenticationError "
        "or ConnectError when they fail)",
    )]
    close_timeout: Annotated[float, Opt(
        2.0, "seconds to wait for the WebSocket closing handshake",
    )]
    ping_interval: Annotated[float | None, Opt(
        20.0, "seconds between keepalive pings (None: no pings)", above=0,
    )]
    ping_timeout: Annotated[float, Opt(
        20.0,
        "seconds to wait for the pong: without one the peer is dead and the connection lost",
    )]
    reconnect: Annotated[bool | ReconnectPolicy, Opt(
        False,
        "reconnect after a lost connection, with exponential backoff and jitter (True: the "
        "default ReconnectPolicy), and renew every subscription, each reporting the gap",
    )]
    wait_for_server: Annotated[bool, Opt(
        False,
        "retry the first connection, backing off as reconnect does, until the DMS answers (a "
        "service started before its DMS), instead of failing at once; refused credentials, "
        "TLS failures and a refused path still fail at once",
        cli=Cli(switch=True),
    )]
    buffer_size: Annotated[int, Opt(
        100_000, "events each subscription buffers by default for its consumer", at_least=1,
    )]
    chunk_size: Annotated[int, Opt(
        DEFAULT_CHUNK_SIZE,
        "the most items in one request: bigger requests are split and the answers merged",
        at_least=1,
    )]
    max_message_size: Annotated[int, Opt(
        1 << 30, "the largest WebSocket message accepted from the DMS, in bytes",
    )]
    protocol: Annotated[Version, Opt(
        DEFAULT_VERSION,
        "protocol version the DMS speaks: a call or option it lacks is refused before "
        "anything is sent (NotInVersionError)",
        cli=Cli(help="protocol version the DMS speaks: what it lacks is refused before "
                "anything is sent"),
    )]
    validate_requests: Annotated[bool, Opt(
        False,
        "also check every request frame with dmsproto.validate before it is sent "
        "(EncodeError listing the violations)",
    )]
    record: Annotated[PathArg | Recorder | None, Opt(
        None,
        "write every frame sent and received to a JSON Lines capture that dmsproto validate "
        "checks (a file, this connection's session added to it, or an open Recorder, left "
        "open)",
        cli=Cli(metavar="FILE",
                help="write every frame sent and received to a JSON Lines capture that "
                "dmsproto validate checks (each command adds its session to the file)"),
    )]
    record_truncate: Annotated[bool, Opt(
        False,
        "start the record file afresh instead of adding this session to it",
        cli=Cli(switch=True),
    )]


describe(ConnectOptions)


def call_timeout(timeout: float | None) -> float | None:
    """A call's own ``timeout=`` checked against the declared ``timeout`` option.

    Every call takes the bound its default has (seconds > 0, or ``None`` to wait
    forever): 0, a negative number or NaN would give up before the request is written
    whole, and a cut-off frame costs the connection.

    Args:
        timeout: the seconds a call was given.

    Returns:
        ``timeout`` unchanged.

    Raises:
        EncodeError: ``timeout`` is not a number > 0 or ``None`` (nothing was sent).
    """
    problem = declared(ConnectOptions)["timeout"].problem(timeout)
    if problem is not None:
        raise EncodeError(problem)
    return timeout


__all__ = ["ConnectOptions", "PathArg", "ReconnectPolicy", "call_timeout"]
