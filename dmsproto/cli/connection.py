"""Connection options shared by every client subcommand, and where they come from.

The options, their flags (``--url``, ``--cafile``, ``--cert``, ...), environment
variables (``DMSPROTO_URL``, ...) and config keys are generated from
:class:`dmsproto.options.ConnectOptions` (see ``dmsproto.cli.flags``); the command
line's own two, ``--config`` and ``--site``, are declared here the same way, in
:class:`ProfileOptions`.

Precedence, highest first: command-line flags > environment variables > the
site's table > the config file's top level > defaults. The config file is TOML:
``--config FILE``, else ``$DMSPROTO_CONFIG``, else
``$XDG_CONFIG_HOME/dmsproto/config.toml`` (``~/.config/dmsproto/config.toml``);
only an explicitly named file must exist. Keys are the long option names; a
``[sites.NAME]`` table holds the settings of one site, chosen with ``--site NAME``
(or ``$DMSPROTO_SITE``, or a top-level ``site = "NAME"``)::

    whois = "site-laptop"          # for every site
    timeout = 10
    site = "north"                 # the site used when none is named

    [sites.north]
    url = "wss://north.example:9021/json_data"
    cafile = "north-cert.pem"      # relative paths are relative to the config file
    user = "integrator"

    [sites.lab]
    url = "ws://127.0.0.1:9020/json_data"

A secret (the password) is never a flag and never read from the config file (it
would end up in shell history or a world-readable file): it comes from
``DMSPROTO_PASSWORD`` or, on a terminal, from a prompt that does not echo.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, TypedDict, cast

from msgspec import Struct, field

from ..client import Client, ReconnectPolicy, connect
from ..declare import Cli, Opt, declared
from ..options import ConnectOptions
from ..recorder import Recorder
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
from .recording import open_recording

SITES_KEY = "sites"
WATCH_RECONNECT = ReconnectPolicy(initial_delay=0.25, max_delay=5.0)
"""``watch``: someone is watching the screen, so a DMS back after a restart should show
up soon (at most 5 s later), however long the restart takes."""
READ_RECONNECT = ReconnectPolicy(initial_delay=0.25, max_delay=5.0, max_attempts=30)
"""``history`` and ``changelog read``: a long read goes on where it was cut off after a
DMS restart of up to one to two minutes (30 attempts), then fails (exit 3)."""


class ProfileOptions(TypedDict, total=False):
    """Which settings a command uses: the command line's own options (not ``connect()``'s)."""

    config: Annotated[str | None, Opt(
        None,
        "TOML config file [$DMSPROTO_CONFIG or ~/.config/dmsproto/config.toml]",
        cli=Cli(metavar="FILE", config=False),
    )]
    site: Annotated[str | None, Opt(
        None,
        "use the settings of [sites.NAME] in the config file (dmsproto sites lists them)",
        cli=Cli(metavar="NAME"),
    )]


PROFILE = declared(ProfileOptions)
CONFIG_ENV = env_name(PROFILE["config"])
SITE_ENV = env_name(PROFILE["site"])
PASSWORD_ENV = env_name(declared(ConnectOptions)["password"])


class Settings(Struct, frozen=True):
    """The connection options of one command run, resolved (never shows a secret).

    Attributes:
        options: the keywords for ``dmsproto.connect()``.
        site: the site whose table was used, if any.
    """

    options: ConnectOptions
    site: str | None = None

    def __repr__(self) -> str:
        known = declared(ConnectOptions)
        shown = {k: v for k, v in self.options.items() if not known[k].opt.secret}
        return f"Settings({shown!r}, site={self.site!r})"


class ConfigFile(Struct, frozen=True):
    """A config file read and checked.

    Attributes:
        path: where it was read from (``None``: there is none).
        defaults: the top level's option values, for every site.
        sites: each site's option values, by name, in the file's order.
        site: the top level's ``site``: the site used when none is named.
    """

    path: Path | None
    defaults: dict[str, Any] = field(default_factory=dict)
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)
    site: str | None = None

    def settings_of(self, site: str) -> dict[str, Any]:
        """The site's values; a usage error naming the known sites when there is none."""
        if site not in self.sites:
            where = f"config file {self.path}" if self.path else "no config file"
            known = ", ".join(self.sites) or "none"
            raise usage(f"no site {site!r} in {where} (sites: {known})")
        return self.sites[site]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The connection flags; absent ones stay unset so flags, env and file can be merged."""
    group = parser.add_argument_group(
        "connection (flags > environment > site > config file)",
        f"The password comes from ${PASSWORD_ENV} or a prompt; --timeout also bounds "
        "connecting.")
    add_flags(group, ConnectOptions, merge=True)
    add_profile_arguments(group)


def add_profile_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--config`` and ``--site``."""
    add_flags(parser, ProfileOptions, merge=True)


def cli_wording(text: str, declaration: type[Any] = ConnectOptions) -> str:
    """``text`` with each keyword of ``declaration`` replaced by its flag.

    ``pass allow_insecure_auth=True`` reads ``pass --insecure-auth``; ``cafile`` reads
    ``--cafile``; with ``QueryFilter``, ``has_changelog`` reads ``--has-changelog``.
    The names come from the declaration, so they cannot drift apart.
    """
    for option in offered(declaration, "flag"):
        text = re.sub(rf"\b{option.name}\b(=\w+)?", f"--{option.cli_name}", text)
    return text


def config_path(args: argparse.Namespace, environ: Mapping[str, str]) -> tuple[Path | None, bool]:
    """The config file to read and whether it was named explicitly (so must exist)."""
    named = getattr(args, "config", None) or environ.get(CONFIG_ENV)
    if named:
        return Path(named).expanduser(), True
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "dmsproto" / "config.toml", False


def load_config(path: Path | None, required: bool) -> ConfigFile:
    """The config file's settings (paths made absolute); empty when there is none.

    Raises:
        CliError: a usage error for a file that cannot be read, is not TOML, holds a
            secret, an unknown key or a value of the wrong kind.
    """
    if path is None or (not required and not path.is_file()):
        return ConfigFile(None)
    import tomllib  # only when there is a file: a one-shot command without one starts faster

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise usage(f"cannot read config file {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise usage(f"config file {path} is not UTF-8 text (byte {exc.start + 1}): "
                    "TOML files are UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise usage(f"config file {path} is not valid TOML: {exc}") from None
    tables = data.pop(SITES_KEY, {})
    if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
        raise usage(f"config file {path}: [{SITES_KEY}] must hold one table per site "
                    f"([{SITES_KEY}.NAME])")
    site_key = config_key(PROFILE["site"])
    site = data.pop(site_key, None)
    if site is not None and not isinstance(site, str):
        raise usage(f"config file {path}: {site_key} must be a site's name")
    sites = {name: _options(values, path, f"[{SITES_KEY}.{name}]")
             for name, values in tables.items()}
    found = ConfigFile(path, _options(data, path, ""), sites, site)
    if site is not None:
        found.settings_of(site)  # the default site must exist
    return found


def _options(data: Mapping[str, Any], path: Path, table: str) -> dict[str, Any]:
    """One table's option values, each checked against its declaration."""
    where = f"config file {path}" + (f" {table}" if table else "")
    for secret in offered(ConnectOptions, "env"):
        if secret.opt.secret and config_key(secret) in data:
            raise usage(f"{where}: no {config_key(secret)} here; use ${env_name(secret)}")
    keys = {config_key(o): o for o in offered(ConnectOptions, "config")}
    unknown = sorted(set(data) - set(keys))
    if unknown:
        also = [SITES_KEY, config_key(PROFILE["site"])] if not table else []
        raise usage(f"{where}: unknown keys {unknown}; known: {sorted(keys) + also}")
    return {keys[k].name: from_config(keys[k], v, f"{where}: {k}", path.parent)
            for k, v in data.items()}


def chosen_site(args: argparse.Namespace, environ: Mapping[str, str],
                config: ConfigFile) -> str | None:
    """The site named by ``--site``, else ``$DMSPROTO_SITE``, else the file's ``site``."""
    return getattr(args, "site", None) or environ.get(SITE_ENV) or config.site


def resolve(args: argparse.Namespace, environ: Mapping[str, str] | None = None,
            *, ask_password: bool = True) -> Settings:
    """Merge flags, environment, the site, the config file and defaults into ``Settings``.

    Args:
        args: the parsed command line.
        environ: the environment (default ``os.environ``).
        ask_password: read the password (environment or prompt) when a user needs one.

    Returns:
        Every option the command line offers (given or default), and the password
        when a user needs one.

    Raises:
        CliError: a usage error for a bad value, config file, unknown site or missing
            password.
    """
    env = os.environ if environ is None else environ
    config = load_config(*config_path(args, env))
    merged: dict[str, Any] = {
        o.name: o.opt.default for o in declared(ConnectOptions).values()
        if o.opt.cli is not None and not o.opt.secret
    }
    merged.update(config.defaults)
    site = chosen_site(args, env, config)
    if site is not None:
        merged.update(config.settings_of(site))
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
    return Settings(options, site)


def _password(user: str, env: Mapping[str, str]) -> str:
    """From ``DMSPROTO_PASSWORD``, else a silent prompt on a terminal."""
    if PASSWORD_ENV in env:
        return env[PASSWORD_ENV]
    if not sys.stdin.isatty():
        raise usage(f"--user {user} needs a password: set {PASSWORD_ENV} "
                    "(no terminal to prompt on)")
    import getpass

    try:
        return getpass.getpass(f"Password for {user}: ")
    except EOFError:
        raise usage("no password given") from None


@asynccontextmanager
async def open_client(settings: Settings, *, label: str,
                      reconnect: ReconnectPolicy | None = None) -> AsyncIterator[Client]:
    """``dmsproto.connect`` with these settings.

    ``--timeout`` also bounds connecting; ``reconnect`` is the command's reconnect
    policy (``WATCH_RECONNECT``, ``READ_RECONNECT``; none: a lost connection ends the
    command).  ``--record FILE`` is opened here, so its session marker names the
    command (``label``, e.g. ``dmsproto get``); the file is closed when the client is.
    """
    options = ConnectOptions(**settings.options)
    timeout = options.get("timeout")
    if timeout is not None:
        options["connect_timeout"] = timeout
    if reconnect is not None:
        options["reconnect"] = reconnect
    with ExitStack() as stack:
        record = options.get("record")
        if record is not None and not isinstance(record, Recorder):
            options["record"] = stack.enter_context(open_recording(
                record, truncate=bool(options.get("record_truncate")), label=label))
        async with connect(**options) as client:
            yield client

