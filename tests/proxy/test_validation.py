"""A deliberately non-conforming client through the proxy: its violations, exactly.

Each case sends known violations to the simulator through the proxy and states
the findings by rule, pointer, direction and message number; the recording of the
same traffic, validated by ``dmsproto validate``, must give the same findings.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dmsproto.capture import Recorder
from dmsproto.sim.server import Simulator
from dmsproto.sim.testing import tiny_plant
from tests.support.proxy import Frame, RawClient, as_validate_sees, running_proxy, validated

STAMP = "2026-01-15T11:00:00,000+01:00"


async def test_raw_client_violations_are_reported_exactly(
        make_sim: Callable[..., Simulator], tmp_path: Path) -> None:
    record = tmp_path / "proxy.jsonl"
    sim = make_sim(tiny_plant())
    event = {"event": [{"code": "onChange", "path": "A:Int", "trigger": "<SYS>", "value": 1,
                        "type": "int", "stamp": STAMP, "tag": "never-subscribed"}]}
    async with sim, running_proxy(sim.url, record=Recorder(record)) as (proxy, seen), \
            RawClient.connect(proxy.port) as client:
        await client.text('{"get": [{"path": 5}]}')                        # 1 2
        await client.message()
        await client.text("this is not JSON")                              # 3 4
        await client.message()
        await client.text("[1, 2]")                                        # 5 6
        await client.message()
        await client.text('{"set": [{"path": "B:X", "value": 1}]}')        # 7 8
        await client.message()
        await client.text('{"tag": 9, "get": ["A:Int"], "bogus": 1}')      # 9 10
        await client.message()
        await client.text(json.dumps({"get": [{"path": "A:Dbl",            # 11 12
                                               "histData": {"start": "yesterday"}}]}))
        await client.message()
        # binary frames are checked like text
        await client.send(Frame("binary", b'{"get": [{"path": "A:Int", "tag": null}]}'))
        await client.message()                                             # 13 14
        sim.faults.malformed_next("{oops", match="get")                   # 15 16 17
        await client.text('{"get": ["A:Str"]}')
        assert await client.message() == "{oops"
        await client.message()
        sim.faults.inject_event_before_response(event, match="get")        # 18 19 20
        await client.text('{"get": ["A:Str"]}')
        await client.message()
        await client.message()
        await client.close()
    assert sorted(seen.rules()) == sorted([
        ("c1", "send", 1, "type", "/get/0/path"),
        ("c1", "send", 3, "json", ""),
        ("c1", "send", 5, "frame", ""),
        ("c1", "send", 7, "set-user", "/user"),
        ("c1", "send", 7, "whois", "/whois"),
        ("c1", "send", 9, "additionalProperties", "/bogus"),
        ("c1", "send", 11, "timestamp", "/get/0/histData/start"),
        ("c1", "send", 13, "binary-frame", ""),
        ("c1", "send", 13, "not", "/get/0/tag"),
        ("c1", "recv", 14, "item-tag", "/get/0/tag"),  # a null tag is not echoed
        ("c1", "recv", 16, "json", ""),
        ("c1", "recv", 19, "event-unsubscribed", "/event/0/tag"),
    ]), sorted(seen.rules())
    warned = {f.rule for f in seen.findings if f.severity == "warning"}
    assert warned == {"set-user", "whois", "binary-frame"}
    assert proxy.witness.errors == len(seen.findings) - 3
    assert proxy.witness.warnings == 3
    # the same verdict as `dmsproto validate` on the recording of the same traffic
    assert as_validate_sees(seen.findings) == validated(record)


async def test_http_post_violations_are_reported_per_exchange(
        make_sim: Callable[..., Simulator], http_client: Any, tmp_path: Path) -> None:
    record = tmp_path / "proxy.jsonl"
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url, record=Recorder(record)) as (proxy, seen):
        http = await http_client.connect(proxy.port)
        try:
            good = await http.request("POST", "/json_data", b'{"get": ["A:Int"]}')
            bad = await http.request("POST", "/json_data", b'{"get": [{"path": 5}]}')
            refused = await http.request("GET", "/json_data")
        finally:
            await http.aclose()
    assert good is not None and json.loads(good.body)["get"][0]["value"] == 44
    assert bad is not None and bad.status == 200
    assert refused is not None and refused.status == 405  # the DMS's answer, passed on
    assert seen.rules() == [("c1.2", "send", 1, "type", "/get/0/path")]
    assert as_validate_sees(seen.findings) == validated(record)
    assert len(seen.events("open")) == 1  # one keep-alive connection for all three


async def test_clean_traffic_gives_no_findings(make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url) as (proxy, seen), \
            RawClient.connect(proxy.port) as client:
        await client.text(json.dumps({"tag": 1, "whois": "t", "user": "",
                                      "set": [{"path": "A:Int", "value": 7, "tag": "x"}]}))
        await client.message()
        await client.text('{"tag": 2, "subscribe": [{"path": "A:Int", "tag": "s"}]}')
        await client.message()
        await client.text('{"tag": 3, "whois": "t", "user": "", '
                          '"set": [{"path": "A:Int", "value": 8}]}')
        frames = {json.dumps(json.loads(await client.message()), sort_keys=True)
                  for _ in range(2)}  # the set's response and the subscription's event
        assert any('"event"' in f for f in frames)
        await client.close()
    assert seen.findings == []
    assert proxy.witness.checker.report.messages == 7


def test_the_protocol_version_decides_the_rules() -> None:
    from dmsproto.proxy import LiveChecker

    request = '{"tag": 1, "changelogGetGroups": []}'
    assert LiveChecker("1.4").check("send", request, "c1", 0.0) == []
    older = LiveChecker("1.3").check("send", request, "c1", 0.0)
    assert [(f.rule, f.pointer) for f in older] == [
        ("additionalProperties", "/changelogGetGroups")]
