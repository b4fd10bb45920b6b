"""``sites``: the site profiles of the config file, without secrets (it holds none).

A site is a ``[sites.NAME]`` table of connection settings in the config file (see
:mod:`dmsproto.cli.connection`); ``--site NAME`` or ``$DMSPROTO_SITE`` picks one.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from ..declare import declared
from ..options import ConnectOptions
from . import exits
from .connection import ConfigFile, add_profile_arguments, chosen_site, config_path, load_config
from .flags import config_key
from .output import Output


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``sites`` subcommand and its flags to the command line."""
    s = sub.add_parser("sites", parents=parents, help="list the site profiles of the config file",
                       description="List the [sites.NAME] tables of the config file: the "
                       "settings --site NAME (or $DMSPROTO_SITE) uses. * marks the site used "
                       "when none is named.")
    add_profile_arguments(s.add_argument_group("config"))
    s.set_defaults(handler=run_sites)


def shown(values: dict[str, Any]) -> dict[str, Any]:
    """Option values by config key, secrets left out."""
    known = declared(ConnectOptions)
    return {config_key(known[name]): value for name, value in values.items()
            if not known[name].opt.secret}


def run_sites(args: argparse.Namespace, out: Output) -> int:
    """``dmsproto sites``: list the site profiles of the config file."""
    path, required = config_path(args, os.environ)
    config = load_config(path, required)
    current = chosen_site(args, os.environ, config)
    if current is not None and config.path is not None:
        config.settings_of(current)  # a usage error for an unknown one
    if out.json_mode:
        out.json({"config": str(config.path) if config.path else None, "site": current,
                  "defaults": shown(config.defaults),
                  "sites": {name: shown(values) for name, values in config.sites.items()}})
        return exits.OK
    if config.path is None:
        out.note(f"no config file ({path} does not exist)")
        return exits.OK
    _print(out, config, current)
    return exits.OK


def _print(out: Output, config: ConfigFile, current: str | None) -> None:
    out.note(f"config file {config.path}")
    if not config.sites:
        out.note("no [sites.NAME] tables")
    else:
        rows = []
        for name, values in config.sites.items():
            keys = shown(values)
            url, user = keys.pop("url", ""), keys.pop("user", "")
            rows.append(["*" if name == current else "", name, str(url), str(user or ""),
                         ", ".join(f"{k}={v}" for k, v in keys.items())])
        out.table(["", "SITE", "URL", "USER", "OTHER"], rows,
                  styles=[None, "bold", None, None, "dim"])
    if config.defaults:
        every = ", ".join(f"{k}={v}" for k, v in shown(config.defaults).items())
        out.note(f"every site: {every}")
