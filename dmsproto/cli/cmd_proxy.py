"""``proxy``: stand between any client and a DMS, forward everything, validate it live.

The first line on stdout is the proxy's WebSocket URL (with ``--json`` a JSON
object saying where it listens), so scripts and tests can start ``dmsproto proxy
--listen 127.0.0.1:0`` and read where to connect.  Then each violation prints on
stdout the moment its message passes (JSON Lines with ``--json``), connection
events go to stderr (into the JSON Lines with ``--json``), and Ctrl-C prints the
summary, which reads like ``dmsproto validate``'s report.  The exit code is
``validate``'s: 1 when errors were seen (with ``--strict`` also warnings), else 0.
"""

from __future__ import annotations

import argparse
import signal
import ssl
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from functools import partial
from typing import Any

import trio

from ..capture.report import format_time
from ..client._options import cert_chain_failure
from ..errors import ConnectError
from ..proxy.scheduling import DEFAULT_POLICY, POLICIES, schedule_process
from ..validation.model import short
from ..versions import DEFAULT_VERSION, VERSIONS
from ..wording import count
from . import exits
from .output import Output
from .recording import open_recording

HELP = "validate live traffic between any client and a DMS"
DEFAULT_PORT = 9020
DEFAULT_TLS_PORT = 9021
EPILOG = """\
Every message is forwarded unchanged (a witness, not a filter) and checked with the
rules of `dmsproto validate`; --block-invalid answers requests with errors itself,
as a DMS answers a request it cannot carry out.

exit codes: 0 no errors seen, 1 errors seen (with --strict also warnings),
2 usage or input error (also an address it cannot listen on), 9 --tls-self-signed
needs the 'cryptography' package."""


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``proxy`` subcommand and its flags to the command line."""
    p = sub.add_parser("proxy", parents=parents, help=HELP, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Forward WebSocket and HTTP POST traffic between clients "
                       "and a DMS and validate every message live; Ctrl-C prints the "
                       "summary. Prints its WebSocket URL as the first line.")
    p.add_argument("--upstream", required=True, metavar="URL",
                   help="the DMS: ws://, wss://, http:// or https:// URL")
    p.add_argument("--listen", default=None, metavar="HOST:PORT",
                   help="where clients connect (port 0 = any free) "
                        f"[127.0.0.1:{DEFAULT_PORT}, with TLS {DEFAULT_TLS_PORT}]")
    up = p.add_argument_group("TLS to the DMS")
    up.add_argument("--cafile", metavar="FILE", help="trust this CA/certificate file")
    up.add_argument("--cert", metavar="FILE",
                    help="client certificate the proxy presents to the DMS (PEM)")
    up.add_argument("--key", metavar="FILE", help="key of --cert (if not inside it)")
    up.add_argument("--no-check-hostname", action="store_true",
                    help="accept a DMS certificate issued for another host name")
    down = p.add_argument_group("TLS to the clients")
    down.add_argument("--tls-cert", metavar="FILE", help="listen with TLS, this certificate")
    down.add_argument("--tls-key", metavar="FILE", help="key of --tls-cert (if not inside it)")
    down.add_argument("--tls-self-signed", nargs="?", const="", default=None, metavar="DIR",
                      help="listen with TLS, with a certificate and key made now, written to "
                           "DIR (kept) or a temporary folder; prints the file clients pass to "
                           "--cafile (needs dmsproto[tls])")
    check = p.add_argument_group("validation")
    check.add_argument("--protocol", "--version", dest="protocol", default=DEFAULT_VERSION,
                       choices=sorted(VERSIONS), metavar="X.Y",
                       help="protocol version to validate against (one of "
                            f"{', '.join(sorted(VERSIONS))}) [{DEFAULT_VERSION}]")
    check.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    check.add_argument("--block-invalid", action="store_true",
                       help="answer requests with errors instead of forwarding them")
    check.add_argument("--record", metavar="FILE",
                       help="write every message to a JSON Lines capture (see validate)")
    check.add_argument("--max-examples", type=int, default=5, metavar="N",
                       help="examples per rule in the summary [5]")
    p.add_argument("--scheduling", default=DEFAULT_POLICY, choices=POLICIES,
                   help="batch: on a machine it shares with the client or the DMS, the "
                        "proxy never preempts them when a frame arrives, and reads what came "
                        "meanwhile at once (Linux only; less CPU per message); normal: as "
                        "started "
                        f"[{DEFAULT_POLICY}]")
    p.set_defaults(handler=run_proxy)


def run_proxy(args: argparse.Namespace, out: Output) -> int:
    """Check the options, listen, forward until Ctrl-C; the exit code."""
    from ..proxy import LiveChecker, Proxy, Witness, parse_listen, upstream_from_url

    self_signed = args.tls_self_signed is not None
    if args.tls_key and not args.tls_cert:
        raise exits.usage("--tls-key needs --tls-cert")
    if args.tls_cert and self_signed:
        raise exits.usage("give --tls-cert or --tls-self-signed, not both")
    if args.max_examples < 0:
        raise exits.usage("--max-examples must be 0 or more")
    try:
        upstream = upstream_from_url(args.upstream, cafile=args.cafile, certfile=args.cert,
                                     keyfile=args.key,
                                     check_hostname=not args.no_check_hostname)
    except ConnectError as exc:
        raise exits.usage(str(exc)) from None
    tls = bool(args.tls_cert) or self_signed
    try:
        host, port = parse_listen(args.listen or "127.0.0.1",
                                  default_port=DEFAULT_TLS_PORT if tls else DEFAULT_PORT)
    except ValueError as exc:
        raise exits.usage(str(exc)) from None
    console = Console(out)
    with _listen_context(args, host, console) as context:
        checker = LiveChecker(args.protocol)
        checker.report.max_examples = args.max_examples
        recorder = open_recording(args.record, label="dmsproto proxy") if args.record else None
        witness = Witness(checker, recorder=recorder, listener=console)
        proxy = Proxy(upstream, witness, host=host, port=port, ssl_context=context,
                      block_invalid=args.block_invalid)
        console.scheduling = schedule_process(args.scheduling)
        try:
            trio.run(partial(_serve, proxy, console, args))
        finally:
            if recorder is not None:
                recorder.close()
    if console.gone is not None:
        raise console.gone  # its reader went away (`| head`): the command stops quietly
    console.summary(proxy)
    return witness.exit_status(strict=args.strict)


@contextmanager
def _listen_context(args: argparse.Namespace, host: str,
                    console: Console) -> Iterator[ssl.SSLContext | None]:
    """The TLS context to listen with (None: plain).

    ``--tls-self-signed`` makes its files as ``serve --tls-self-signed`` does
    (:mod:`.selfsigned`): in the folder given, or in a temporary one that goes when the
    proxy stops.
    """
    with ExitStack() as stack:
        cert, key = args.tls_cert, args.tls_key
        if args.tls_self_signed is not None:
            from .selfsigned import self_signed_files

            try:
                files = stack.enter_context(
                    self_signed_files(args.tls_self_signed or None, host))
            except OSError as exc:
                raise exits.usage(f"--tls-self-signed {args.tls_self_signed}: "
                                  f"{exc.strerror or exc}") from None
            console.note(files.announce())
            cert, key = files.certificate, files.key
        if not cert:
            yield None
            return
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as exc:
            raise exits.usage(f"cannot load the TLS certificate: "
                              f"{cert_chain_failure(cert, key, exc)}") from None
        yield context


async def _serve(proxy: Any, console: Console, args: argparse.Namespace) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        try:
            async with proxy:
                with trio.CancelScope() as console.stop:
                    console.started(proxy, args)
                    problem = await proxy.probe()
                    if problem is not None:
                        console.note(f"warning: {problem} (clients get 502 until it can be "
                                     "reached)")
                    async for _ in signals:
                        break
        except OSError as exc:
            # 2, as for a bad --listen: 1 would read as "errors seen" to a script
            raise exits.usage(f"cannot listen on {proxy.host}:{proxy.port}: "
                              f"{exc.strerror or exc}") from None


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).strftime("%H:%M:%S.%f")[:-3]


class Console:
    """What the person (or script) sees: findings as they happen, notices, the summary."""

    def __init__(self, out: Output) -> None:
        self.out = out
        self.gone: OSError | None = None
        """Why the output failed (its reader went away); the proxy then stops."""
        self.stop: trio.CancelScope | None = None
        """Cancelled when the output fails: the proxy's wait for Ctrl-C."""
        self.scheduling: str | None = None
        """Why the process is not scheduled as ``--scheduling`` asked, if it is not."""

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Printing that fails (``| head`` exited) stops the proxy instead of a connection."""
        try:
            yield
        except OSError as exc:
            if self.gone is None:
                self.gone = exc
            if self.stop is not None:
                self.stop.cancel()

    def note(self, text: str) -> None:
        """Print a line about the proxy itself (not a finding)."""
        with self._writing():
            self.out.note(self.out.style(text, "dim", err=True))

    def started(self, proxy: Any, args: argparse.Namespace) -> None:
        """Say where the proxy listens and what it forwards to."""
        with self._writing():
            self._started(proxy, args)

    def _started(self, proxy: Any, args: argparse.Namespace) -> None:
        upstream = proxy.upstream
        if self.out.json_mode:
            self.out.json_line({"kind": "listening", "url": proxy.url,
                                "http_url": proxy.http_url, "upstream": upstream.url,
                                "protocol": args.protocol})
        else:
            self.out.line(proxy.url)
        self.note(f"HTTP POST {proxy.http_url}")
        self.note(f"forwarding to {upstream.url} (and HTTP POST), validating protocol "
                  f"{args.protocol}" + ("; requests with errors are refused"
                                        if args.block_invalid else ""))
        if upstream.client_certificate is not None:
            self.note(f"presenting the client certificate {upstream.client_certificate} "
                      "to the DMS: every client acts as its holder there")
        if args.record:
            self.note(f"recording to {args.record}")
        if self.scheduling is not None:
            self.note(f"note: {self.scheduling}")
        self.note("Ctrl-C prints the summary")

    def __call__(self, item: Any) -> None:
        """Print a finding or notice as it happens."""
        with self._writing():
            self._show(item)

    def _show(self, item: Any) -> None:
        from ..proxy import Finding

        out = self.out
        if isinstance(item, Finding):
            if out.json_mode:
                out.json_line({"kind": "violation", **item.as_dict(),
                               "time": format_time(item.time)})
                return
            colour = "red" if item.severity == "error" else "yellow"
            out.line(f"{out.style(_clock(item.time), 'dim')} {item.client} "
                     f"{item.direction or '-'} #{item.message_number} "
                     f"{out.style(item.severity, colour)} {out.style(item.rule, 'bold')} "
                     f"{item.pointer or '/'} = {short(item.value)}: {item.message}")
            return
        if out.json_mode:
            out.json_line({"kind": "connection", **item.as_dict(),
                           "time": format_time(item.time)})
        else:
            self.note(f"{_clock(item.time)} {item.client} {item.event}: {item.text}")

    def summary(self, proxy: Any) -> None:
        """Print the totals when the proxy stops."""
        witness = proxy.witness
        report = witness.checker.report
        name = f"proxy {proxy.url} -> {proxy.upstream.url}"
        report.files = [name]
        report.per_file[name] = report.messages
        notices = {k: v for k, v in sorted(witness.notices.items()) if k not in ("open",
                                                                                  "close")}
        if self.out.json_mode:
            self.out.json_line({"kind": "summary", "connections": witness.connections,
                                "errors": witness.errors, "warnings": witness.warnings,
                                "notices": notices, "report": report.as_dict()})
            return
        self.out.line(report.to_text())
        events = ", ".join(f"{n} {k}" for k, n in notices.items())
        self.out.line(f"{count(witness.connections, 'client connection')}; "
                      f"{count(witness.errors, 'error')}, {count(witness.warnings, 'warning')}"
                      + (f"; {events}" if events else ""))
