"""Writes cut off by a lost connection say what may have been done, and are never sent again,
with the trio and the asyncio client alike.

A write sent and not answered raises ``OutcomeUnknown`` (naming the operations, and for
a request split into frames which frames were answered); one never sent raises ``NotSent``.
"""

from __future__ import annotations

import anyio
import pytest

from dmsproto.errors import ConnectionLost, NotSent, OutcomeUnknown, RequestTimeout
from dmsproto.protocol import Delete, Get, Rename, Set
from tests.support.backends import Backend, LoopSim, url_of
from tests.support.client import FAST
from tests.support.hostile import Answer, Close, Drop, HostileThread


@pytest.mark.parametrize("end", [Drop(), Close(1011, "Internal error.")], ids=["drop", "1011"])
def test_a_write_lost_after_sending_is_outcome_unknown(
    backend: Backend, hostile: HostileThread, end: Drop | Close
) -> None:
    async def body() -> None:
        async with backend.connect(hostile.url, timeout=5) as dms:
            with anyio.fail_after(10):
                await dms.get("Test:Int")
                hostile.then(lambda r: [end])
                with pytest.raises(OutcomeUnknown, match="may or may not have been done") as lost:
                    await dms.set("Test:Int", 5)
                assert lost.value.unknown == (Set("Test:Int", 5),) == lost.value.ops
                assert (lost.value.answered, lost.value.not_sent) == ((), ())
                if isinstance(end, Close):
                    assert "1011 Internal error." in str(lost.value)
                with pytest.raises(NotSent, match="not sent"):
                    await dms.delete("Test:Int")  # the client is down (no reconnect): not sent
        assert len(hostile.requests) == 2  # nothing was sent again

    backend.run(body)


def test_a_read_lost_after_sending_is_plain_connection_lost(
    backend: Backend, hostile: HostileThread
) -> None:
    async def body() -> None:
        async with backend.connect(hostile.url, timeout=5) as dms:
            with anyio.fail_after(10):
                hostile.then(lambda r: [Drop()])
                with pytest.raises(ConnectionLost) as lost:
                    await dms.get("Test:Int")
        assert not isinstance(lost.value, OutcomeUnknown | NotSent)

    backend.run(body)


@pytest.mark.parametrize("transport", ["ws", "http"])
def test_the_simulator_did_the_write_whose_outcome_was_unknown(
    backend: Backend, sim: LoopSim, transport: str
) -> None:
    async def body() -> None:
        async with backend.connect(url_of(sim, transport), timeout=5) as dms:
            sim.fault("drop_before_response", match="set")
            with anyio.fail_after(10), pytest.raises(OutcomeUnknown):
                await dms.set("Test:Int", 7)

    backend.run(body)
    node = sim.call(sim.sim.engine.tree.get, "Test:Int")
    assert node is not None and node.value == 7  # done: "unknown" was honest


SETS = [Set(f"Test:P{n}", n) for n in range(5)]


def test_a_chunked_batch_over_http_reports_which_frames_were_answered(
    backend: Backend, hostile: HostileThread
) -> None:
    """One POST after the other: the first frame answered, the second lost, the third not sent."""

    async def body() -> OutcomeUnknown:
        async with backend.connect(hostile.http_url, timeout=5, chunk_size=2) as dms:
            with anyio.fail_after(10):
                hostile.then(lambda r: [Answer()], lambda r: [Drop()])
                with pytest.raises(OutcomeUnknown, match="2 of 5 operations") as lost:
                    await dms.batch(SETS)
        return lost.value

    error = backend.run(body)
    assert (error.chunks, error.answered_chunks) == (3, (0,))
    assert error.answered == tuple(SETS[:2])
    assert error.unknown == tuple(SETS[2:4])
    assert error.not_sent == tuple(SETS[4:])
    assert len(hostile.requests) == 2


def test_a_chunked_batch_over_websocket_reports_which_frames_were_answered(
    backend: Backend, hostile: HostileThread
) -> None:
    async def body() -> OutcomeUnknown:
        async with backend.connect(hostile.url, timeout=5, chunk_size=2) as dms:
            with anyio.fail_after(10):
                await dms.get("Test:Int")
                hostile.then(lambda r: [Answer()], lambda r: [Drop()])
                with pytest.raises(OutcomeUnknown, match="frames answered: 1 of 3") as lost:
                    await dms.batch(SETS)
        return lost.value

    error = backend.run(body)
    assert (error.chunks, error.answered_chunks) == (3, (0,))
    assert error.answered == tuple(SETS[:2])
    # the frames go out back to back: the third may or may not have left before the drop
    assert error.unknown[:2] == tuple(SETS[2:4])
    assert error.unknown + error.not_sent == tuple(SETS[2:])
    assert len(hostile.requests) <= 4  # the get and at most the three frames, each once


def test_a_batch_holding_a_write_lists_every_op_sent_as_unknown(
    backend: Backend, hostile: HostileThread
) -> None:
    ops = [Get("Test:Int"), Rename("Test:A", "Test:B"), Delete("Test:C")]

    async def body() -> None:
        async with backend.connect(hostile.url, timeout=5) as dms:
            with anyio.fail_after(10):
                hostile.then(lambda r: [Drop()])
                with pytest.raises(OutcomeUnknown, match="3 of 3 operations") as lost:
                    await dms.batch(ops)
        assert lost.value.unknown == tuple(ops)

    backend.run(body)


def test_a_write_waiting_for_a_reconnection_that_never_comes_was_not_sent(
    backend: Backend, hostile: HostileThread
) -> None:
    async def body() -> None:
        async with backend.connect(hostile.url, timeout=0.5, reconnect=FAST) as dms:
            with anyio.fail_after(10):
                await dms.get("Test:Int")
                hostile.then(lambda r: [Drop()])
                hostile.refusing = True  # every reconnection fails from now on
                with pytest.raises(OutcomeUnknown):
                    await dms.set("Test:Int", 2)
                with pytest.raises(RequestTimeout, match=r"no connection.*not sent"):
                    await dms.set("Test:Int", 3)

    backend.run(body)
