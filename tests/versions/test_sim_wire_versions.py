"""The simulator over a real loopback WebSocket speaks the version it was started with
(every frame it sends is checked against that version's schema by ``make_sim``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from trio_websocket import open_websocket_url

import dmsproto
from dmsproto.sim.plant import demo_plant_path
from dmsproto.sim.server import Simulator

pytestmark = pytest.mark.trio

NOW = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


async def ask(sim: Simulator, message: dict[str, Any]) -> dict[str, Any]:
    async with open_websocket_url(sim.url) as ws:
        await ws.send_message(json.dumps(message))
        reply: dict[str, Any] = json.loads(await ws.get_message())
        return reply


async def test_v15_simulator_sends_hist_data_past_a_v15_peer_decodes(
    make_sim: Callable[..., Simulator],
) -> None:
    request = {"get": [{"path": "Plant:AHU1:TempOutdoor", "histData": {
        "start": "2026-01-14T10:00:00Z", "interval": 0, "format": "detail",
        "showPast": True, "showOriginal": True}}]}
    async with make_sim(demo_plant_path(), clock=clock, protocol="1.5") as sim:
        reply = await ask(sim, request)
    frame = dmsproto.decode(json.dumps(reply), direction="recv", protocol="1.5")
    past = frame.get[0].hist_data_past
    assert [e.detail.mod for e in past] == ["modified", "modified", "past"]
    assert past[0].detail.value_original is not None
    assert past[2].detail.stamp_modified == "2026-01-15T10:30:00,000+01:00"


async def test_v13_simulator_refuses_change_log_and_searches_prot_data(
    make_sim: Callable[..., Simulator],
) -> None:
    async with make_sim(demo_plant_path(), clock=clock, protocol="1.3") as sim:
        refused = await ask(sim, {"changelogGetGroups": []})
        found = await ask(sim, {"get": [{"path": "Plant", "query": {
            "hasProtData": True, "maxDepth": 0}}]})
    assert refused == {"get": [{"code": "error",
                                "message": "Unknown command 'changelogGetGroups'"}]}
    paths = [i["path"] for i in found["get"]]
    assert paths and all(i["code"] == "ok" for i in found["get"])
    assert dmsproto.validate(found, direction="recv", protocol="1.3") == []
