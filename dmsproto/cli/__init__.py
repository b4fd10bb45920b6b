"""The ``dmsproto`` command line (entry point ``dmsproto.cli:main``).

One module per job: :mod:`.main` (the entry point, which answers Ctrl-C from its
first moment), :mod:`.command` (parsing, errors), :mod:`.connection` (shared
options, environment, config file), :mod:`.timeparse`, :mod:`.output`, one
``cmd_*`` module per subcommand group, :mod:`.demo` and :mod:`.plot`.
Exit codes are listed in :mod:`.exits`.

Importing this package loads only the entry point; ``build_parser`` loads the
parser's modules when first used.
"""

# No ``from __future__ import annotations``: see :mod:`.main`.

from .main import main

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .command import build_parser


if not TYPE_CHECKING:  # type checkers see the import above

    def __getattr__(name: str) -> object:
        if name == "build_parser":
            from .command import build_parser

            return build_parser
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["build_parser", "main"]
