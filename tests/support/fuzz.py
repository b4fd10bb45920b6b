"""How long the fuzz tests run: a few seconds by default, as long as asked with ``DMSPROTO_FUZZ``.

By default each fuzz test runs a fixed, derandomized set of examples (the same on every
run, no database: a few seconds in all).  ``DMSPROTO_FUZZ=long`` (``nox -s fuzz``) makes
them explore with random seeds and many more examples, keeping failures in hypothesis'
database under ``.hypothesis/``; a failure prints the ``@reproduce_failure`` line that
replays it.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

LONG = os.environ.get("DMSPROTO_FUZZ") == "long"


def fuzz_settings(examples: int, long_examples: int) -> settings:
    """``examples`` derandomized examples, or ``long_examples`` exploring ones when ``LONG``."""
    common = {"deadline": None, "suppress_health_check": list(HealthCheck)}
    if LONG:
        return settings(max_examples=long_examples, **common)  # type: ignore[arg-type]
    return settings(max_examples=examples, derandomize=True, database=None,
                    **common)  # type: ignore[arg-type]


__all__ = ["LONG", "fuzz_settings"]
