"""Every blocking call against the simulator: same results, same exceptions, timeouts."""

from __future__ import annotations

import inspect
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

import dmsproto.client as dc
import dmsproto.sync as ds
from dmsproto.errors import (
    ConnectError,
    ConnectionLost,
    DMSError,
    EncodeError,
    NoPermission,
    NotFound,
    NotInVersionError,
    RequestTimeout,
)
from dmsproto.protocol import ChangelogGroups, Delete, Get, Set
from dmsproto.results import (
    ChangelogReadResult,
    History,
    ItemError,
    ItemResult,
    Point,
    SetResult,
)
from tests.support.sync import ANCHOR, SimThread

if TYPE_CHECKING:
    from conftest import Extension

TRANSPORTS = ["ws", "http"]


def url_of(sim: SimThread, transport: str) -> str:
    return sim.url if transport == "ws" else sim.http_url


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_reads(sim: SimThread, transport: str) -> None:
    with ds.connect(url_of(sim, transport)) as dms:
        assert dms.transport == transport and dms.connected
        point = dms.get("Test:Int", ext_infos=["name", "unit"], tag={"n": 1})
        assert isinstance(point, Point)
        assert (point.path, point.value, point.type, point.tag) == ("Test:Int", 1, "int", {"n": 1})
        assert point.ext_infos is not None and point.ext_infos.unit == "h"
        with pytest.raises(NotFound) as info:
            dms.get("Test:Missing")
        assert info.value.path == "Test:Missing"

        many = dms.get_many(iter(["Test:Double", "Nope", "Test:Text"]))
        assert isinstance(many[0], Point) and many[0].value == 21.5
        assert isinstance(many[1], ItemError) and many[1].code == "not found"
        assert isinstance(many[2], Point) and many[2].value == "hello"
        assert dms.get_many([]) == []

        found = dms.query("Test", types=["double"], max_depth=0, ext_infos=["unit"])
        assert [p.path for p in found] == ["Test:Double"]
        assert [p.path for p in dms.query("", has_hist_data=True, max_depth=0)] == [
            "Plant:Trend"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_writes(sim: SimThread, transport: str) -> None:
    with ds.connect(url_of(sim, transport), whois="tester") as dms:
        result = dms.set("New:Point", 123, type="double", create=True)
        assert isinstance(result, SetResult)
        assert (result.path, result.value, result.type) == ("New:Point", 123, "double")
        with pytest.raises(NoPermission):
            dms.set("Test:RO", 6)
        renamed = dms.rename("New:Point", "New:Moved", tag="r")
        assert (renamed.path, renamed.new_path, renamed.tag) == ("New:Point", "New:Moved", "r")
        assert dms.get("New:Moved").value == 123
        with pytest.raises(DMSError):
            dms.delete("New")  # has children
        assert dms.delete("New", recursive=True).path == "New"
        with pytest.raises(NotFound):
            dms.get("New:Moved")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_history_and_changelogs(sim: SimThread, transport: str) -> None:
    start = ANCHOR - timedelta(hours=6)
    with ds.connect(url_of(sim, transport)) as dms:
        compact = dms.history("Plant:Trend", start=start, end=ANCHOR, interval=900)
        assert isinstance(compact, History) and 20 <= len(compact) <= 25
        detail = dms.history("Plant:Trend", start=start, end=ANCHOR, format="detail")
        assert len(detail) == len(compact) and detail[0].state == "ok"
        assert dms.changelog_groups() == ["ABS1", "ALARMS"]
        log = dms.changelog_read("ABS1", start=ANCHOR - timedelta(days=1))
        assert isinstance(log, ChangelogReadResult)
        assert sorted(e.text for e in log.entries) == ["Pump off", "Pump on"]
        alarms = dms.changelog("Plant:Fault", start=ANCHOR - timedelta(days=1))
        assert [(a.state, a.priority) for a in alarms] == [("occurred", 2)]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_batch(sim: SimThread, transport: str) -> None:
    with ds.connect(url_of(sim, transport)) as dms:
        ops = [Get("Test:Int", tag="a"), Get("Nope"), Set("Test:Double", 30.0),
               ChangelogGroups(), Delete("Nope:Nope")]
        results = dms.batch(iter(ops), tag={"mine": True})
        assert all(isinstance(r, ItemResult) for r in results)
        assert [r.op for r in results] == ops
        assert [r.ok for r in results] == [True, False, True, True, False]
        assert results[0].value.tag == "a" and results[3].value == ["ABS1", "ALARMS"]
        with pytest.raises(NotFound):
            results[1].unwrap()
        assert dms.batch([]) == []


def test_per_call_timeout_and_connection_still_usable(sim: SimThread) -> None:
    with ds.connect(sim.url, timeout=5) as dms:
        hold = sim.hold_next("get")
        with pytest.raises(RequestTimeout):
            dms.get("Test:Int", timeout=0.2)
        sim.release(hold)
        assert dms.get("Test:Double").value == 21.5  # the late answer was dropped


def test_default_timeout_from_connect(sim: SimThread) -> None:
    with ds.connect(sim.url, timeout=0.2) as dms:
        hold = sim.hold_next("changelogGetGroups")
        with pytest.raises(RequestTimeout, match=r"0\.2"):
            dms.changelog_groups()
        sim.release(hold)


def test_many_threads_share_one_client(sim: SimThread) -> None:
    errors: list[BaseException] = []
    seen: dict[int, object] = {}

    with ds.connect(sim.url) as dms:
        def worker(n: int) -> None:
            try:
                for k in range(10):
                    dms.set(f"Con:P{n}", n * 100 + k, create=True)
                    seen[n] = dms.get(f"Con:P{n}").value
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert seen == {n: n * 100 + 9 for n in range(16)}


def test_calls_after_close_raise_closed(sim: SimThread) -> None:
    with ds.connect(sim.url) as dms:
        pass
    assert dms.closed and not dms.connected
    with pytest.raises(ds.Closed):
        dms.get("Test:Int")
    assert issubclass(ds.Closed, ConnectionLost)
    dms.close()  # idempotent


def test_connect_errors_are_the_trio_clients(sim: SimThread) -> None:
    port = int(sim.url.split(":")[2].split("/")[0])
    insecure = f"ws://127.0.0.1:{port}/json_data"
    with pytest.raises(ConnectError, match="Basic"), ds.connect(insecure, user="u", password="x"):
        pass  # pragma: no cover - refused before: credentials over plain ws
    with pytest.raises(ConnectError, match="scheme"), ds.connect("ftp://127.0.0.1/x"):
        pass  # pragma: no cover
    with pytest.raises(ConnectError), ds.connect("ws://127.0.0.1:1/json_data", connect_timeout=5):
        pass  # pragma: no cover


def test_an_error_in_the_block_is_not_wrapped(sim: SimThread) -> None:
    with pytest.raises(KeyError, match="mine"), ds.connect(sim.url) as dms:
        dms.get("Test:Int")
        raise KeyError("mine")
    assert dms.closed


def _params(fn: object) -> dict[str, object]:
    sig = inspect.signature(fn)  # type: ignore[arg-type]
    return {name: p.default for name, p in sig.parameters.items() if name != "self"}


def test_signatures_follow_the_trio_client() -> None:
    """Every call argument of the trio client exists here, with its default.

    (Both ``connect``s take their options from one declaration: see
    ``tests/options/test_declarations.py``.)
    """
    for name in ("get", "get_many", "query", "set", "rename", "delete", "history",
                 "changelog", "changelog_groups", "changelog_read", "batch", "subscribe"):
        trio_params = _params(getattr(dc.Client, name))
        sync_params = _params(getattr(ds.Client, name))
        extra = {"callback", "on_gap"} if name == "subscribe" else set()
        assert set(sync_params) - extra == set(trio_params), name
        assert {k: sync_params[k] for k in trio_params} == trio_params, name
    trio_public = {n for n in dir(dc.Client) if not n.startswith("_")}
    sync_public = {n for n in dir(ds.Client) if not n.startswith("_")}
    # the trio client's sans-I/O core is not thread-safe: not offered here
    assert trio_public - sync_public == {"aclose", "core"}


def test_an_added_option_and_filter_reach_the_blocking_client(
    extended_declarations: Extension, sim: SimThread
) -> None:
    ext = extended_declarations
    added: dict[str, Any] = {ext.option: 5}
    with ds.connect(sim.url, **added) as dms:
        assert dms.get("Test:Int").value == 1
        missing = f"'{ext.filter}' is not part of protocol 1.4"  # decided by the ops
        with pytest.raises(NotInVersionError, match=missing):
            dms.query("", **{ext.filter: True})
        with pytest.raises(NotInVersionError, match=missing):
            dms.subscribe("Test", **{ext.filter: True})
    with (pytest.raises(ConnectError, match=f"{ext.option} must be an int >= 0"),
          ds.connect(sim.url, **{ext.option: -1})):
        pass  # pragma: no cover


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), "5"])
def test_a_call_timeout_out_of_bounds_is_refused_and_the_connection_lives_on(
    sim: SimThread, timeout: Any
) -> None:
    with ds.connect(sim.url) as dms:
        with pytest.raises(EncodeError, match="timeout must be a number > 0 or None"):
            dms.get("Test:Int", timeout=timeout)
        with pytest.raises(EncodeError, match="timeout must be a number > 0 or None"):
            dms.set("Test:Int", 2, timeout=timeout)
        assert dms.get("Test:Int").value == 1       # nothing was sent half-way


def test_bulk_calls_refuse_what_is_no_list_of_paths_or_operations(sim: SimThread) -> None:
    with ds.connect(sim.url) as dms:
        with pytest.raises(EncodeError, match="got one string 'Test:Int'"):
            dms.get_many("Test:Int")
        with pytest.raises(EncodeError, match="an Op"):
            dms.batch(["Test:Int"])  # type: ignore[list-item]
        assert dms.get("Test:Int").value == 1
