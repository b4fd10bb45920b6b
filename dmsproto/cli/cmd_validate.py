"""``validate``: hosted here, implemented by :mod:`dmsproto.capture.cli`.

Imported only when ``validate`` is asked for, so the other subcommands neither pay
for nor depend on the capture validator.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from . import exits
from .output import Output

HELP = "check captured traffic against the specification"


def _capture() -> Any:
    try:
        from ..capture import cli
    except ImportError as exc:
        raise exits.CliError(f"validate is not available in this installation: {exc}") from None
    return cli


def register(sub: Any, parents: list[argparse.ArgumentParser], *, load: bool) -> None:
    """Add ``validate``; with ``load`` its real arguments (importing the capture package)."""
    v = sub.add_parser("validate", help=HELP, description=HELP.capitalize() + ".")
    if not load:
        v.set_defaults(handler=_unavailable)
        return
    try:
        module = _capture()
        adder: Callable[[argparse.ArgumentParser], None] = module.add_validate_arguments
        runner: Callable[[argparse.Namespace], int] = module.run_validate
    except (exits.CliError, AttributeError) as exc:
        message = str(exc) if isinstance(exc, exits.CliError) else (
            "validate is not available in this installation (dmsproto.capture.cli is incomplete)")
        v.add_argument("rest", nargs=argparse.REMAINDER)
        v.set_defaults(handler=lambda a, o: _fail(message))
        return
    adder(v)
    v.set_defaults(handler=lambda a, o: runner(a))


def _unavailable(args: argparse.Namespace, out: Output) -> int:
    return _fail("validate: internal error (arguments not loaded)")


def _fail(message: str) -> int:
    raise exits.CliError(message)
