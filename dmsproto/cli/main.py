"""The entry point of the ``dmsproto`` command: the console script and ``python -m dmsproto``.

Python turns Ctrl-C into a ``KeyboardInterrupt`` wherever the program happens to be,
and a command spends its first tenth of a second loading modules (trio, msgspec,
the generated protocol modules). This module imports nothing, and :func:`main`
loads everything inside its ``try``: Ctrl-C at any moment after the entry point
started is the quiet exit 130, never a traceback. Only the interpreter's own
start-up, before the entry point runs, is out of its reach.
"""

# No ``from __future__ import annotations``: it would import ``__future__`` outside the
# ``try`` below.

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence


def main(argv: "Sequence[str] | None" = None) -> int:
    """Run the ``dmsproto`` command.

    Args:
        argv: the arguments after the program name; ``None``: ``sys.argv[1:]``.

    Returns:
        The exit code (:mod:`dmsproto.cli.exits`).
    """
    try:
        # before msgspec: its extension module crashes the process (a segmentation
        # fault) when Ctrl-C interrupts the import of datetime it makes itself
        import datetime  # noqa: F401

        from .command import run

        return run(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:  # while starting: loading modules, reading the arguments
        print("dmsproto: interrupted", file=sys.stderr)
        from .exits import INTERRUPTED

        return INTERRUPTED
