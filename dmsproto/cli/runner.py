"""Running an async subcommand: settings resolved, trio started, one client opened.

Kept apart from argument parsing so each subcommand module only says what it does
with a connected ``Client``.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from functools import partial

import trio

from ..client import Client
from ..options import ReconnectPolicy
from .connection import Settings, open_client, resolve
from .output import Output

ClientCommand = Callable[[argparse.Namespace, Client, Output], Awaitable[int]]


def run_client(command: ClientCommand, args: argparse.Namespace, out: Output,
               *, reconnect: ReconnectPolicy | None = None) -> int:
    """Resolve the connection settings, connect and run ``command``; its exit code.

    ``reconnect`` is the command's reconnect policy (none: a lost connection ends it).
    """
    settings = resolve(args)
    return trio.run(partial(_with_client, command, args, out, settings, reconnect))


async def _with_client(command: ClientCommand, args: argparse.Namespace, out: Output,
                       settings: Settings, reconnect: ReconnectPolicy | None) -> int:
    async with open_client(settings, reconnect=reconnect, label=command_label(args)) as client:
        return await command(args, client, out)


def command_label(args: argparse.Namespace) -> str:
    """The command that runs, as recordings name it: ``dmsproto changelog read``.

    Never its arguments: they may hold a user name.
    """
    words = [getattr(args, "command", None), getattr(args, "changelog_command", None)]
    return " ".join(["dmsproto", *(w for w in words if w)])

