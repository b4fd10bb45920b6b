"""Connection options shared by every client subcommand, and where they come from.

Precedence, highest first: command-line flags > environment variables > config
file > defaults. The config file is TOML: ``--config FILE``, else ``$DMSPROTO_CONFIG``,
else ``$XDG_CONFIG_HOME/dmsproto/config.toml`` (``~/.config/dmsproto/config.toml``);
only an explicitly named file must exist. Keys are the long option names::

    url = "wss://dms.example:9021/json_data"
    cafile = "dms-cert.pem"        # relative paths are relative to the config file
    user = "integrator"
    whois = "site-laptop"
    timeout = 10

Environment variables: ``DMSPROTO_URL``, ``DMSPROTO_CAFILE``, ``DMSPROTO_CERT``,
``DMSPROTO_KEY``, ``DMSPROTO_USER``, ``DMSPROTO_WHOIS``, ``DMSPROTO_TIMEOUT``,
``DMSPROTO_PROTOCOL``, ``DMSPROTO_RECORD``. The password is never an option and never read from the
config file (it would end up in shell history or a world-readable file): it comes
from ``DMSPROTO_PASSWORD`` or, on a terminal, from a prompt that does not echo.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import tomllib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ..client import Client, ReconnectPolicy, connect
from ..versions import DEFAULT_VERSION, VERSIONS, Version
from .exits import usage

DEFAULT_URL = "ws://127.0.0.1:9020/json_data"
DEFAULTS: dict[str, Any] = {
    "url": DEFAULT_URL,
    "cafile": None,
    "cert": None,
    "key": None,
    "user": None,
    "whois": "dmsproto",
    "timeout": 10.0,
    "protocol": DEFAULT_VERSION,
    "record": None,
}
_PATH_KEYS = ("cafile", "cert", "key", "record")
PASSWORD_ENV = "DMSPROTO_PASSWORD"
WATCH_RECONNECT = ReconnectPolicy(initial_delay=0.25, max_delay=5.0)


@dataclass(frozen=True)
class Settings:
    """The resolved connection settings of one command run (never shows the password)."""

    url: str
    cafile: str | None
    cert: str | None
    key: str | None
    user: str | None
    whois: str
    timeout: float
    protocol: Version
    record: str | None = None
    check_hostname: bool = True
    insecure_auth: bool = False
    password: str | None = field(default=None, repr=False)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The connection flags; defaults are suppressed so flags, env and file can be merged."""
    group = parser.add_argument_group("connection (flags > environment > config file)")
    sup = argparse.SUPPRESS
    group.add_argument("--url", default=sup,
                       help=f"ws://, wss://, http:// or https:// URL [{DEFAULT_URL}]")
    group.add_argument("--cafile", default=sup, metavar="FILE",
                       help="trust this CA/certificate file (the DMS's self-signed cert)")
    group.add_argument("--cert", default=sup, metavar="FILE", help="client certificate (PEM)")
    group.add_argument("--key", default=sup, metavar="FILE", help="key of the client certificate")
    group.add_argument("--user", default=sup, metavar="NAME",
                       help=f"user name; password from ${PASSWORD_ENV} or a prompt")
    group.add_argument("--whois", default=sup, metavar="NAME",
                       help="who writes (the trigger of events) [dmsproto]")
    group.add_argument("--timeout", default=sup, type=float, metavar="S",
                       help="seconds to wait for the connection and each answer [10]")
    group.add_argument("--protocol", default=sup, choices=sorted(VERSIONS),
                       help=f"protocol version of the DMS [{DEFAULT_VERSION}]")
    group.add_argument("--record", default=sup, metavar="FILE",
                       help="write every frame to a JSON Lines capture (see validate)")
    group.add_argument("--no-check-hostname", dest="no_check_hostname", action="store_true",
                       default=sup, help="accept a certificate issued for another host name")
    group.add_argument("--insecure-auth", dest="insecure_auth", action="store_true",
                       default=sup, help="allow sending the password over plain ws/http")
    group.add_argument("--config", default=sup, metavar="FILE",
                       help="TOML config file [$DMSPROTO_CONFIG or ~/.config/dmsproto/config.toml]")


def config_path(args: argparse.Namespace, environ: Mapping[str, str]) -> tuple[Path | None, bool]:
    """The config file to read and whether it was named explicitly (so must exist)."""
    named = getattr(args, "config", None) or environ.get("DMSPROTO_CONFIG")
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
    if "password" in data:
        raise usage(f"config file {path}: no password here; use ${PASSWORD_ENV}")
    unknown = sorted(set(data) - set(DEFAULTS))
    if unknown:
        raise usage(f"config file {path}: unknown keys {unknown}; known: {sorted(DEFAULTS)}")
    for key in _PATH_KEYS:
        if isinstance(data.get(key), str):
            data[key] = str((path.parent / Path(data[key]).expanduser()).resolve())
    return data


def resolve(args: argparse.Namespace, environ: Mapping[str, str] | None = None,
            *, ask_password: bool = True) -> Settings:
    """Merge flags, environment, config file and defaults into ``Settings``."""
    env = os.environ if environ is None else environ
    path, required = config_path(args, env)
    merged: dict[str, Any] = dict(DEFAULTS)
    merged.update(read_config(path, required))
    for key in DEFAULTS:
        value = env.get(f"DMSPROTO_{key.upper()}")
        if value:
            merged[key] = value
    for key in DEFAULTS:
        if hasattr(args, key):
            merged[key] = getattr(args, key)
    try:
        timeout = float(merged["timeout"])
    except (TypeError, ValueError):
        raise usage(f"timeout must be a number of seconds, got {merged['timeout']!r}") from None
    if timeout <= 0:
        raise usage("timeout must be > 0 seconds")
    if str(merged["protocol"]) not in VERSIONS:
        raise usage(f"unknown protocol {merged['protocol']!r}; known: {sorted(VERSIONS)}")
    user = merged["user"] or None
    password = None
    if user is not None and merged["cert"] is None and ask_password:
        password = _password(user, env)
    return Settings(
        url=str(merged["url"]), cafile=merged["cafile"], cert=merged["cert"],
        key=merged["key"], user=user, whois=str(merged["whois"]), timeout=timeout,
        protocol=cast(Version, str(merged["protocol"])), record=merged["record"] or None,
        check_hostname=not getattr(args, "no_check_hostname", False),
        insecure_auth=bool(getattr(args, "insecure_auth", False)),
        password=password,
    )


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
    """``dmsproto.connect`` with these settings; ``reconnect`` retries at most 5 s apart
    (someone is watching the screen: a DMS back after a restart should show up soon)."""
    async with connect(
        settings.url,
        whois=settings.whois,
        user=settings.user,
        password=settings.password,
        cafile=settings.cafile,
        certfile=settings.cert,
        keyfile=settings.key,
        check_hostname=settings.check_hostname,
        allow_insecure_auth=settings.insecure_auth,
        timeout=settings.timeout,
        connect_timeout=settings.timeout,
        reconnect=WATCH_RECONNECT if reconnect else False,
        protocol=settings.protocol,
        record=settings.record,
    ) as client:
        yield client
