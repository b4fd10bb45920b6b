"""``users add FILE NAME``: a user with a password in a users file, hashed as ``$6$``.

The users file of ``dmsproto serve --users`` (and of the DMS) holds one
``name:crypt-hash`` line per password (see :mod:`dmsproto.sim.auth`).  The hash is
SHA-512 crypt (``$6$rounds=...$salt$...``), made in pure Python, so no ``openssl
passwd -6`` is needed.  The password comes from ``$DMSPROTO_PASSWORD`` or, on a
terminal, from a prompt asked twice that does not echo; it is never an argument.
Adding a name that has a password already replaces that line; its certificate
lines (``name:serial,...``) and every other line stay as they are.  A new file is
made readable by its owner only.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from . import exits
from .connection import PASSWORD_ENV
from .output import Output

DEFAULT_ROUNDS = 5000
"""SHA-512 crypt rounds (the scheme's own default; ``openssl passwd -6`` uses it too)."""


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``users`` subcommand and its flags to the command line."""
    u = sub.add_parser("users", help="manage the users file of serve --users",
                       description="Manage a users file (name:crypt-hash lines) for "
                       "dmsproto serve --users.")
    inner = u.add_subparsers(dest="users_command", metavar="{add}", required=True)
    a = inner.add_parser("add", parents=parents, help="add a user or set a user's password",
                         description="Add NAME with a password to FILE (made if missing), "
                         f"hashed as $6$ (SHA-512 crypt). The password comes from "
                         f"${PASSWORD_ENV} or a prompt.")
    a.add_argument("file", metavar="FILE")
    a.add_argument("name", metavar="NAME")
    a.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, metavar="N",
                   help=f"SHA-512 crypt rounds, 1000 or more [{DEFAULT_ROUNDS}]")
    a.set_defaults(handler=run_add)


def _password(name: str) -> str:
    text = os.environ.get(PASSWORD_ENV)
    if text is not None:
        if not text:
            raise exits.usage(f"${PASSWORD_ENV} is empty")
        return text
    if not sys.stdin.isatty():
        raise exits.usage(f"set {PASSWORD_ENV} (no terminal to prompt on)")
    try:
        first = getpass.getpass(f"Password for {name}: ")
        again = getpass.getpass("The same again: ")
    except EOFError:
        raise exits.usage("no password given") from None
    if first != again:
        raise exits.usage("the two passwords differ")
    if not first:
        raise exits.usage("an empty password is not allowed")
    return first


def run_add(args: argparse.Namespace, out: Output) -> int:
    """``dmsproto users add``: add a user with a hashed password to a users file."""
    from ..sim.shacrypt import hash_password

    name: str = args.name
    if not name or any(ch in name for ch in ":#\n") or name != name.strip():
        raise exits.usage(f"a user name without ':', '#', newlines or edge spaces, got {name!r}")
    if args.rounds < 1000:
        raise exits.usage("--rounds must be 1000 or more")
    target = Path(args.file)
    try:
        lines = target.read_text(encoding="utf-8").splitlines() if target.exists() else []
    except OSError as exc:
        raise exits.CliError(f"cannot read {target}: {exc.strerror}") from None
    line = f"{name}:{hash_password(_password(name), rounds=args.rounds)}"
    places = [n for n, old in enumerate(lines) if _password_line_of(old, name)]
    replaced = bool(places)
    if replaced:  # in place of the first; any others go
        lines[places[0]] = line
        kept = [old for n, old in enumerate(lines) if n not in places[1:]]
    else:
        kept = [*lines, line]
    try:
        created = not target.exists()
        with open(target, "a+", encoding="utf-8") as handle:
            if created:
                os.chmod(target, 0o600)
            handle.seek(0)
            handle.truncate()
            handle.write("\n".join(kept) + "\n")
    except OSError as exc:
        raise exits.CliError(f"cannot write {target}: {exc.strerror}") from None
    if out.json_mode:
        out.json({"file": str(target), "user": name, "replaced": replaced})
    elif replaced:
        out.line(f"changed the password of {name} in {target}")
    else:
        out.line(f"added {name} to {target}")
    return exits.OK


def _password_line_of(line: str, name: str) -> bool:
    user, sep, value = line.strip().partition(":")
    return bool(sep) and user.strip() == name and value.strip().startswith("$")
