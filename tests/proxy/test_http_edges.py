"""HTTP through the proxy as real HTTP clients send it: HTTP/1.0, ``Connection: close``,
pipelining, chunked bodies, ``Expect: 100-continue``, and what a client that speaks
something else is told."""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from contextlib import suppress

import pytest
import trio

from dmsproto.proxy import Limits
from dmsproto.proxy.server import PLAIN_TO_TLS
from dmsproto.sim.server import Simulator
from dmsproto.sim.testing import tiny_plant
from tests.support.proxy import STEP, running_proxy

GET = b'{"get": [{"path": "A:Int"}]}'


def post(body: bytes = GET, *, version: bytes = b"1.1", extra: bytes = b"") -> bytes:
    return (b"POST /json_data HTTP/" + version + b"\r\nHost: proxy\r\n" + extra
            + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


async def exchange_raw(port: int, data: bytes, *, half_close: bool = False) -> bytes:
    """Send ``data`` as it is and read until the proxy closes (bounded)."""
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    received = bytearray()
    try:
        await stream.send_all(data)
        if half_close:
            await stream.send_eof()
        with trio.fail_after(STEP):
            while chunk := await stream.receive_some(65536):
                received += chunk
    finally:
        await stream.aclose()
    return bytes(received)


@pytest.mark.parametrize("request_bytes", [
    post(version=b"1.0"),
    post(extra=b"Connection: close\r\n"),
], ids=["http-1.0", "connection-close"])
async def test_a_client_that_closes_after_one_request_gets_its_answer(
        make_sim: Callable[..., Simulator], request_bytes: bytes) -> None:
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url) as (proxy, seen):
        answer = await exchange_raw(proxy.port, request_bytes)
        with trio.fail_after(STEP):
            await proxy.wait_idle()
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b'"}]}')
    assert b'"value":44' in answer
    assert b"connection: close" in answer.lower()
    assert not seen.events("error")
    assert [n.text for n in seen.events("close")] == ["closed"]
    assert seen.findings == []


async def test_pipelined_chunked_and_expecting_requests_on_one_connection(
        make_sim: Callable[..., Simulator]) -> None:
    chunked = (b"POST /json_data?x=1 HTTP/1.1\r\nHost: proxy\r\nTransfer-Encoding: chunked\r\n\r\n"
               + b"".join(b"%x\r\n%s\r\n" % (1, GET[i:i + 1]) for i in range(len(GET)))
               + b"0\r\n\r\n")
    expecting = post(extra=b"Expect: 100-continue\r\n")
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url) as (proxy, seen):
        answer = await exchange_raw(
            proxy.port, post() + chunked + expecting + post(extra=b"Connection: close\r\n"))
    assert answer.count(b"HTTP/1.1 200 ") == 4
    assert b"HTTP/1.1 100 " in answer
    assert answer.count(b'"value":44') == 4
    assert seen.findings == []
    assert proxy.witness.checker.report.counts[("recv", "get")] == 4
    assert len(seen.events("open")) == 1


async def test_a_client_that_half_closes_after_its_request_gets_the_answer(
        make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url) as (proxy, seen):
        answer = await exchange_raw(proxy.port, post(), half_close=True)
    assert answer.startswith(b"HTTP/1.1 200 ") and b'"value":44' in answer
    assert seen.findings == [] and not seen.events("error")


@pytest.mark.parametrize(("sent", "status", "told"), [
    (b"HELLO\r\n\r\n", 400, "the client sent no HTTP/1.1 (it began with 'HELLO\\r\\n\\r\\n')"),
    (b"GET /json_data HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: 0123456789abcdef\r\n" * 100, 431,
     "the client sent a request or response head over 1,024 bytes"),
], ids=["garbage", "head-too-large"])
async def test_what_is_no_http_is_answered_and_told_in_our_words(
        make_sim: Callable[..., Simulator], sent: bytes, status: int, told: str) -> None:
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url, limits=Limits(max_head=1024)) as (proxy, seen):
        stream = await trio.open_tcp_stream("127.0.0.1", proxy.port)
        with suppress(trio.BrokenResourceError):  # the proxy answers before the end
            for start in range(0, len(sent), 256):  # in pieces, as a slow client sends
                await stream.send_all(sent[start:start + 256])
                await trio.sleep(0.01)
        with trio.fail_after(STEP):
            answer = await stream.receive_some(1000)
        await stream.aclose()
    assert answer.startswith(b"HTTP/1.1 %d " % status)
    assert [n.text for n in seen.events("close")] == [told]


async def test_plain_http_to_a_tls_listener_is_told_to_use_tls(
        make_sim: Callable[..., Simulator]) -> None:
    from dmsproto._selfsigned import make_self_signed, server_context

    sim = make_sim(tiny_plant())
    context = server_context(make_self_signed())
    async with sim, running_proxy(sim.url, ssl_context=context) as (proxy, seen):
        answer = await exchange_raw(proxy.port, post())
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert answer.endswith(b"This port speaks TLS: use https:// or wss://.")
    assert [n.text for n in seen.events("close")] == [PLAIN_TO_TLS]
    assert not seen.events("client-lost")


async def test_a_client_resetting_its_connection_is_told_in_the_systems_words(
        make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url) as (proxy, seen):
        stream = await trio.open_tcp_stream("127.0.0.1", proxy.port)
        await stream.send_all(post()[:-5])  # the body is not complete yet
        await seen.wait_notice("open")
        # closing with SO_LINGER 0 resets the connection (RST), as a killed client does
        stream.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        await stream.aclose()
        lost = await seen.wait_notice("client-lost")
    assert lost.text == "the client connection broke: Connection reset by peer"
