"""Every call of both async clients against the simulator, over plain WebSocket and HTTP
POST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio
import orjson
import pytest

from dmsproto.errors import DMSError, EncodeError, NoPermission, NotFound
from dmsproto.protocol import ChangelogGroups, Delete, Get, Query, ReadHistory, Set
from dmsproto.results import History, ItemError, Point
from tests.support.backends import Backend, LoopSim, url_of
from tests.support.client import ANCHOR

TRANSPORTS = ["ws", "http"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_get_and_get_many(backend: Backend, sim: LoopSim, transport: str) -> None:
    async def body() -> None:
        async with backend.connect(url_of(sim, transport)) as dms:
            assert dms.transport == transport
            point = await dms.get(
                "Test:Int", ext_infos={"name", "unit", "accType"}, tag={"n": 1})
            assert (point.path, point.value, point.type) == ("Test:Int", 1, "int")
            assert not point.has_child
            assert point.tag == {"n": 1}
            assert point.ext_infos is not None
            assert (point.ext_infos.name, point.ext_infos.unit, point.ext_infos.acc_type) == (
                "An int", "h", "uint32")
            assert point.stamp is not None and point.stamp.tzinfo is not None
            node = await dms.get("Test")
            assert node.type == "none" and node.has_child and node.stamp is None

            with pytest.raises(NotFound) as info:
                await dms.get("Test:Missing")
            assert info.value.path == "Test:Missing" and info.value.code == "not found"

            results = await dms.get_many(["Test:Double", "Nope:Nope", "Test:Text"])
            assert isinstance(results[0], Point) and results[0].value == 21.5
            assert isinstance(results[1], ItemError) and results[1].code == "not found"
            assert isinstance(results[1].exception(), NotFound)
            assert isinstance(results[2], Point) and results[2].value == "hello"
            assert await dms.get_many([]) == []

    backend.run(body)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_set_rename_delete(backend: Backend, sim: LoopSim, transport: str) -> None:
    async def body() -> None:
        async with backend.connect(url_of(sim, transport), whois="tester") as dms:
            result = await dms.set("New:Point", 123, type="double", create=True)
            assert (result.path, result.value, result.type) == ("New:Point", 123, "double")
            stamp = datetime(2024, 4, 30, 10, 0, 0, 123000, tzinfo=UTC)
            result = await dms.set("New:Point", 1.5, stamp=stamp, tag="t")
            assert result.stamp == stamp and result.tag == "t"
            assert (await dms.get("New:Point")).value == 1.5
            with pytest.raises(DMSError) as info:
                await dms.set("New:Other", 1)  # missing and not created
            assert info.value.path == "New:Other" and info.value.code != "ok"
            with pytest.raises(NoPermission):
                await dms.set("Test:RO", 6)
            with pytest.raises(EncodeError):
                await dms.set("New:Point", 1, stamp=datetime(2024, 1, 1))  # naive: refused

            renamed = await dms.rename("New:Point", "New:Moved")
            assert (renamed.path, renamed.new_path) == ("New:Point", "New:Moved")
            assert (await dms.get("New:Moved")).value == 1.5
            with pytest.raises(DMSError):
                await dms.delete("New")  # has children, not recursive
            deleted = await dms.delete("New", recursive=True)
            assert deleted.path == "New"
            with pytest.raises(NotFound):
                await dms.get("New:Moved")

    backend.run(body)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_query(backend: Backend, sim: LoopSim, transport: str) -> None:
    async def body() -> None:
        async with backend.connect(url_of(sim, transport)) as dms:
            found = await dms.query("Plant", regex_path=".*:Istwert", max_depth=0)
            assert sorted(p.path for p in found) == ["Plant:T1:Istwert", "Plant:T2:Istwert"]
            doubles = await dms.query("Test", types={"double"}, max_depth=0, ext_infos=["unit"])
            assert [p.path for p in doubles] == ["Test:Double"]
            assert doubles[0].ext_infos is not None and doubles[0].ext_infos.unit == "°C"
            assert await dms.query("Plant", regex_path="nothing-matches", max_depth=0) == []
            with_history = await dms.query("", has_hist_data=True, max_depth=0)
            assert [p.path for p in with_history] == ["Plant:Trend"]

    backend.run(body)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_history_and_changelogs(backend: Backend, sim: LoopSim, transport: str) -> None:
    async def body() -> None:
        async with backend.connect(url_of(sim, transport)) as dms:
            start = ANCHOR - timedelta(hours=6)
            compact = await dms.history("Plant:Trend", start=start, end=ANCHOR, interval=900)
            assert isinstance(compact, History)
            assert 20 <= len(compact) <= 25
            assert all(isinstance(v, float) for v in compact.values)
            first = compact[0]
            assert start - timedelta(minutes=15) <= first.stamp <= ANCHOR
            assert [e.value for e in compact][:3] == compact.values[:3]

            detail = await dms.history(
                "Plant:Trend", start=start.isoformat(), end=ANCHOR, format="detail"
            )
            assert len(detail) == len(compact)
            assert detail[0].state == "ok" and detail[0].rec is not None

            groups = await dms.changelog_groups()
            assert groups == ["ABS1", "ALARMS"]
            log = await dms.changelog_read("ABS1", start=ANCHOR - timedelta(days=1))
            assert log.group == "ABS1"
            assert sorted(e.text for e in log.entries) == ["Pump off", "Pump on"]
            assert all(e.path == "Plant:Pump" for e in log.entries)

            alarms = await dms.changelog("Plant:Fault", start=ANCHOR - timedelta(days=1))
            assert len(alarms) == 1
            alarm = alarms[0]
            assert alarm.is_alarm and alarm.state == "occurred"
            assert (alarm.priority, alarm.priority_bacnet, alarm.alarm_group) == (2, 66, 1)
            assert (alarm.alarm_collect_group, alarm.site_group, alarm.screen) == (
                10, 1, "Overview")

    backend.run(body)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_batch(backend: Backend, sim: LoopSim, transport: str) -> None:
    async def body() -> None:
        async with backend.connect(url_of(sim, transport)) as dms:
            ops = [
                Get("Test:Int", tag="a"),
                Query("Plant", {"regExPath": ".*Istwert", "maxDepth": 0}, tag="q"),
                Get("Nope"),
                Set("Test:Double", 30.0),
                ReadHistory("Plant:Trend", start=ANCHOR - timedelta(hours=1), end=ANCHOR),
                ChangelogGroups(),
                Delete("Nope:Nope"),
            ]
            results = await dms.batch(ops, tag={"mine": True})
            assert [r.op for r in results] == ops
            assert [r.ok for r in results] == [True, True, False, True, True, True, False]
            assert results[0].value.value == 1 and results[0].value.tag == "a"
            assert sorted(p.path for p in results[1].value) == [
                "Plant:T1:Istwert", "Plant:T2:Istwert"]
            assert all(p.tag == "q" for p in results[1].value)
            assert results[2].code == "not found" and results[2].path == "Nope"
            assert results[0].path == "Test:Int" and results[2].raw["code"] == "not found"
            with pytest.raises(NotFound):
                results[2].unwrap()
            assert results[3].unwrap().value == 30.0
            assert len(results[4].value) >= 4
            assert results[5].value == ["ABS1", "ALARMS"]
            assert results[6].code == "not found"

    backend.run(body)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_chunking_of_large_requests(backend: Backend, sim: LoopSim, transport: str) -> None:
    async def body() -> None:
        async with backend.connect(url_of(sim, transport), chunk_size=7) as dms:
            paths = [f"Test:{n}" for n in ("Int", "Double", "Text", "Flag")] * 6 + ["Missing"]
            results = await dms.get_many(paths)
            assert len(results) == len(paths)
            assert [r.path for r in results] == paths
            assert isinstance(results[-1], ItemError)
            assert dms.core._next_id - 1 == 4  # 25 items in chunks of 7 = 4 requests

    backend.run(body)


def test_concurrent_calls_interleave(backend: Backend, sim: LoopSim) -> None:
    """Many tasks share one connection; each gets exactly its own answer."""
    async def body() -> None:
        async with backend.connect(sim.url) as dms:
            seen: dict[int, object] = {}

            async def worker(n: int) -> None:
                await dms.set(f"Con:P{n}", n, create=True)
                seen[n] = (await dms.get(f"Con:P{n}")).value

            async with anyio.create_task_group() as nursery:
                for n in range(50):
                    nursery.start_soon(worker, n)
            assert seen == {n: n for n in range(50)}
            assert dms.core.pending_calls == 0

    backend.run(body)


def test_errors_in_the_block_are_not_wrapped(backend: Backend, sim: LoopSim) -> None:
    async def body() -> None:
        with pytest.raises(KeyError, match="mine"):
            async with backend.connect(sim.url) as dms:
                await dms.get("Test:Int")
                raise KeyError("mine")
        with pytest.raises(NotFound):
            async with backend.connect(sim.url) as dms, dms.subscribe("Test:Int"):
                await dms.get("Missing")
        assert not dms.connected

    backend.run(body)


def test_default_chunking_and_big_messages(backend: Backend, sim: LoopSim) -> None:
    """12,000 paths: two requests of at most 10,000 items, answers above 1 MiB each."""
    async def body() -> None:
        async with backend.connect(sim.url) as dms:
            before = dms.core._next_id
            name = "Missing:Point:With:A:Longer:Name:Number"
            paths = [f"{name}{i:06d}" if i % 100 else "Test:Int" for i in range(12_000)]
            results = await dms.get_many(paths)
            assert dms.core._next_id - before == 2
            errors = [r.raw for r in results[:10_000] if isinstance(r, ItemError)]
            assert len(orjson.dumps(errors)) > 1 << 20  # above the libraries' default limits
            assert [r.path for r in results] == paths
            assert all(isinstance(r, Point) == (i % 100 == 0) for i, r in enumerate(results))

    backend.run(body)


@pytest.mark.parametrize("timeout", [0, -1.0, float("nan")])
def test_a_call_timeout_out_of_bounds_is_refused_before_anything_is_sent(
    backend: Backend, sim: LoopSim, timeout: float
) -> None:
    async def body() -> None:
        async with backend.connect(sim.url) as dms:
            with pytest.raises(EncodeError, match="timeout must be a number > 0 or None"):
                await dms.set("Test:Int", 2, timeout=timeout)
            assert (await dms.get("Test:Int")).value == 1
    backend.run(body)
