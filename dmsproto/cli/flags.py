"""Flags, environment variables and config keys generated from a declaration.

A declared option with a :class:`~dmsproto.declare.Cli` part is offered here under
its CLI name: flag ``--<name>``, environment variable ``DMSPROTO_<NAME>`` and
config key ``<name>``, each as its ``Cli`` allows.  Its ``--help`` text is the
declared help (``Cli.help`` where that speaks of Python); the value's type,
choices (a ``Literal``) and bounds come from the declaration too.  Text from the
environment or the config file is read here, and a bad value is a usage error
naming where it came from.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

from ..declare import Declared, declared
from .exits import usage

T = TypeVar("T")

ENV_PREFIX = "DMSPROTO_"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def offered(declaration: type[Any], where: str) -> Iterator[Declared]:
    """The declared options the command line offers ``where``: "flag", "env" or "config"."""
    for option in declared(declaration).values():
        cli = option.opt.cli
        if cli is not None and getattr(cli, where):
            yield option


def env_name(option: Declared) -> str:
    """``DMSPROTO_<NAME>``: the option's environment variable."""
    return ENV_PREFIX + (option.cli_name or option.name).replace("-", "_").upper()


def config_key(option: Declared) -> str:
    """The option's key in the config file (its CLI name)."""
    return option.cli_name or option.name


def _help(option: Declared, default: Any) -> str:
    text = option.cli_help
    switch = option.opt.cli.switch if option.opt.cli else None
    if switch is False:
        text = f"do not {text}"
    if switch is None and default is not None and not isinstance(default, bool):
        shown = f"{default:g}" if isinstance(default, float) else str(default)
        text = f"{text} [{shown}]"
    return text.replace("%", "%%")


def add_flags(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    declaration: type[Any],
    *,
    defaults: Mapping[str, Any] | None = None,
    merge: bool = False,
) -> None:
    """Add a flag for every option of ``declaration`` the command line offers as one.

    Each flag stores into the option's own name (``args.max_depth``).

    Args:
        parser: the parser or argument group.
        declaration: the ``TypedDict`` that declares the options.
        defaults: this command's defaults, where they differ from ``None``
            (``{"max_depth": 1}``); shown in ``--help``.
        merge: leave an absent flag out of the namespace altogether, so that flags
            given before and after the subcommand, the environment and the config
            file can be merged (:func:`flag_values`).
    """
    own = defaults or {}
    for option in offered(declaration, "flag"):
        cli = option.opt.cli
        assert cli is not None
        default = own.get(option.name)
        shown = option.opt.default if merge else default
        common: dict[str, Any] = {
            "dest": option.name,
            "default": argparse.SUPPRESS if merge else default,
            "help": _help(option, shown),
        }
        if cli.switch is not None:
            parser.add_argument(f"--{option.cli_name}", action="store_const",
                                const=cli.switch, **common)
            continue
        parser.add_argument(f"--{option.cli_name}", type=_parser(option), metavar=cli.metavar,
                            choices=option.choices, **common)


def _parser(option: Declared) -> type[Any]:
    kind = option.kind
    return str if kind is bool else kind


def flag_values(args: argparse.Namespace, declaration: type[T]) -> T:
    """The options of ``declaration`` given as flags, checked against their bounds.

    ``None`` counts as not given; an empty text as ``None`` where that is allowed.

    Raises:
        CliError: a usage error for a value outside its choices or bounds.
    """
    found: dict[str, Any] = {}
    for option in offered(declaration, "flag"):
        value = getattr(args, option.name, None)
        if value == "" and option.optional:
            found[option.name] = None
        elif value is not None:
            found[option.name] = checked(option, value, f"--{option.cli_name}")
    return cast(T, found)


def from_text(option: Declared, text: str, source: str) -> Any:
    """An option's value from text (an environment variable, a config string).

    Raises:
        CliError: a usage error naming ``source``, for text that is no such value.
    """
    if text == "" and option.optional:
        return None
    kind = option.kind
    value: Any = text
    try:
        if kind is bool:
            if text.lower() not in _TRUE + _FALSE:
                raise ValueError(text)
            value = text.lower() in _TRUE
        elif kind is not str:
            value = kind(text)
    except ValueError:
        raise usage(f"{source}: expected {_kind_name(option)}, got {text!r}") from None
    return checked(option, value, source)


def from_config(option: Declared, value: Any, source: str, base: Path) -> Any:
    """An option's value from the TOML config file (paths relative to its folder ``base``).

    Raises:
        CliError: a usage error naming ``source``, for a value of the wrong kind.
    """
    if isinstance(value, str):
        if option.is_path and value:
            value = str((base / Path(value).expanduser()).resolve())
        return from_text(option, value, source)
    kind = option.kind
    fits = isinstance(value, bool) if kind is bool else (
        isinstance(value, int | float) and not isinstance(value, bool) and (
            kind is float or isinstance(value, int)))
    if kind is str or not fits:
        raise usage(f"{source}: expected {_kind_name(option)}, got {value!r}")
    return checked(option, float(value) if kind is float else value, source)


def checked(option: Declared, value: Any, source: str) -> Any:
    """``value`` after the declared choices and bounds (a usage error naming ``source``)."""
    choices = option.choices
    if choices is not None and value not in choices:
        raise usage(f"{source}: {value!r} is not one of {', '.join(choices)}")
    problem = option.problem(value)
    if problem is not None:
        raise usage(f"{source}: {problem}")
    return value


def _kind_name(option: Declared) -> str:
    kind = option.kind
    if kind is bool:
        return "true or false"
    return {int: "a whole number", float: "a number"}.get(kind, "text")


__all__ = ["ENV_PREFIX", "add_flags", "checked", "config_key", "env_name", "flag_values",
           "from_config", "from_text", "offered"]
