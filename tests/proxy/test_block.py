"""``--block-invalid``: requests with errors are answered by the proxy, as a DMS would, and
never reach the DMS; everything else passes as before."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dmsproto.capture import Recorder, read_capture
from dmsproto.proxy import REFUSED, Finding, refusal
from dmsproto.sim.server import Simulator
from dmsproto.sim.testing import tiny_plant
from tests.support.proxy import Frame, RawClient, running_proxy


def reached_the_dms(path: Path) -> list[str]:
    """The requests the simulator itself received (its own recording)."""
    return [m.data for m in read_capture(path) if getattr(m, "direction", None) == "send"]


async def test_invalid_websocket_requests_are_answered_not_forwarded(
        make_sim: Callable[..., Simulator], tmp_path: Path) -> None:
    dms_record = tmp_path / "dms.jsonl"
    sim = make_sim(tiny_plant(), record=dms_record)
    bad = json.dumps({"tag": 5, "get": [{"path": "A:Int", "tag": "i0"},
                                        {"path": 7, "tag": "i1"}, "A:Str"]})
    async with sim, running_proxy(sim.url, block_invalid=True) as (proxy, seen), \
            RawClient.connect(proxy.port) as client:
        await client.text(bad)
        answer = json.loads(await client.message())
        # fragmented and binary requests are held whole, then judged the same way
        await client.send(Frame("binary", b'{"get": [{"pa', fin=False),
                          Frame("binary", b'th": 1}]}', fin=True))
        second = json.loads(await client.message())
        await client.text('{"get": ["A:Int"]}')
        good = json.loads(await client.message())
        await client.close()
    reason = f"{REFUSED}: /get/1/path: 7 is not a string"
    assert answer == {"tag": 5, "get": [
        {"code": "error", "path": "A:Int", "message": reason, "tag": "i0"},
        {"code": "error", "message": reason, "tag": "i1"},
        {"code": "error", "path": "A:Str", "message": reason}]}
    assert second["get"][0]["code"] == "error"
    assert good["get"][0]["value"] == 44
    assert reached_the_dms(dms_record) == ['{"get": ["A:Int"]}']
    assert len(seen.events("blocked")) == 2
    # the refusals are validated too: they are valid answers to their requests
    assert [f.rule for f in seen.findings] == ["type", "binary-frame", "type"]


async def test_invalid_http_posts_are_answered_not_forwarded(
        make_sim: Callable[..., Simulator], tmp_path: Path, http_request: Any) -> None:
    dms_record = tmp_path / "dms.jsonl"
    sim = make_sim(tiny_plant(), record=dms_record)
    async with sim, running_proxy(sim.url, block_invalid=True) as (proxy, seen):
        reply = await http_request(proxy.port, "POST", "/json_data", b"not JSON at all")
        good = await http_request(proxy.port, "POST", "/json_data", b'{"get": ["A:Int"]}')
    assert reply is not None and reply.status == 200
    assert reply.headers[b"content-type"].startswith(b"application/json")
    body = json.loads(reply.body)
    assert body["get"][0]["code"] == "error"
    assert body["get"][0]["message"].startswith(f"{REFUSED}: /: not JSON")
    assert good is not None and json.loads(good.body)["get"][0]["value"] == 44
    assert reached_the_dms(dms_record) == ['{"get": ["A:Int"]}']
    # as a DMS's own fatal answer (3.2.1), the refusal answers the unreadable request
    assert [(f.client, f.rule) for f in seen.findings] == [("c1.1", "json")]


async def test_warnings_and_clean_requests_are_not_blocked(
        make_sim: Callable[..., Simulator], tmp_path: Path) -> None:
    sim = make_sim(tiny_plant())
    record = tmp_path / "proxy.jsonl"
    async with sim, running_proxy(sim.url, block_invalid=True,
                                  record=Recorder(record)) as (proxy, seen), \
            RawClient.connect(proxy.port) as client:
        await client.text('{"tag": 1, "get": ["A:Int"]}')
        assert json.loads(await client.message())["get"][0]["value"] == 44
        await client.close()
    assert seen.findings == []
    assert not seen.events("blocked")


def finding(pointer: str, message: str, severity: str = "error") -> Finding:
    return Finding(0.0, "c1", "send", 1, pointer, "type", None, message,
                   severity)  # type: ignore[arg-type]


def test_refusal_of_frames_that_are_not_requests() -> None:
    why = [finding("", "not JSON: unexpected character")]
    assert json.loads(refusal("{nope", why)) == {
        "get": [{"code": "error", "message": f"{REFUSED}: /: not JSON: unexpected character"}]}
    assert json.loads(refusal('{"tag": [1], "set": 5}', why)) == {
        "tag": [1], "set": [{"code": "error",
                             "message": f"{REFUSED}: /: not JSON: unexpected character"}]}
    assert json.loads(refusal('{"get": []}', why)) == {"get": []}


def test_refusal_names_the_first_error_not_a_warning() -> None:
    why = [finding("/a", "only a warning", "warning"), finding("/b", "the error")]
    assert json.loads(refusal('{"get": ["X"]}', why))["get"][0]["message"] == (
        f"{REFUSED}: /b: the error")
