"""Checking in batches: each message of a read checked in order, with the time it passed.

A pump checks the messages of a read together once they are forwarded; the
findings must still come one message at a time, in the order the messages
passed, each with its client, its number and the time its read came in (not the
time it was checked), and a long batch must let the other tasks run.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
import trio

from dmsproto.proxy import Finding, LiveChecker, Notice, Witness
from dmsproto.proxy import backlog as backlog_module
from dmsproto.proxy.backlog import Backlog
from dmsproto.sim.server import Simulator
from dmsproto.sim.testing import tiny_plant
from tests.support.proxy import STEP, Frame, RawClient, running_proxy

NOT_AN_OBJECT = "[1]"
NOT_JSON = "not JSON"
BAD_PATH = '{"tag": 3, "get": [{"path": 5}]}'
NULL_TAG = '{"tag": 4, "get": [{"path": "A:Int", "tag": null}]}'
"""A request the simulator answers with a finding too: a null item tag is not echoed."""


def _witness() -> tuple[Witness, list[Finding]]:
    """A witness of stream ``c1`` whose own clock says 99 (never a message's time here)."""
    told: list[Finding] = []

    def listener(item: Finding | Notice) -> None:
        if isinstance(item, Finding):
            told.append(item)

    witness = Witness(LiveChecker(), listener=listener, clock=lambda: 99.0)
    witness.open_stream("c1")
    return witness, told


async def test_a_batch_is_checked_in_order_with_the_time_each_message_passed() -> None:
    witness, told = _witness()
    backlog = Backlog("c1", witness)
    backlog.put("send", NOT_AN_OBJECT, 10.0)
    backlog.put("send", NOT_JSON, 10.0)
    backlog.put("send", BAD_PATH, 11.5)
    assert told == []  # queued, not checked yet
    await backlog.check()
    assert len(backlog) == 0
    assert [(f.client, f.message_number, f.rule, f.time) for f in told] == [
        ("c1", 1, "frame", 10.0), ("c1", 2, "json", 10.0), ("c1", 3, "type", 11.5)]


async def test_a_long_batch_lets_other_tasks_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backlog_module, "CHECK_SLICE", 0.0)  # every message fills a slice
    witness, told = _witness()
    backlog = Backlog("c1", witness)
    for _ in range(5):
        backlog.put("send", NOT_JSON, 1.0)
    seen_between: list[int] = []

    async def other_task() -> None:
        for _ in range(3):
            seen_between.append(len(told))
            await trio.lowlevel.checkpoint()

    with trio.fail_after(STEP):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(backlog.check)
            nursery.start_soon(other_task)
    assert [f.message_number for f in told] == [1, 2, 3, 4, 5]
    # the other task ran while the batch was being checked, not only before or after it
    assert any(0 < n < 5 for n in seen_between), seen_between


async def test_drain_checks_what_waits_at_once() -> None:
    witness, told = _witness()
    backlog = Backlog("c1", witness)
    backlog.put("send", NOT_JSON, 2.0)
    backlog.drain()
    assert [(f.rule, f.time) for f in told] == [("json", 2.0)]


async def test_messages_of_one_read_through_the_proxy_keep_their_time_order_and_client(
        make_sim: Callable[..., Simulator]) -> None:
    ticks = itertools.count(1000)
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url, clock=lambda: float(next(ticks))) as (proxy, seen), \
            RawClient.connect(proxy.port) as first, RawClient.connect(proxy.port) as second:
        # three messages in one write: the proxy reads and checks them as one batch
        await first.send(Frame("text", NOT_AN_OBJECT), Frame("text", NOT_JSON),
                         Frame("text", NULL_TAG))
        await second.text(NULL_TAG)
        for _ in range(3):
            await first.message()
        await second.message()
        await first.close()
        await second.close()
    requests = [f for f in seen.findings if f.direction == "send"]
    assert [(f.client, f.message_number, f.rule) for f in requests if f.client == "c1"] == [
        ("c1", 1, "frame"), ("c1", 2, "json"), ("c1", 3, "not")]
    assert [(f.client, f.message_number, f.rule) for f in requests if f.client == "c2"] == [
        ("c2", 1, "not")]
    batch = [f.time for f in requests if f.client == "c1"]
    assert len(set(batch)) == 1, batch  # one read: one time, taken when it came in
    # each response is checked after its request, and passed the proxy later
    for client in ("c1", "c2"):
        mine = [(i, f) for i, f in enumerate(seen.findings) if f.client == client]
        last_request = max(i for i, f in mine if f.direction == "send")
        answers = [(i, f) for i, f in mine if f.direction == "recv"]
        assert [f.rule for _, f in answers] == ["item-tag"], answers
        assert all(i > last_request and f.time > batch[0] for i, f in answers)
