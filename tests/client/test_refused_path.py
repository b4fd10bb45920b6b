"""A WebSocket the DMS refuses (close 1003 "Invalid path.") is a ConnectError saying why,
with the trio client, the asyncio client (and, in ``tests/sync``, the blocking one)."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import pytest
import trio

import dmsproto.client as dc
from dmsproto.errors import ConnectError
from dmsproto.sim.server import Simulator
from tests.support.backends import Backend
from tests.support.hostile import CLOSED_AT_ONCE, ClosedAtOnce, HostileThread


async def test_every_try_reports_the_close_code_and_reason(
    sim_factory: Callable[..., Simulator],
) -> None:
    async with sim_factory() as sim:
        wrong = sim.url.replace("/json_data", "/wrong")
        for _ in range(5):
            with trio.fail_after(10), pytest.raises(ConnectError, match=r"1003 Invalid path\."):
                async with dc.connect(wrong) as dms:
                    await dms.get("Test:Int")


@pytest.mark.parametrize("settled", [False, True], ids=["call-at-once", "call-after-close"])
@pytest.mark.parametrize("case", CLOSED_AT_ONCE, ids=lambda case: case.name)
def test_a_websocket_closed_at_once_fails_the_first_call_saying_why(
    backend: Backend, hostile: HostileThread, case: ClosedAtOnce, settled: bool
) -> None:
    """``connect()`` returns after the handshake (see ``ClosedAtOnce``); the first call,
    made at once or once the close was read, and a subscription after it say why."""
    hostile.server.at_once = case.outs

    async def body() -> None:
        with anyio.fail_after(20):
            async with backend.connect(hostile.url, timeout=5) as dms:
                if settled:
                    await anyio.to_thread.run_sync(hostile.server.refused.wait, 10)
                with pytest.raises(case.error, match=case.says) as first:
                    await dms.get("Test:Int")
                with pytest.raises(case.error, match=case.says):
                    async with dms.subscribe("Test:Int"):
                        pass
            case.check(first.value)

    backend.run(body)
    assert hostile.requests == []  # nothing reached the DMS that refused
