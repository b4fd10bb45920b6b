"""Argument parsing and the one place where failures become a line on stderr and an exit code.

Every subcommand module registers its parser and a handler ``(args, out) -> int``;
``main`` runs it and maps any exception to the documented exit code
(:mod:`dmsproto.cli.exits`). ``--debug`` adds the traceback and logs the frames.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import traceback
from collections.abc import Sequence

from .. import __version__
from ..errors import ConnectError, ConnectionLost, InvalidOptions
from ..excgroups import sole_exception
from . import (
    cmd_changelog,
    cmd_completion,
    cmd_history,
    cmd_proxy,
    cmd_read,
    cmd_serve,
    cmd_sites,
    cmd_users,
    cmd_validate,
    cmd_watch,
    cmd_write,
    connection,
    demo,
    exits,
)
from .output import Output

DESCRIPTION = """\
The command line of dmsproto: read, search, write and watch datapoints of a ProMoS /
Saia Visi.Plus DMS over its JSON Data Exchange, pull trend history and change logs,
run a simulator (serve) and try it all with `dmsproto demo`."""


def _output_arguments(parser: argparse.ArgumentParser) -> None:
    sup = argparse.SUPPRESS
    group = parser.add_argument_group("output")
    group.add_argument("--json", action="store_true", default=sup,
                       help="JSON for scripts (JSON Lines for watch)")
    group.add_argument("--no-color", dest="no_color", action="store_true", default=sup,
                       help="no colour (also: NO_COLOR environment variable)")
    group.add_argument("--debug", action="store_true", default=sup,
                       help="log the frames and show tracebacks")


def build_parser(*, load_validate: bool = False) -> argparse.ArgumentParser:
    """The full parser; the validator's own arguments are loaded only when asked for."""
    common = argparse.ArgumentParser(add_help=False)
    _output_arguments(common)
    conn = argparse.ArgumentParser(add_help=False)
    connection.add_arguments(conn)
    parser = argparse.ArgumentParser(
        prog="dmsproto", description=DESCRIPTION,
        epilog="exit codes:\n" + _exit_table(), formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--version", action="version", version=f"dmsproto {__version__}")
    _output_arguments(parser)
    connection.add_arguments(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    client_parents = [common, conn]
    demo.register(sub, [common])
    cmd_read.register(sub, client_parents)
    cmd_write.register(sub, client_parents)
    cmd_watch.register(sub, client_parents)
    cmd_history.register(sub, client_parents)
    cmd_changelog.register(sub, client_parents)
    cmd_sites.register(sub, [common])
    cmd_users.register(sub, [common])
    cmd_completion.register(sub, [])
    cmd_serve.register(sub, [common])
    cmd_proxy.register(sub, [common])
    cmd_validate.register(sub, [], load=load_validate)
    return parser


def _exit_table() -> str:
    doc = exits.__doc__ or ""
    rows = [line.split(None, 1) for line in doc.splitlines() if line[:4].strip().isdigit()]
    return "\n".join(f"  {code:>3}  {text.replace('``', '')}" for code, text in rows)


def _setup_logging(debug: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    fmt = "%(asctime)s %(name)s %(levelname)s %(message)s" if debug else (
        "dmsproto: %(levelname)s: %(message)s")
    handler.setFormatter(logging.Formatter(fmt))
    logger = logging.getLogger("dmsproto")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)


def describe(exc: BaseException) -> str:
    """One line saying what went wrong."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


TIME_OPTIONS = ("--start", "--end", "--stamp")


def glue_relative_times(arguments: list[str]) -> list[str]:
    """``--start -1d`` as ``--start=-1d``: argparse would take ``-1d`` for an option."""
    glued: list[str] = []
    index = 0
    while index < len(arguments):
        token = arguments[index]
        following = arguments[index + 1] if index + 1 < len(arguments) else ""
        if token in TIME_OPTIONS and following.startswith("-") and following[1:2].isdigit():
            glued.append(f"{token}={following}")
            index += 2
            continue
        glued.append(token)
        index += 1
    return glued


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``dmsproto`` command; returns the exit code."""
    arguments = glue_relative_times(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser(load_validate="validate" in arguments)
    args = parser.parse_args(arguments)
    debug = bool(getattr(args, "debug", False))
    _setup_logging(debug)
    out = Output(json_mode=bool(getattr(args, "json", False)),
                 color=False if getattr(args, "no_color", False) else None)
    try:
        return int(args.handler(args, out))
    except KeyboardInterrupt:
        out.note("dmsproto: interrupted")
        return exits.INTERRUPTED
    except Exception as exc:
        real = sole_exception(exc) or exc
        if isinstance(real, KeyboardInterrupt):
            out.note("dmsproto: interrupted")
            return exits.INTERRUPTED
        if isinstance(real, BrokenPipeError):
            # the reader went away (`| head`): stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return exits.FAILURE
        if debug:
            traceback.print_exception(exc, file=sys.stderr)
        out.note(f"dmsproto: {explain(real)}")
        return exits.exit_code(real)


def explain(exc: BaseException) -> str:
    """The error line: the message in the command line's words, with a hint where one helps.

    Option names in the library's messages (``allow_insecure_auth=True``) become the
    flags that set them (``--insecure-auth``); a WebSocket refused with close code
    1003 (the DMS's "Invalid path.") points at the path of ``--url``.
    """
    text = describe(exc)
    if isinstance(exc, InvalidOptions):
        return connection.cli_wording(text)
    if isinstance(exc, ConnectError | ConnectionLost) and re.search(r"\b1003\b", text):
        return f"{text} (check the path in --url: the DMS serves /json_data)"
    return text
