"""Connection options shared by every client subcommand, and where they come from.

The options, their flags (``--url``, ``--cafile``, ``--cert``, ...), environment
variables (``DMSPROTO_URL``, ...) and config keys are generated from
:class:`dmsproto.options.ConnectOptions` (see ``dmsproto.cli.flags``); only
``--config`` is the command line's own.

Precedence, highest first: command-line flags > environment variables > config
file > defaults. The config file is TOML: ``--config FILE``, else ``$DMSPROTO_CONFIG``,
else ``$XDG_CONFIG_HOME/dmsproto/config.toml`` (``~/.config/dmsproto/config.toml``);
only an explicitly named file must exist. Keys are the long option names::

    url = "wss://dms.example:9021/json_data"
    cafile = "dms-cert.pem"        # relative paths are relative to the config file
    user = "integrator"
    whois = "site-laptop"
    timeout = 10

A secret (the password) is never a flag and never read from the config file (it
would end up in shell history or a world-readable file): it comes from
``DMSPROTO_PASSWORD`` or, on a terminal, from a prompt that does not echo.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
import tomllib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ..client import Client, ReconnectPolicy, connect
from ..declare import declared
from ..options import ConnectOptions
from .exits import usage
from .flags import (
    add_flags,
    config_key,
    env_name,
    flag_values,
    from_config,
    from_text,
    offered,
)

CONFIG_ENV = "DMSPROTO_CONFIG"
PASSWORD_ENV = env_name(declared(ConnectOptions)["password"])
WATCH_RECONNECT = ReconnectPolicy(initial_delay=0.25, max_delay=5.0)


@dataclass(frozen=True)
class Settings:
    """The connection options of one command run, resolved (never shows a secret).

    Attributes:
        options: the keywords for ``dmsproto.connect()``.
    """

    options: ConnectOptions

    def __repr__(self) -> str:
        known = declared(ConnectOptions)
        shown = {k: v for k, v in self.options.items() if not known[k].opt.secret}
        return f"Settings({shown!r})"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The connection flags; absent ones stay unset so flags, env and file can be merged."""
    group = parser.add_argument_group(
        "connection (flags > environment > config file)",
        f"The password comes from ${PASSWORD_ENV} or a prompt; --timeout also bounds "
        "connecting.")
    add_flags(group, ConnectOptions, merge=True)
    group.add_argument("--config", default=argparse.SUPPRESS, metavar="FILE",
                       help=f"TOML config file [${CONFIG_ENV} or ~/.config/dmsproto/config.toml]")


def cli_wording(text: str) -> str:
    """``text`` with each connection option's keyword replaced by its flag.

    ``pass allow_insecure_auth=True`` reads ``pass --insecure-auth``; ``cafile`` reads
    ``--cafile``.  The names come from the declaration, so they cannot drift apart.
    """
    for option in offered(ConnectOptions, "flag"):
        text = re.sub(rf"\b{option.name}\b(=\w+)?", f"--{option.cli_name}", text)
    return text


def config_path(args: argparse.Namespace, environ: Mapping[str, str]) -> tuple[Path | None, bool]:
    """The config file to read and whether it was named explicitly (so must exist)."""
    named = getattr(args, "config", None) or environ.get(CONFIG_ENV)
    if named:
        return Path(named).expanduser(), True
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "dmsproto" / "config.toml", False


def read_config(path: Path | None, required: bool) -> dict[str, Any]:
    """The config file's settings (paths made absolute); ``{}`` when there is none."""
    if path is None or (not required and not path.is_file()):
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise usage(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise usage(f"config file {path} is not valid TOML: {exc}") from None
    for secret in offered(ConnectOptions, "env"):
        if secret.opt.secret and config_key(secret) in data:
            raise usage(f"config file {path}: no {config_key(secret)} here; "
                        f"use ${env_name(secret)}")
    keys = {config_key(o): o for o in offered(ConnectOptions, "config")}
    unknown = sorted(set(data) - set(keys))
    if unknown:
        raise usage(f"config file {path}: unknown keys {unknown}; known: {sorted(keys)}")
    return {keys[k].name: from_config(keys[k], v, f"config file {path}: {k}", path.parent)
            for k, v in data.items()}


def resolve(args: argparse.Namespace, environ: Mapping[str, str] | None = None,
            *, ask_password: bool = True) -> Settings:
    """Merge flags, environment, config file and defaults into ``Settings``.

    Args:
        args: the parsed command line.
        environ: the environment (default ``os.environ``).
        ask_password: read the password (environment or prompt) when a user needs one.

    Returns:
        Every option the command line offers (given or default), and the password
        when a user needs one.

    Raises:
        CliError: a usage error for a bad value, config file or missing password.
    """
    env = os.environ if environ is None else environ
    path, required = config_path(args, env)
    merged: dict[str, Any] = {
        o.name: o.opt.default for o in declared(ConnectOptions).values()
        if o.opt.cli is not None and not o.opt.secret
    }
    merged.update(read_config(path, required))
    for option in offered(ConnectOptions, "env"):
        name = env_name(option)
        text = env.get(name)
        if text and not option.opt.secret:
            merged[option.name] = from_text(option, text, f"${name}")
    merged.update(flag_values(args, ConnectOptions))
    options = cast(ConnectOptions, merged)
    user = options.get("user")
    if user is not None and options.get("certfile") is None and ask_password:
        options["password"] = _password(user, env)
    return Settings(options)


def _password(user: str, env: Mapping[str, str]) -> str:
    """From ``DMSPROTO_PASSWORD``, else a silent prompt on a terminal."""
    if PASSWORD_ENV in env:
        return env[PASSWORD_ENV]
    if not sys.stdin.isatty():
        raise usage(f"--user {user} needs a password: set {PASSWORD_ENV} "
                    "(no terminal to prompt on)")
    try:
        return getpass.getpass(f"Password for {user}: ")
    except EOFError:
        raise usage("no password given") from None


@asynccontextmanager
async def open_client(settings: Settings, *, reconnect: bool = False) -> AsyncIterator[Client]:
    """``dmsproto.connect`` with these settings.

    ``--timeout`` also bounds connecting; ``reconnect`` retries at most 5 s apart
    (someone is watching the screen: a DMS back after a restart should show up soon).
    """
    options = ConnectOptions(**settings.options)
    timeout = options.get("timeout")
    if timeout is not None:
        options["connect_timeout"] = timeout
    if reconnect:
        options["reconnect"] = WATCH_RECONNECT
    async with connect(**options) as client:
        yield client
