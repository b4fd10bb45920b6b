"""HTTP through the proxy as real HTTP clients send it: HTTP/1.0, ``Connection: close``,
pipelining, chunked bodies, ``Expect: 100-continue``, and what a client that speaks
something else is told."""

from __future__ import annotations

import gzip
import socket
import struct
import zlib
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from functools import partial
from pathlib import Path
from typing import Any

import h11
import pytest
import trio

from dmsproto.capture import validate_files
from dmsproto.proxy import Limits
from dmsproto.proxy.clienttls import PLAIN_TO_TLS
from dmsproto.proxy.config import MiB
from dmsproto.recorder import Recorder
from dmsproto.sim.server import Simulator
from dmsproto.sim.testing import tiny_plant
from tests.support.proxy import STEP, running_proxy, validated

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


ANSWER = (b'{"get":[{"code":"ok","path":"A:Int","value":44,"type":"int",'
          b'"stamp":"2026-11-30T14:00:00,000+01:00"}]}')
CODINGS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": lambda data: gzip.compress(data, mtime=0),  # no clock in the header
    "deflate": zlib.compress,
    "raw-deflate": lambda data: zlib.compress(data, wbits=-zlib.MAX_WBITS),
    "br": lambda data: b"\x8b\x02\x80" + data + b"\x03",  # what the proxy does not undo
}


async def http_dms(nursery: trio.Nursery, *, coding: str | None = None,
                   close: bool = False) -> tuple[int, list[int]]:
    """An HTTP "DMS" on a port: each answer ``ANSWER``, in ``coding`` (as a compressing
    gateway sends it), with ``Connection: close`` and the connection closed when
    ``close``.  Returns the port and a list that counts requests per connection."""
    body = CODINGS[coding](ANSWER) if coding else ANSWER
    head = [(b"Content-Type", b"application/json"), (b"Content-Length", str(len(body)).encode())]
    if coding:
        head.append((b"Content-Encoding", b"deflate" if coding == "raw-deflate" else
                     coding.encode()))
    if close:
        head.append((b"Connection", b"close"))
    per_connection: list[int] = []

    async def handle(stream: trio.SocketStream) -> None:
        conn = h11.Connection(h11.SERVER)
        per_connection.append(0)
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await stream.receive_some(65536))
            elif isinstance(event, h11.EndOfMessage):
                per_connection[-1] += 1
                await stream.send_all(b"".join(conn.send(e) or b"" for e in (
                    h11.Response(status_code=200, headers=head), h11.Data(data=body),
                    h11.EndOfMessage())))
                if close:
                    return
                conn.start_next_cycle()
            elif isinstance(event, h11.ConnectionClosed):
                return

    listeners = await nursery.start(partial(trio.serve_tcp, handle, 0, host="127.0.0.1"))
    return int(listeners[0].socket.getsockname()[1]), per_connection


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate"])
async def test_a_compressed_answer_is_checked_as_the_client_reads_it(
        nursery: trio.Nursery, http_request: Any, coding: str) -> None:
    port, _ = await http_dms(nursery, coding=coding)
    async with running_proxy(f"http://127.0.0.1:{port}/json_data") as (proxy, seen):
        reply = await http_request(proxy.port, "POST", "/json_data", GET, headers=[
            (b"Accept-Encoding", b"gzip, deflate")])
    assert reply is not None and reply.body == CODINGS[coding](ANSWER)  # passed unchanged
    assert seen.findings == [] and not seen.events("unvalidated")
    assert proxy.witness.checker.report.counts[("recv", "get")] == 1


async def test_an_answer_in_a_coding_the_proxy_cannot_undo_passes_unchecked(
        nursery: trio.Nursery, http_request: Any) -> None:
    port, _ = await http_dms(nursery, coding="br")
    async with running_proxy(f"http://127.0.0.1:{port}/json_data") as (proxy, seen):
        reply = await http_request(proxy.port, "POST", "/json_data", GET)
    assert reply is not None and reply.status == 200
    assert [n.text for n in seen.events("unvalidated")] == [
        "the answer to POST 1, in Content-Encoding 'br', which the proxy does not decode, "
        "passed unchecked"]
    assert seen.findings == []  # neither a json error nor an unanswered request


async def test_an_answer_over_the_limit_passes_unchecked_and_leaves_no_orphan(
        make_sim: Callable[..., Simulator], http_request: Any, tmp_path: Path) -> None:
    sim = make_sim(tiny_plant())
    record = tmp_path / "proxy.jsonl"
    async with sim, running_proxy(sim.url, limits=Limits(max_message=64),
                                  record=Recorder(record)) as (proxy, seen):
        reply = await http_request(proxy.port, "POST", "/json_data", GET)
    assert reply is not None and b'"value":44' in reply.body
    assert [n.text for n in seen.events("unvalidated")] == [
        "the answer to POST 1, over 64 bytes, passed unchecked"]
    assert seen.findings == []
    assert validate_files([record]).errors == 0 and validated(record) == Counter()


async def test_a_body_over_the_limit_gets_413_without_100_continue_and_a_notice(
        make_sim: Callable[..., Simulator]) -> None:
    big = b'{"get": [{"path": "A:Int", "tag": "' + b"x" * 200 + b'"}]}'
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url, limits=Limits(max_message=64)) as (proxy, seen):
        answer = await exchange_raw(
            proxy.port, post(big, extra=b"Expect: 100-continue\r\n").split(b"\r\n\r\n")[0]
            + b"\r\n\r\n")  # the head only: the client waits for 100 Continue
    assert answer.startswith(b"HTTP/1.1 413 ") and b"HTTP/1.1 100" not in answer
    assert [n.text for n in seen.events("too-large")] == [
        "request 1 (POST) has a body over 64 bytes: answered 413, not forwarded"]


async def test_a_request_in_absolute_form_is_checked_and_forwarded(
        make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url) as (proxy, seen):
        absolute = post().replace(b"POST /json_data",
                                  f"POST http://127.0.0.1:{proxy.port}/json_data".encode())
        answer = await exchange_raw(proxy.port, absolute + post(extra=b"Connection: close\r\n"))
    assert answer.count(b"HTTP/1.1 200 ") == 2 and answer.count(b'"value":44') == 2
    assert proxy.witness.checker.report.counts[("send", "get")] == 2
    assert seen.findings == []


async def test_a_dms_that_closes_after_each_answer_keeps_the_client_connection(
        nursery: trio.Nursery, http_client: Any) -> None:
    port, per_connection = await http_dms(nursery, close=True)
    async with running_proxy(f"http://127.0.0.1:{port}/json_data") as (proxy, seen):
        client = await http_client.connect(proxy.port)
        try:
            for _ in range(3):
                reply = await client.request("POST", "/json_data", GET)
                assert reply is not None and reply.body == ANSWER
                assert b"connection" not in reply.headers  # hop-by-hop: the DMS's own hop
        finally:
            await client.aclose()
    assert per_connection == [1, 1, 1]  # a new DMS connection for each request
    assert len(seen.events("open")) == 1 and seen.findings == []
    assert not seen.events("upstream-lost")


async def test_a_body_that_does_not_come_gets_408_as_from_the_dms(
        make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url, limits=Limits(body_timeout=0.3)) as (proxy, seen):
        answer = await exchange_raw(proxy.port, post()[:-5])  # the body stops short
    assert answer.startswith(b"HTTP/1.1 408 ") and answer.endswith(b"Request timeout.")
    assert [n.text for n in seen.events("slow-request")] == [
        "the body of request 1 (POST) did not arrive within 0.3 s: answered 408, not "
        "forwarded"]
    assert seen.findings == []


async def test_a_dms_refusing_a_large_body_early_reaches_the_client(
        make_sim: Callable[..., Simulator], http_request: Any, tmp_path: Path) -> None:
    # over the DMS's 4 MiB: it answers 413 after the head and closes without reading on
    big = b'{"get": [{"path": "A:Int", "tag": "' + b"x" * (5 * MiB) + b'"}]}'
    sim = make_sim(tiny_plant())
    record = tmp_path / "proxy.jsonl"
    async with sim, running_proxy(sim.url, record=Recorder(record)) as (proxy, seen):
        for _ in range(3):
            reply = await http_request(proxy.port, "POST", "/json_data", big)
            assert reply is not None and reply.status == 413, reply
        good = await http_request(proxy.port, "POST", "/json_data", GET)
        assert good is not None and good.status == 200
    assert [n.text for n in seen.events("http-status")] == [
        "the DMS answered POST 1 with HTTP 413"] * 3
    assert seen.findings == [] and not seen.events("upstream-lost")
    # the recording says so too: `dmsproto validate` finds no request without an answer
    report = validate_files([record])
    assert report.errors == 0 and validated(record) == Counter()
    assert report.notes == [f"{record}: 3 requests not checked against an answer: "
                            "answered with HTTP 413 (a fatal error, 2.6)"]
