"""Real clients through the proxy to the simulator: ours (trio and blocking) and a third party's.

Plain and TLS upstreams, Basic auth passed through unchanged, and a client
certificate the proxy presents itself.  Conforming traffic gives no findings.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import trio

import dmsproto
import dmsproto.sync
from dmsproto.capture import Recorder
from dmsproto.errors import AuthenticationError, HTTPStatusError
from dmsproto.sim.server import Simulator
from dmsproto.sim.testing import tiny_plant
from tests.support.pki import PASSWORD, USER, Pki
from tests.support.proxy import STEP, RawClient, as_validate_sees, running_proxy, validated
from tests.support.serve_process import serving

SCRIPT = Path(__file__).with_name("visitoolkit_script.py")
NODE_RED_SCRIPT = Path(__file__).parents[1] / "interop" / "node_red_replay.js"


async def exercise(url: str, **options: object) -> None:
    """A bit of everything our client does, asserted."""
    async with dmsproto.connect(url, timeout=STEP, **options) as dms:  # type: ignore[arg-type]
        assert (await dms.get("A:Int")).value == 44
        await dms.set("A:Dbl", 7.25)
        assert (await dms.get("A:Dbl")).value == 7.25
        if url.startswith("ws"):
            async with dms.subscribe("A:Int") as sub:
                await dms.set("A:Int", 46)
                with trio.fail_after(STEP):
                    event = await sub.__anext__()
                assert (event.path, event.value) == ("A:Int", 46)
            await dms.set("A:Int", 44)


@pytest.mark.parametrize("scheme", ["ws", "http"])
async def test_our_client_through_the_proxy(make_sim: Callable[..., Simulator],
                                            scheme: str) -> None:
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url) as (proxy, seen):
        await exercise(proxy.url if scheme == "ws" else proxy.http_url)
    assert seen.findings == []
    assert proxy.witness.checker.report.messages >= 6
    assert not seen.events("upstream-failed") and not seen.events("error")


async def test_many_clients_at_once(make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url) as (proxy, seen):

        async def one() -> None:
            async with dmsproto.connect(proxy.url, timeout=STEP) as dms:
                for _ in range(20):
                    assert (await dms.get("A:Int")).value == 44

        async with trio.open_nursery() as nursery:
            for _ in range(10):
                nursery.start_soon(one)
    assert len(seen.events("open")) == 10
    assert seen.findings == []
    assert proxy.witness.checker.report.counts[("send", "get")] == 200


async def test_blocking_facade_through_the_proxy(make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url) as (proxy, seen):

        def blocking() -> list[object]:
            with dmsproto.sync.connect(proxy.url, timeout=STEP) as dms:
                dms.set("B:X", 5)
                return [dms.get("B:X").value, dms.get("A:Str").value]

        assert await trio.to_thread.run_sync(blocking) == [5, "hello"]
    assert seen.findings == []
    assert len(seen.events("open")) == 1


@pytest.mark.parametrize("scheme", ["wss", "https"])
async def test_basic_auth_passes_through_to_a_tls_dms(
        make_sim: Callable[..., Simulator], pki: Pki, scheme: str) -> None:
    sim = make_sim(tiny_plant(), ssl_context=pki.server_context(), users=pki.users)
    async with sim, running_proxy(sim.url, cafile=str(pki.ca_file)) as (proxy, seen):
        # the client speaks plain to the proxy (on loopback), the proxy TLS to the DMS
        plain = proxy.url if scheme == "wss" else proxy.http_url
        await exercise(plain, user=USER, password=PASSWORD, allow_insecure_auth=True)
        assert {s.user for s in sim.engine.sessions} <= {USER}
        # wrong credentials are the DMS's to refuse, and its refusal reaches the client
        with pytest.raises((AuthenticationError, HTTPStatusError)):
            await exercise(plain, user=USER, password="wrong", allow_insecure_auth=True)
    assert seen.findings == []
    assert seen.events("upstream-refused" if scheme == "wss" else "http-status")


async def test_authorization_header_reaches_the_dms_unchanged(frame_server: object) -> None:
    from tests.support.proxy import FrameServer

    assert isinstance(frame_server, FrameServer)
    token = b"Basic " + base64.b64encode(b"alice:pa:ss w\xc3\xb6rd")
    async with running_proxy(frame_server.url) as (proxy, _), \
            RawClient.connect(proxy.port, headers=[(b"Authorization", token),
                                                   (b"Origin", b"http://hmi")]) as client:
        await client.close()
    headers = dict((k.lower(), v) for k, v in frame_server.request_headers)
    assert headers[b"authorization"] == token
    assert headers[b"origin"] == b"http://hmi"


async def test_the_proxy_presents_its_own_client_certificate(
        make_sim: Callable[..., Simulator], pki: Pki) -> None:
    sim = make_sim(tiny_plant(), ssl_context=pki.server_context(), users=pki.users)
    async with sim, running_proxy(sim.url, cafile=str(pki.ca_file),
                                  certfile=str(pki.client_pem)) as (proxy, seen):
        assert proxy.upstream.client_certificate == str(pki.client_pem)
        async with dmsproto.connect(proxy.url, timeout=STEP) as dms:
            assert (await dms.get("A:Int")).value == 44
            assert [s.user for s in sim.engine.sessions] == ["client1"]
    assert seen.findings == []


async def test_a_tls_listener_with_a_self_signed_certificate(
        make_sim: Callable[..., Simulator], tmp_path: Path) -> None:
    from dmsproto._selfsigned import make_self_signed, server_context

    made = make_self_signed()
    cafile = made.write_certificate(tmp_path / "proxy.pem")
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url, ssl_context=server_context(made)) as (proxy, seen):
        assert proxy.url.startswith("wss://")
        await exercise(proxy.url, cafile=cafile)
        await exercise(proxy.http_url, cafile=cafile)
    assert seen.findings == []
    assert all(n.text.endswith("over TLS") for n in seen.events("open"))


@pytest.mark.timeout(300)
@pytest.mark.parametrize("upstream_tls", [False, True], ids=["plain-dms", "tls-dms-client-cert"])
async def test_visitoolkit_connector_through_the_proxy(
        make_sim: Callable[..., Simulator], pki: Pki, visitoolkit_python: Path,
        upstream_tls: bool, tmp_path: Path) -> None:
    options = {"ssl_context": pki.server_context(), "users": pki.users} if upstream_tls else {}
    tls = {"cafile": str(pki.ca_file), "certfile": str(pki.client_pem)} if upstream_tls else {}
    record = tmp_path / "visitoolkit.jsonl"
    sim = make_sim(tiny_plant(), **options)
    async with sim, running_proxy(sim.url, record=Recorder(record), **tls) as (proxy, seen):
        with trio.fail_after(60):
            done = await trio.run_process(
                [str(visitoolkit_python), str(SCRIPT), "127.0.0.1", str(proxy.port)],
                capture_stdout=True, capture_stderr=True, check=False)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    result = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert result["get"][0]["value"] == 44
    assert result["set"][0]["code"] == "ok"
    assert result["event"] == 45
    # its tagless changelogGetGroups got the DMS's answer, whatever that is
    assert [item["code"] for item in result["groups"]] in (["ok"], ["error"])
    counts = proxy.witness.checker.report.counts
    assert counts[("send", "subscribe")] == 1 and counts[("recv", "event")] >= 1
    assert seen.events("client-lost")  # it leaves without a close handshake
    # what a real DMS accepts from it is never an error: its one departure is a warning
    assert {(f.rule, f.severity) for f in seen.findings} == {
        ("changelog-groups-item", "warning")}
    # and the proxy says what validate says
    assert as_validate_sees(seen.findings) == validated(record)


@pytest.mark.timeout(300)
async def test_the_vendors_node_red_frames_with_ws_through_the_proxy(
        node_ws_modules: Path, tmp_path: Path) -> None:
    """ws 7 as the vendor's Node-RED nodes use it: binary frames, no tags, empty command
    arrays, permessage-deflate offered; what a real DMS accepts gives warnings only."""
    node = shutil.which("node")
    assert node is not None  # the node_ws_modules fixture needs it too
    with serving(tmp_path, "--tick", "1") as served:
        async with running_proxy(served.url) as (proxy, seen):
            with trio.fail_after(120):
                done = await trio.run_process(
                    [node, str(NODE_RED_SCRIPT), proxy.url], capture_stdout=True,
                    capture_stderr=True, check=False,
                    env={**os.environ, "NODE_PATH": str(node_ws_modules)})
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    assert proxy.witness.errors == 0, seen.findings
    assert {(f.rule, f.severity) for f in seen.findings} == {
        ("binary-frame", "warning"), ("empty-command", "warning")}
    assert len(seen.events("open")) == 4
    assert not seen.events("websocket") and not seen.events("error")
    assert not seen.events("client-lost") and not seen.events("upstream-lost")


async def test_permessage_deflate_is_not_negotiated_through_the_proxy(
        frame_server: object) -> None:
    from tests.support.proxy import FrameServer

    assert isinstance(frame_server, FrameServer)
    offer = (b"Sec-WebSocket-Extensions", b"permessage-deflate; client_max_window_bits")
    async with running_proxy(frame_server.url) as (proxy, _), \
            RawClient.connect(proxy.port, headers=[offer]) as client:
        await client.text('{"get": ["A"]}')  # uncompressed, as agreed (no extension)
        assert (await client.message()) == '{"get": ["A"]}'
        await client.close()
    assert frame_server.offered_extensions == []
