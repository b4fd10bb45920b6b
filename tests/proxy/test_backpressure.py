"""A slow side slows the other down, and the proxy's memory stays bounded meanwhile.

The DMS stops reading; the client keeps sending 1 MiB frames.  The proxy stops
reading from the client once its write to the DMS blocks, so the client soon
blocks too, and what the proxy holds (traced by tracemalloc, counted only where
the proxy's code is on the stack) stays near one frame, whatever the client
tried to send.  When the DMS reads again, every byte arrives.
"""

from __future__ import annotations

import tracemalloc

import trio

from dmsproto.proxy import Limits
from tests.support.proxy import STEP, Frame, FrameServer, RawClient, running_proxy

MiB = 1024 * 1024
FRAMES = 96
"""More than the socket buffers on the way could take in even at their largest."""


def held_by_the_proxy() -> int:
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(True, "*/dmsproto/proxy/*", all_frames=True)])
    return sum(stat.size for stat in snapshot.statistics("filename"))


async def test_a_dms_that_stops_reading_stops_the_client_and_memory_stays_bounded() -> None:
    payload = b"x" * MiB
    async with trio.open_nursery() as nursery:
        server = await nursery.start(FrameServer(paused=True, echo=False).serve)
        limits = Limits(max_message=256 * 1024, close_timeout=2.0)
        tracemalloc.start(25)
        try:
            async with running_proxy(server.url, limits=limits) as (proxy, seen):
                async with RawClient.connect(proxy.port) as client:
                    sent = 0
                    for _ in range(FRAMES):
                        with trio.move_on_after(1.0) as scope:
                            await client.send(Frame("binary", payload, fin=False))
                        if scope.cancelled_caught:
                            break  # the client is blocked: back-pressure reached it
                        sent += 1
                    held = held_by_the_proxy()
                    server.resume.set()
                # the client left (its last frame cut off); what it sent still arrives
                await seen.wait_notice("client-lost")
                with trio.fail_after(STEP):
                    await server.ended.wait()
        finally:
            tracemalloc.stop()
        nursery.cancel_scope.cancel()
    assert sent < FRAMES, "the client was never slowed down"
    assert held < 4 * MiB, f"the proxy held {held:,} bytes"
    arrived = [f for f in server.frames if f.kind == "binary"]
    assert sum(len(f.data) for f in arrived) >= sent * MiB
    # a frame larger than the limit is passed on in pieces, never held whole
    assert max(len(f.data) for f in arrived) <= limits.max_message + limits.receive_size
    assert all(set(f.data) == {ord("x")} and not f.fin for f in arrived)
