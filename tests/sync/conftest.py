"""Fixtures of the blocking-facade tests: a simulator thread, and a thread-leak check."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from tests.support.sync import SimThread


@pytest.fixture
def sim() -> Iterator[SimThread]:
    with SimThread() as running:
        yield running


@pytest.fixture(autouse=True)
def no_dmsproto_threads_left() -> Iterator[None]:
    """After every test, no thread of the facade may still be alive."""
    yield
    left = [t.name for t in threading.enumerate() if t.name.startswith("dmsproto")]
    assert left == []
