"""Real third-party clients against ``dmsproto serve``.

The clients (visitoolkit-connector from PyPI in its own virtualenv, ``ws`` 7 from npm)
are installed at test time by ``tests/support/third_party.py``: skipped with the reason
when the registry or ``node`` is not there, failed instead when ``CI`` is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.serve_process import Served, serving


@pytest.fixture(params=["1.4", "1.5"])
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Served]:
    """``dmsproto serve`` (demo plant, 1 s ticks) as a subprocess, speaking 1.4 and 1.5
    (the field clients were written for 1.4; a DMS they meet may be newer)."""
    with serving(tmp_path, "--tick", "1", "--protocol", request.param) as running:
        yield running
