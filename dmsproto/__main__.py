"""``python -m dmsproto``: the command line."""

# No ``from __future__ import annotations``: see :mod:`dmsproto.cli.main`.

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
