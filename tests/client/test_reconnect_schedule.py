"""The reconnect back-off: the policy's schedule, and the client keeping to it on a fake clock.

A door in front of the simulator lets the first connection through and then turns
every attempt away right after accepting it (a WebSocket handshake that never
happens), noting the fake clock's time of each attempt. The gaps between attempts
are the policy's delays; after a successful reconnect the schedule starts afresh.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import trio
import trio.testing

import dmsproto.client as dc
from dmsproto.errors import ConnectionLost, EventGap
from dmsproto.options import ReconnectPolicy
from dmsproto.sim.server import Simulator

# --------------------------------------------------------------- the policy itself


def test_without_jitter_the_delays_double_up_to_the_cap() -> None:
    policy = ReconnectPolicy(initial_delay=0.5, max_delay=6.0, multiplier=2.0, jitter=0.0)
    assert [policy.delay(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 6.0, 6.0]


def test_attempt_numbers_below_one_wait_the_initial_delay() -> None:
    policy = ReconnectPolicy(initial_delay=0.75, multiplier=3.0, jitter=0.0)
    assert policy.delay(0) == policy.delay(-4) == policy.delay(1) == 0.75
    assert policy.delay(2) == 2.25


def test_the_cap_applies_to_the_first_delay_too() -> None:
    assert ReconnectPolicy(initial_delay=10.0, max_delay=2.0, jitter=0.0).delay(1) == 2.0


@pytest.fixture
def seeded() -> Iterator[random.Random]:
    """Seeds the module-level generator the policy draws from; gives a twin to predict it."""
    state = random.getstate()
    random.seed(2101)
    yield random.Random(2101)
    random.setstate(state)


def test_jitter_takes_a_random_fraction_of_up_to_jitter_off_the_delay(
    seeded: random.Random,
) -> None:
    policy = ReconnectPolicy(initial_delay=1.0, max_delay=8.0, multiplier=2.0, jitter=0.25)
    got = [policy.delay(n) for n in range(1, 6)]
    expected = [base * (1.0 - 0.25 * seeded.random()) for base in (1.0, 2.0, 4.0, 8.0, 8.0)]
    assert got == pytest.approx(expected, rel=1e-12)
    for delay, base in zip(got, (1.0, 2.0, 4.0, 8.0, 8.0), strict=True):
        assert base * 0.75 <= delay <= base


def test_full_jitter_stays_between_zero_and_the_delay() -> None:
    policy = ReconnectPolicy(initial_delay=1.0, max_delay=1.0, jitter=1.0)
    delays = [policy.delay(3) for _ in range(200)]
    assert all(0.0 <= d <= 1.0 for d in delays)
    assert max(delays) - min(delays) > 0.5  # the draws spread over the range


# ------------------------------------------------------ the client on a fake clock


class Door:
    """A TCP relay to the simulator that can turn every new connection away."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.open = True
        self.port = 0
        #: fake-clock times of every connection attempt, turned away or not
        self.attempts: list[float] = []
        self.refusals = 0
        self.refused = trio.Condition()

    async def serve(self, task_status: trio.TaskStatus[object]) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        await trio.serve_listeners(self._handle, listeners, task_status=task_status)

    async def _handle(self, client: trio.SocketStream) -> None:
        self.attempts.append(trio.current_time())
        if not self.open:
            await trio.aclose_forcefully(client)
            self.refusals += 1
            async with self.refused:
                self.refused.notify_all()
            return
        server = await trio.open_tcp_stream("127.0.0.1", self.target_port)
        async with client, server, trio.open_nursery() as nursery:
            nursery.start_soon(self._pump, client, server, nursery.cancel_scope)
            nursery.start_soon(self._pump, server, client, nursery.cancel_scope)

    async def _pump(self, src: trio.SocketStream, dst: trio.SocketStream,
                    scope: trio.CancelScope) -> None:
        try:
            while data := await src.receive_some(65536):
                await dst.send_all(data)
        except trio.BrokenResourceError:
            pass
        scope.cancel()

    async def wait_refusals(self, count: int) -> None:
        """Until ``count`` attempts in all have been turned away."""
        async with self.refused:
            while self.refusals < count:
                await self.refused.wait()


async def lose_the_connection(door: Door, sim: Simulator, dms: Any, sub: Any) -> float:
    """Close the door, have the server drop the client; the fake time the client knew."""
    door.open = False
    sim.faults.drop_after_response(match="get")
    await dms.get("Test:Int")  # answered, then the connection is dropped
    with pytest.raises(EventGap):
        await sub.__anext__()
    return trio.current_time()


def gaps(times: list[float]) -> list[float]:
    return [round(b - a, 3) for a, b in itertools.pairwise(times)]


SCHEDULE = ReconnectPolicy(initial_delay=1.0, max_delay=5.0, multiplier=2.0, jitter=0.0,
                           max_attempts=5)


async def test_the_client_waits_the_policy_delays_then_gives_up(
    sim_factory: Callable[..., Simulator], autojump_clock: trio.testing.MockClock,
) -> None:
    del autojump_clock
    async with sim_factory() as sim, trio.open_nursery() as nursery:
        door = Door(sim.port)
        await nursery.start(door.serve)
        url = f"ws://127.0.0.1:{door.port}/json_data"
        async with dc.connect(url, reconnect=SCHEDULE) as dms, dms.subscribe("Test:Int") as sub:
            with trio.fail_after(120):
                lost = await lose_the_connection(door, sim, dms, sub)
                with pytest.raises(ConnectionLost, match="gave up"):
                    await dms.get("Test:Int", timeout=None)  # waits until it gives up
                gave_up = trio.current_time()
        nursery.cancel_scope.cancel()
    first, *retries = door.attempts
    assert first <= lost
    assert len(retries) == 5  # max_attempts, no more
    assert round(retries[0] - lost, 3) == 1.0
    assert gaps(retries) == [2.0, 4.0, 5.0, 5.0]
    assert gave_up == pytest.approx(retries[-1], abs=0.01)  # no last wait before giving up
    assert dms.reconnects == 0


async def test_a_successful_reconnect_starts_the_schedule_afresh(
    sim_factory: Callable[..., Simulator], autojump_clock: trio.testing.MockClock,
) -> None:
    del autojump_clock
    policy = ReconnectPolicy(initial_delay=1.0, max_delay=30.0, multiplier=3.0, jitter=0.0)
    async with sim_factory() as sim, trio.open_nursery() as nursery:
        door = Door(sim.port)
        await nursery.start(door.serve)
        url = f"ws://127.0.0.1:{door.port}/json_data"
        async with dc.connect(url, reconnect=policy) as dms, dms.subscribe("Test:Int") as sub:
            with trio.fail_after(300):
                lost = await lose_the_connection(door, sim, dms, sub)
                await door.wait_refusals(2)  # after 1 s and 3 s more
                door.open = True  # the third attempt (9 s later) gets through
                assert (await dms.get("Test:Int")).value == 1
                assert dms.reconnects == 1
                back = door.attempts[-1]
                assert gaps([lost, *door.attempts[1:]]) == [1.0, 3.0, 9.0]

                lost_again = await lose_the_connection(door, sim, dms, sub)
                await door.wait_refusals(4)
                assert back <= lost_again
                assert gaps([lost_again, *door.attempts[-2:]]) == [1.0, 3.0]
        nursery.cancel_scope.cancel()
