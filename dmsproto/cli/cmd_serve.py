"""``serve``: the DMS simulator on the command line, until Ctrl-C.

The first line on stdout is the bound WebSocket URL and nothing else, so scripts and
tests can start ``dmsproto serve --port 0`` and read where it listens.

With TLS it behaves like a DMS's defaults (2.4.2.3): TLS 1.2 only (``UseSecureTls=1``)
and authentication required (``AuthRequired=1``, so a users file is needed);
``--no-secure-tls`` and ``--no-auth-required`` relax them as the DMS's settings do.
``--tls-self-signed [DIR]`` serves TLS without a certificate made beforehand: one is
made now (with its key, in ``DIR`` or a temporary folder removed at the end) and
stderr says which file clients pass to ``--cafile``.
``--debug`` logs connections and frames to stderr (cut, never credentials);
``--record FILE`` writes every message to a JSON Lines capture.
"""

from __future__ import annotations

import argparse
import os
import signal
import textwrap
from contextlib import ExitStack
from functools import partial
from typing import Any

import trio

from ..versions import DEFAULT_VERSION
from . import exits
from .output import Output
from .recording import open_recording

FAULT_KINDS_HERE = "{fault kinds}"
"""Stands in the help for the fault kinds, read from their declarations when shown."""


class _HelpWithFaultKinds(argparse.RawDescriptionHelpFormatter):
    """Lists the simulator's fault kinds in ``serve --help`` only.

    Other commands and usage errors do not import the simulator.
    """

    def add_text(self, text: str | None) -> None:
        if text == FAULT_KINDS_HERE:
            from ..sim.faults import describe_fault_kinds
            from ..sim.limits import describe_limits

            super().add_text(textwrap.fill(describe_limits(), 80))
            text = ("faults (--fault KIND[:ARG]..., values in order or NAME=VALUE, MATCH is "
                    "a command\nname or * for any request; each is used by the first "
                    "matching request):\n" + describe_fault_kinds())
        super().add_text(text)


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` subcommand and its flags to the command line."""
    s = sub.add_parser("serve", parents=parents, help="run the DMS simulator",
                       description="Run the DMS simulator (WebSocket and HTTP POST on one port) "
                       "until Ctrl-C. Prints its WebSocket URL as the first line.",
                       epilog=FAULT_KINDS_HERE, formatter_class=_HelpWithFaultKinds)
    s.add_argument("--plant", metavar="FILE", help="plant file (JSON) [the demo plant]")
    s.add_argument("--host", default="127.0.0.1", help="address to bind [127.0.0.1]")
    s.add_argument("--port", type=int, default=None,
                   help="port (0 = any free) [9020, with TLS 9021]")
    s.add_argument("--tls-cert", metavar="FILE", help="serve TLS with this certificate (PEM)")
    s.add_argument("--tls-key", metavar="FILE", help="key of --tls-cert (if not inside it)")
    s.add_argument("--tls-self-signed", nargs="?", const="", default=None, metavar="DIR",
                   help="serve TLS with a certificate and key made now, written to DIR (kept) "
                   "or a temporary folder; prints the file clients pass to --cafile "
                   "(needs dmsproto[tls])")
    s.add_argument("--client-ca", metavar="FILE", help="verify client certificates with this CA")
    s.add_argument("--users", metavar="FILE", help="users file (Basic auth / certificates)")
    s.add_argument("--no-secure-tls", action="store_true",
                   help="allow TLS versions other than 1.2 (the DMS's UseSecureTls=0)")
    s.add_argument("--no-auth-required", action="store_true",
                   help="let unauthenticated TLS clients in (the DMS's AuthRequired=0)")
    lists = s.add_mutually_exclusive_group()
    lists.add_argument("--ip-lists", metavar="FILE",
                       help="IP allow/block lists in the DMS's DMS_JSON_IPS.cfg format "
                       "[plain: 127.0.0.1 and ::1 only; TLS: any]")
    lists.add_argument("--shipped-ip-lists", action="store_true",
                       help="the IP lists a DMS ships with (plain also from 192.168.96.0/20 "
                       "and 172.18.8.0/23)")
    s.add_argument("--record", metavar="FILE",
                   help="write every message to a JSON Lines capture (dmsproto validate)")
    s.add_argument("--tick", type=float, default=1.0, metavar="S",
                   help="seconds between System:Time ticks; 0 = no ticks and no blinkers [1]")
    s.add_argument("--protocol", dest="sim_protocol", default=DEFAULT_VERSION, metavar="X.Y",
                   help=f"protocol version to speak [{DEFAULT_VERSION}]")
    s.add_argument("--fault", action="append", default=[], metavar="KIND[:ARG]...",
                   help="arm a one-shot fault, e.g. hold:get, delay:30:get or "
                   "http-status:403 (repeatable; the kinds are listed below)")
    s.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace, out: Output) -> int:
    """``dmsproto serve``: run the simulator until Ctrl-C."""
    if args.tls_key and not args.tls_cert:
        raise exits.usage("--tls-key needs --tls-cert")
    self_signed = args.tls_self_signed is not None
    if self_signed and args.tls_cert:
        raise exits.usage("give --tls-cert or --tls-self-signed, not both")
    auth_required = not args.no_auth_required
    if (args.tls_cert or self_signed) and auth_required and not args.users:
        raise exits.usage("with TLS, authentication is required: give --users FILE "
                          "(or --no-auth-required); dmsproto users add FILE NAME makes one")
    with ExitStack() as stack:
        cert, key = args.tls_cert, args.tls_key
        if self_signed:
            from .selfsigned import self_signed_files

            try:
                files = stack.enter_context(
                    self_signed_files(args.tls_self_signed or None, args.host))
            except OSError as exc:
                raise exits.usage(f"--tls-self-signed {args.tls_self_signed}: "
                                  f"{exc.strerror or exc}") from None
            cert, key = files.certificate, files.key
            out.note(files.announce())
        return _run(args, out, cert, key, auth_required)


def _run(args: argparse.Namespace, out: Output, cert: str | os.PathLike[str] | None,
         key: str | os.PathLike[str] | None, auth_required: bool) -> int:
    """Build the simulator from the checked options and serve until Ctrl-C."""
    # imported here: the client commands do not need the simulator
    from ..sim import Simulator, server_ssl_context
    from ..sim.auth import IPLists, Users
    from ..sim.faults import Faults
    from ..sim.plant import PlantError
    from ..sim.server import DEFAULT_PORT, DEFAULT_TLS_PORT

    context = None
    if cert:
        try:
            context = server_ssl_context(cert, key, client_ca=args.client_ca,
                                         secure_tls=not args.no_secure_tls)
        except (OSError, ValueError) as exc:
            raise exits.usage(f"cannot load the TLS certificate: {exc}") from None
    allow = None
    if args.shipped_ip_lists:
        allow = IPLists.shipped()
    elif args.ip_lists:
        try:
            allow = IPLists.load(args.ip_lists)
        except (OSError, ValueError) as exc:
            raise exits.usage(f"cannot read the IP lists {args.ip_lists}: {exc}") from None
    users = None
    if args.users:
        try:
            users = Users.load(args.users)
        except (OSError, ValueError) as exc:
            reason = (exc.strerror if isinstance(exc, OSError) else
                      "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc))
            raise exits.usage(f"cannot read the users file {args.users}: {reason}") from None
    faults = Faults()
    for spec in args.fault:
        try:
            faults.arm_from_text(spec)
        except ValueError as exc:
            raise exits.usage(f"--fault {spec}: {exc}") from None
    port = args.port if args.port is not None else (
        DEFAULT_TLS_PORT if context is not None else DEFAULT_PORT)
    try:
        sim = Simulator(args.plant, host=args.host, port=port, ssl_context=context,
                        users=users, tick_interval=args.tick or None,
                        protocol=args.sim_protocol, faults=faults, allow=allow,
                        auth_required=auth_required if context is not None else None)
    except (PlantError, OSError, ValueError) as exc:
        what = f"plant file {args.plant}" if args.plant else "the demo plant"
        problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise exits.usage(f"cannot load {what}: {problem}") from None
    if args.record:
        sim.recorder = open_recording(args.record, label="dmsproto serve")
    try:
        trio.run(partial(_serve, sim, out))
    finally:
        if sim.recorder is not None:
            sim.recorder.close()
    return exits.OK


async def _serve(sim: Any, out: Output) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        try:
            async with sim:
                out.line(sim.url)
                out.line(f"HTTP POST {sim.http_url}")
                out.note(out.style("DMS simulator running; Ctrl-C to stop", "dim", err=True))
                async for _ in signals:
                    break
        except OSError as exc:
            raise exits.CliError(f"cannot listen on {sim.host}:{sim.port}: {exc.strerror}",
                                 exits.FAILURE) from None
    out.note("simulator stopped")
