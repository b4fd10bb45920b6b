"""When a side goes away, fails or breaks the protocol: handled, reported, and isolated.

A connection that breaks on one side is dropped on the other too (as the client
would have seen it directly); the requests it left unanswered are reported as
``orphan-request`` (not those a close frame of the DMS answered: its fatal-error
form, 2.6); every other client goes on undisturbed.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections import Counter
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
import trio
from trio_websocket import ConnectionRejected, open_websocket_url
from wsproto.frame_protocol import Opcode

from dmsproto.capture import validate_files
from dmsproto.proxy import LiveChecker, Proxy, Witness, upstream_from_url
from dmsproto.proxy.clienttls import LEFT
from dmsproto.proxy.websocket import PROXY_STOPPED
from dmsproto.proxy.witness import STOPPED
from dmsproto.recorder import Recorder
from dmsproto.sim.server import Simulator
from dmsproto.sim.testing import tiny_plant
from tests.support.proxy import STEP, Frame, RawClient, Seen, running_proxy, validated

GET = '{"tag": "t1", "get": ["A:Int"]}'


async def test_the_dms_dropping_mid_request_drops_the_client_and_is_reported(
        make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url) as (proxy, seen), \
            RawClient.connect(proxy.port) as bystander, RawClient.connect(proxy.port) as client:
        await bystander.text(GET)
        await bystander.message()
        sim.faults.drop_before_response(match="get")
        await client.text(GET)
        assert await client.frame() == Frame("close", "", code=1006)
        lost = await seen.wait_notice("upstream-lost", "c2")
        assert "without a close handshake" in lost.text
        orphan = await seen.wait_for(lambda i: getattr(i, "rule", None) == "orphan-request")
        # the other client goes on, on its own DMS connection
        await bystander.text(GET)
        assert json.loads(await bystander.message())["get"][0]["value"] == 44
        await bystander.close()
    assert (orphan.client, orphan.direction, orphan.message_number, orphan.value) == (  # type: ignore[union-attr]
        "c2", "send", 1, "t1")
    assert seen.events("close")[0].text == "DMS connection lost"


async def test_the_client_dropping_mid_request_drops_the_dms_side_and_is_reported(
        make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url) as (proxy, seen):
        hold = sim.faults.hold_next(match="get")
        async with RawClient.connect(proxy.port) as client:
            await client.text(GET)
            with trio.fail_after(STEP):
                await hold.reached.wait()
            assert sim.connections == 1
        # leaving the block dropped the client's TCP connection without a close frame
        await seen.wait_notice("client-lost", "c1")
        with trio.fail_after(STEP):
            await sim.wait_connections(0)
        hold.release()
    assert [(f.client, f.rule, f.message_number) for f in seen.findings] == [
        ("c1", "orphan-request", 1)]


@pytest.mark.parametrize(("code", "reason"), [(1011, "Internal error."), (4000, "")])
async def test_a_dms_closing_instead_of_answering_has_answered_with_its_close(
        make_sim: Callable[..., Simulator], tmp_path: Path, code: int, reason: str) -> None:
    """A DMS's fatal errors on a WebSocket are close frames (2.6), as on HTTP error
    statuses: a request the DMS's close leaves open is answered, no orphan."""
    sim = make_sim(tiny_plant())
    sim.faults.close_next(code, reason)
    record = tmp_path / "proxy.jsonl"
    async with sim, running_proxy(sim.url, record=Recorder(record)) as (proxy, seen), \
            RawClient.connect(proxy.port) as client:
        await client.text(GET)
        assert await client.frame() == Frame("close", reason, code=code)
        await client.send(Frame("close", "", code=code))  # the client's reply
        await seen.wait_notice("close")
    assert seen.findings == []
    assert [n.text for n in seen.events("close")] == [
        f"DMS closed with {code}" + (f" {reason!r}" if reason else "")]
    report = validate_files([record])
    assert report.errors == 0 and validated(record) == Counter()
    assert report.notes == [f"{record}: 1 request not checked against an answer: "
                            f"answered with WebSocket close {code} (a fatal error, 2.6)"]


async def test_a_client_closing_before_its_answer_leaves_an_orphan(
        frame_server: Any) -> None:
    """The client's own close is no answer: what it did not wait for is reported."""
    frame_server.echo = False
    async with running_proxy(frame_server.url) as (proxy, seen), \
            RawClient.connect(proxy.port) as client:
        await client.text(GET)
        await client.close(1000)
        await seen.wait_notice("close")
    assert [(f.client, f.rule) for f in seen.findings] == [("c1", "orphan-request")]


async def test_http_dms_dropping_mid_request(make_sim: Callable[..., Simulator],
                                             http_request: Any) -> None:
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url) as (proxy, seen):
        sim.faults.drop_before_response(match="get")
        assert await http_request(proxy.port, "POST", "/json_data", GET.encode()) is None
        good = await http_request(proxy.port, "POST", "/json_data", GET.encode())
        assert good is not None and good.status == 200
    assert "before it answered" in seen.events("upstream-lost")[0].text
    assert [(f.client, f.rule) for f in seen.findings] == [("c1.1", "orphan-request")]


async def test_http_client_dropping_mid_request(make_sim: Callable[..., Simulator],
                                                http_client: Any) -> None:
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url) as (proxy, seen):
        hold = sim.faults.hold_next(match="get")
        client = await http_client.connect(proxy.port)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(client.request, "POST", "/json_data", GET.encode())
            with trio.fail_after(STEP):
                await hold.reached.wait()
            nursery.cancel_scope.cancel()
        await client.aclose()
        hold.release()  # the answer finds the client gone
        await seen.wait_notice("client-lost", "c1")
    assert [(f.client, f.rule) for f in seen.findings] == [("c1.1", "orphan-request")]


async def test_an_unreachable_dms_gives_502_and_a_notice(http_request: Any,
                                                         tmp_path: Path) -> None:
    listener = trio.socket.socket()
    await listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    record = tmp_path / "proxy.jsonl"
    async with running_proxy(f"ws://127.0.0.1:{port}/json_data",
                             record=Recorder(record)) as (proxy, seen):
        reply = await http_request(proxy.port, "POST", "/json_data", GET.encode())
        assert reply is not None and reply.status == 502
        assert reply.body == (f"Bad gateway: cannot connect to the DMS at 127.0.0.1:{port}: "
                              "Connection refused.").encode()  # the system's words, not trio's
        with pytest.RaisesGroup(ConnectionRejected, allow_unwrapped=True,
                                flatten_subgroups=True) as caught:
            async with open_websocket_url(proxy.url):
                pass  # pragma: no cover - must not connect
        assert probe_status(caught.value) == 502
        assert await proxy.probe() is not None
    assert len(seen.events("upstream-failed")) == 2
    # the request never reached the DMS: no finding, and nothing for the exit code
    assert seen.findings == [] and proxy.witness.exit_status() == 0
    # and `dmsproto validate` on the recording agrees
    report = validate_files([record])
    assert report.errors == 0 and validated(record) == Counter()
    assert report.notes == [f"{record}: 1 request not checked against an answer: "
                            "the DMS was not reached: the proxy answered 502"]


def probe_status(exc: BaseException) -> int:
    rejection = exc if isinstance(exc, ConnectionRejected) else exc.exceptions[0]  # type: ignore[attr-defined]
    return int(rejection.status_code)


async def test_a_refused_handshake_reaches_the_client_as_the_dms_sent_it(
        make_sim: Callable[..., Simulator], pki: Any) -> None:
    sim = make_sim(tiny_plant(), ssl_context=pki.server_context(), users=pki.users)
    async with sim, running_proxy(sim.url, cafile=str(pki.ca_file)) as (proxy, seen):
        with pytest.RaisesGroup(ConnectionRejected, allow_unwrapped=True,
                                flatten_subgroups=True) as caught:
            async with open_websocket_url(proxy.url):
                pass  # pragma: no cover - must not connect
    exc = caught.value
    rejection = exc if isinstance(exc, ConnectionRejected) else exc.exceptions[0]
    assert isinstance(rejection, ConnectionRejected)
    assert rejection.status_code == 401
    assert (b"www-authenticate", b'Basic realm="DMS JSON"') in (rejection.headers or ())
    assert rejection.body == b"Unauthorized."
    assert "HTTP 401" in seen.events("upstream-refused")[0].text


async def test_a_client_breaking_the_framing_is_closed_and_reported(
        make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url) as (proxy, seen), \
            RawClient.connect(proxy.port) as client:
        await client.text(GET)
        await client.message()
        # a text frame without the mask every client frame must have
        payload = GET.encode()
        await client.send_raw(bytes([0x80 | Opcode.TEXT, len(payload)]) + payload)
        closing = await client.frame()
        assert closing.kind == "close" and closing.code == 1002
        await client.send(Frame("close", "", code=1002))
    assert [(f.rule, f.direction, f.message_number) for f in seen.findings] == [
        ("websocket", "send", 3)]
    assert "broke the WebSocket protocol" in seen.events("websocket")[0].text
    assert proxy.witness.errors == 1


async def test_a_client_speaking_no_http_gets_400_and_others_go_on(
        make_sim: Callable[..., Simulator], http_request: Any) -> None:
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url) as (proxy, seen):
        stream = await trio.open_tcp_stream("127.0.0.1", proxy.port)
        await stream.send_all(b"\x16\x03\x01 this is no HTTP\r\n\r\n")
        with trio.fail_after(STEP):
            answer = await stream.receive_some(1000)
        await stream.aclose()
        assert answer.startswith(b"HTTP/1.1 400 ") and answer.endswith(b"Bad request.")
        good = await http_request(proxy.port, "POST", "/json_data", GET.encode())
        assert good is not None and good.status == 200
    assert seen.events("close")[0].text == (
        "the client sent a TLS handshake where plain HTTP was expected "
        "(it uses https:// or wss://)")


async def test_a_client_refusing_the_proxys_certificate_is_reported_as_the_clients(
        make_sim: Callable[..., Simulator]) -> None:
    from dmsproto._selfsigned import make_self_signed, server_context

    sim = make_sim(tiny_plant())
    context = server_context(make_self_signed())
    async with sim, running_proxy(sim.url, ssl_context=context) as (proxy, seen):

        def distrusting_client() -> None:
            # Python's blocking ssl sends the alert, as browsers, curl and node do
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=STEP) as raw, \
                    pytest.raises(ssl.SSLCertVerificationError):
                ssl.create_default_context().wrap_socket(raw, server_hostname="127.0.0.1")

        await trio.to_thread.run_sync(distrusting_client)
        failed = await seen.wait_notice("tls-failed")
        # connected and left without a byte (a port check): no notice, just the close
        await trio.aclose_forcefully(await trio.open_tcp_stream("127.0.0.1", proxy.port))
        # a TLS hello cut short
        stream2 = await trio.open_tcp_stream("127.0.0.1", proxy.port)
        await stream2.send_all(b"\x16\x03\x01")
        await stream2.aclose()
        await seen.wait_for(lambda _: len(seen.events("close")) == 3)
    assert failed.text == ("the client refused the proxy's certificate (TLSV1_ALERT_UNKNOWN_CA): "
                           "give the client the certificate to trust (with "
                           "--tls-self-signed, the file it prints)")
    assert not seen.events("client-lost")
    assert [n.text for n in seen.events("tls-failed")][1:] == [LEFT]
    assert sorted(n.text for n in seen.events("close")) == [
        "TLS handshake failed", "TLS handshake failed", "closed"]


async def test_a_dms_closing_without_an_answer_is_told_so(
        make_sim: Callable[..., Simulator], pki: Any, http_request: Any) -> None:
    # a plain upstream URL for a DMS that speaks TLS: it closes on the plain request
    sim = make_sim(tiny_plant(), ssl_context=pki.server_context(), users=pki.users)
    async with sim, running_proxy(sim.url.replace("wss://", "ws://")) as (proxy, seen):
        assert await http_request(proxy.port, "POST", "/json_data", GET.encode()) is None
        with pytest.RaisesGroup(ConnectionRejected, allow_unwrapped=True,
                                flatten_subgroups=True) as caught:
            async with open_websocket_url(proxy.url):
                pass  # pragma: no cover - must not connect
        assert probe_status(caught.value) == 502
    assert [n.text for n in seen.events("upstream-lost")] == [
        "the DMS connection broke before it answered: it closed the connection without an answer"]
    assert [n.text for n in seen.events("upstream-failed")] == [
        "the DMS closed the connection during the WebSocket handshake"]


async def test_connections_open_when_the_proxy_stops_say_so_and_leave_no_orphans(
        make_sim: Callable[..., Simulator], http_client: Any, tmp_path: Path) -> None:
    sim = make_sim(tiny_plant())
    seen = Seen()
    record = tmp_path / "proxy.jsonl"
    witness = Witness(LiveChecker("1.4"), listener=seen, recorder=Recorder(record))
    async with sim, AsyncExitStack() as client_side, trio.open_nursery() as nursery:
        async with Proxy(upstream_from_url(sim.url), witness) as proxy:
            client = await client_side.enter_async_context(RawClient.connect(proxy.port))
            await client.text(GET)
            await client.message()
            # a request of each kind on its way when the proxy stops (Ctrl-C)
            held = [sim.faults.hold_next(match="get")]
            await client.text(GET)
            with trio.fail_after(STEP):
                await held[0].reached.wait()
            held.append(sim.faults.hold_next(match="get"))
            poster = await http_client.connect(proxy.port)
            client_side.push_async_callback(poster.aclose)
            nursery.start_soon(poster.request, "POST", "/json_data", GET.encode())
            with trio.fail_after(STEP):
                await held[1].reached.wait()
        # the proxy stopped with the WebSocket open and a POST unanswered
        with trio.fail_after(STEP):
            await proxy.wait_idle()
        # the WebSocket client was told, with a close frame, not a dropped connection
        assert await client.frame() == Frame("close", PROXY_STOPPED, code=1001)
        for hold in held:
            hold.release()
    assert [n.text for n in seen.events("close")] == ["the proxy stopped"] * 2
    # what was cut off by the proxy itself is nobody's fault: no orphan-request
    assert seen.findings == [] and witness.exit_status() == 0
    # the recording says so too, so `dmsproto validate` agrees
    assert witness.recorder is not None
    witness.recorder.close()
    report = validate_files([record])
    assert report.errors == 0 and validated(record) == Counter()
    assert report.notes == [f"{record}: 2 requests not checked against an answer: {STOPPED}"]
