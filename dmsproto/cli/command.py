"""Argument parsing and the one place where failures become a line on stderr and an exit code.

Every subcommand module registers its parser and a handler ``(args, out) -> int``;
:func:`run` runs it and maps any exception to the documented exit code
(:mod:`dmsproto.cli.exits`). ``--debug`` adds the traceback and logs the frames.

Start-up is the speed of a one-shot command in a shell loop, so a run imports and
registers only the module of the command it runs (:data:`COMMANDS`); ``--help``,
a typo and completion build the full parser.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import re
import sys
import traceback
from collections.abc import Sequence
from typing import Any, Literal, NoReturn

from ..errors import (
    ConnectError,
    ConnectionLost,
    HTTPStatusError,
    InvalidOptions,
    NotInVersionError,
)
from ..excgroups import sole_exception
from ..filters import QueryFilter
from . import connection, exits
from .output import Output, encodes_everything

DESCRIPTION = """\
The command line of dmsproto: read, search, write and watch datapoints of a ProMoS /
Saia Visi.Plus DMS over its JSON Data Exchange, pull trend history and change logs,
run a simulator (serve) and try it all with `dmsproto demo`."""

Parents = Literal["client", "common", "none"]

COMMANDS: dict[str, tuple[tuple[str, ...], Parents]] = {
    "demo": (("demo",), "common"),
    "cmd_read": (("get", "ls"), "client"),
    "cmd_write": (("set", "rename", "delete"), "client"),
    "cmd_watch": (("watch",), "client"),
    "cmd_history": (("history",), "client"),
    "cmd_changelog": (("changelog",), "client"),
    "cmd_sites": (("sites",), "common"),
    "cmd_users": (("users",), "common"),
    "cmd_completion": (("completion",), "none"),
    "cmd_serve": (("serve",), "common"),
    "cmd_proxy": (("proxy",), "common"),
    "cmd_validate": (("validate",), "none"),
}
"""Each subcommand module of this package, in ``--help`` order: the commands its
``register(sub, parents)`` adds, and the shared options they take (``client``: output
and connection; ``common``: output only)."""

MODULE_OF = {command: module for module, (commands, _) in COMMANDS.items()
             for command in commands}


class _VersionAction(argparse.Action):
    """``--version``, reading the installed version only when asked."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=default, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> NoReturn:
        from .. import __version__

        parser.exit(message=f"dmsproto {__version__}\n")


def _output_arguments(parser: argparse.ArgumentParser) -> None:
    sup = argparse.SUPPRESS
    group = parser.add_argument_group("output")
    group.add_argument("--json", action="store_true", default=sup,
                       help="JSON for scripts (JSON Lines for watch)")
    group.add_argument("--no-color", dest="no_color", action="store_true", default=sup,
                       help="no colour (also: NO_COLOR environment variable)")
    group.add_argument("--debug", action="store_true", default=sup,
                       help="log the frames and show tracebacks")


def _top_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options given before the command (the same on the full and the probing parser)."""
    parser.add_argument("--version", action=_VersionAction,
                        help="show program's version number and exit")
    _output_arguments(parser)
    connection.add_arguments(parser)
    return parser


def build_parser(*, load_validate: bool = False, command: str | None = None
                 ) -> argparse.ArgumentParser:
    """The parser: of every command, or of ``command``'s module only.

    Args:
        load_validate: load the validator's own arguments (they import the capture
            package); they are loaded anyway when ``command`` is ``validate``.
        command: register only the module of this command (the others are then
            unknown to the parser); ``None``: every command.

    Returns:
        The parser; each command's handler is in ``args.handler``.
    """
    common = argparse.ArgumentParser(add_help=False)
    _output_arguments(common)
    conn = argparse.ArgumentParser(add_help=False)
    connection.add_arguments(conn)
    parser = _top_parser(argparse.ArgumentParser(
        prog="dmsproto", description=DESCRIPTION,
        epilog="exit codes:\n" + _exit_table(), formatter_class=argparse.RawTextHelpFormatter))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    parents: dict[Parents, list[argparse.ArgumentParser]] = {
        "client": [common, conn], "common": [common], "none": []}
    wanted = MODULE_OF.get(command) if command is not None else None
    for name, (_, kind) in COMMANDS.items():
        if wanted is not None and name != wanted:
            continue
        module = importlib.import_module(f"{__package__}.{name}")
        if name == "cmd_validate":
            module.register(sub, parents[kind], load=load_validate or command == "validate")
        else:
            module.register(sub, parents[kind])
    return parser


class _NotSure(Exception):
    """The probing parser met something only the full parser can answer."""


class _Probe(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _NotSure(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise _NotSure(message)


def command_of(arguments: Sequence[str]) -> str | None:
    """The command a command line runs; ``None`` when only the full parser can tell.

    Found with the top-level options' own parsing (so ``--site get get X`` is
    ``get``); ``None`` for no command, a typo, or ``--help`` / ``--version``
    before the command.
    """
    probe = _top_parser(_Probe(prog="dmsproto", add_help=False))
    probe.add_argument("command", nargs="?")
    probe.add_argument("rest", nargs=argparse.REMAINDER)
    try:
        args, unknown = probe.parse_known_args(arguments)
    except _NotSure:
        return None
    if unknown or args.command not in MODULE_OF:
        return None
    return str(args.command)


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


def command_line_text(arguments: Sequence[str]) -> list[str]:
    """The arguments as text: bytes the locale could not decode are read as UTF-8.

    Under a non-UTF-8 locale (``LANG=C`` without UTF-8 coercion) Python keeps such
    bytes as lone surrogates, which no JSON encoder accepts; datapoint names are
    UTF-8, so a name typed or pasted in UTF-8 is taken as such.
    """
    repaired = []
    for argument in arguments:
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError:
            argument = os.fsencode(argument).decode("utf-8", "replace")
        repaired.append(argument)
    return repaired


def text_streams() -> None:
    """Make stdout and stderr unable to fail on a character their encoding lacks.

    A terminal that is not UTF-8 (``LANG=C`` without UTF-8 coercion, a Latin-1
    console) cannot show ``°C`` or the tree's lines: those become ``?`` instead of
    ending the command with an encoding error (``--json`` escapes them instead,
    see :class:`~dmsproto.cli.output.Output`).
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and not encodes_everything(stream):
            reconfigure(errors="replace")


def run(argv: Sequence[str]) -> int:
    """Parse a command line and run its command; returns the exit code.

    A ``KeyboardInterrupt`` while the command runs is the exit code 130; one while
    its modules load or the arguments are read reaches the caller,
    :func:`dmsproto.cli.main`, which answers every Ctrl-C of the start-up.

    Args:
        argv: the arguments after the program name.

    Returns:
        The exit code (:mod:`dmsproto.cli.exits`).
    """
    text_streams()
    arguments = glue_relative_times(command_line_text(argv))
    parser = build_parser(command=command_of(arguments))
    args = parser.parse_args(arguments)
    debug = bool(getattr(args, "debug", False))
    _setup_logging(debug)
    out = Output(json_mode=bool(getattr(args, "json", False)),
                 color=False if getattr(args, "no_color", False) else None)
    try:
        return int(args.handler(args, out))
    except BaseException as exc:
        if interrupted(exc):
            out.note("dmsproto: interrupted")
            return exits.INTERRUPTED
        if not isinstance(exc, Exception):  # SystemExit and the like end the program as asked
            raise
        real = sole_exception(exc) or exc
        if isinstance(real, BrokenPipeError):
            # the reader went away (`| head`): stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return exits.FAILURE
        if debug:
            traceback.print_exception(exc, file=sys.stderr)
        out.note(f"dmsproto: {explain(real)}")
        return exits.exit_code(real)


def interrupted(exc: BaseException) -> bool:
    """Whether Ctrl-C ended the command: a ``KeyboardInterrupt``, alone or in a group.

    In a group it is the cause of the rest: the task it hit (the demo's own simulator,
    say) stopped, and its siblings failed or were cancelled because of that.
    """
    if isinstance(exc, BaseExceptionGroup):
        return exc.subgroup(KeyboardInterrupt) is not None
    return isinstance(exc, KeyboardInterrupt)


def explain(exc: BaseException) -> str:
    """The error line: the message in the command line's words, with a hint where one helps.

    Option and filter names in the library's messages (``allow_insecure_auth=True``,
    ``has_changelog``) become the flags that set them (``--insecure-auth``,
    ``--has-changelog``); a WebSocket refused with close code
    1003 (the DMS's "Invalid path.") or an HTTP POST answered 404 points at the path of
    ``--url``.
    """
    text = describe(exc)
    if isinstance(exc, InvalidOptions):
        return connection.cli_wording(text)
    if isinstance(exc, NotInVersionError):  # a filter flag the selected version lacks
        return connection.cli_wording(text, QueryFilter)
    closed_1003 = isinstance(exc, ConnectError | ConnectionLost) and bool(
        re.search(r"\b1003\b", text))
    if closed_1003 or (isinstance(exc, HTTPStatusError) and exc.status == 404):
        return f"{text} (check the path in --url: the DMS serves /json_data)"
    return text
