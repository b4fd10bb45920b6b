"""Fixtures of the proxy tests: a frame-echoing upstream and a small PKI made by trustme."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trio

from tests.support.pki import Pki
from tests.support.proxy import FrameServer


@pytest.fixture
async def frame_server(nursery: trio.Nursery) -> AsyncIterator[FrameServer]:
    server = await nursery.start(FrameServer().serve)
    yield server


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return Pki(tmp_path)
