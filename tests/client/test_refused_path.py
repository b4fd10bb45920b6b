"""A WebSocket the DMS refuses (close 1003 "Invalid path.") is a ConnectError saying why."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import trio

import dmsproto.client as dc
from dmsproto.errors import ConnectError
from dmsproto.sim.server import Simulator

pytestmark = pytest.mark.trio


async def test_every_try_reports_the_close_code_and_reason(
    sim_factory: Callable[..., Simulator],
) -> None:
    async with sim_factory() as sim:
        wrong = sim.url.replace("/json_data", "/wrong")
        for _ in range(5):
            with trio.fail_after(10), pytest.raises(ConnectError, match=r"1003 Invalid path\."):
                async with dc.connect(wrong) as dms:
                    await dms.get("Test:Int")
