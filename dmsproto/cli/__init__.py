"""The ``dmsproto`` command line (entry point ``dmsproto.cli:main``).

One module per job: :mod:`.main` (parsing, errors), :mod:`.connection` (shared
options, environment, config file), :mod:`.timeparse`, :mod:`.output`, one
``cmd_*`` module per subcommand group, :mod:`.demo` and :mod:`.plot`.
Exit codes are listed in :mod:`.exits`.
"""

from __future__ import annotations

from .main import build_parser, main

__all__ = ["build_parser", "main"]
