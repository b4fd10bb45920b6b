"""What a browser sends beside ``POST /json_data`` passes the proxy unchanged: a CORS
preflight (``OPTIONS``) and its answer, head for head, as the DMS would see and send
them without the proxy; the proxy adds nothing to a request that has no body."""

from __future__ import annotations

from functools import partial

import h11
import pytest
import trio

from tests.support.proxy import STEP, running_proxy

# Chromium's preflight before a cross-origin fetch() POST with Content-Type: application/json
PREFLIGHT = [
    (b"Accept", b"*/*"),
    (b"Access-Control-Request-Method", b"POST"),
    (b"Access-Control-Request-Headers", b"content-type"),
    (b"Origin", b"http://127.0.0.1:5173"),
    (b"User-Agent", b"Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/156.0.0.0"),
    (b"Sec-Fetch-Mode", b"cors"),
    (b"Sec-Fetch-Site", b"same-site"),
    (b"Sec-Fetch-Dest", b"empty"),
    (b"Referer", b"http://127.0.0.1:5173/"),
    (b"Accept-Encoding", b"gzip, deflate, br, zstd"),
    (b"Accept-Language", b"en-US,en;q=0.9"),
]
# what a server that allows the page would answer (a DMS sends none of it)
ALLOWED = [
    (b"Access-Control-Allow-Origin", b"http://127.0.0.1:5173"),
    (b"Access-Control-Allow-Methods", b"POST"),
    (b"Access-Control-Allow-Headers", b"content-type"),
    (b"Access-Control-Max-Age", b"600"),
    (b"Vary", b"Origin"),
]


class HeadRecorder:
    """An HTTP "DMS" that records each request's method, target and headers as they
    arrived and answers ``204`` with ``ALLOWED``."""

    def __init__(self) -> None:
        self.requests: list[tuple[bytes, bytes, list[tuple[bytes, bytes]]]] = []
        self.port = 0

    async def serve(self, nursery: trio.Nursery) -> None:
        listeners = await nursery.start(partial(trio.serve_tcp, self._handle, 0,
                                                host="127.0.0.1"))
        self.port = listeners[0].socket.getsockname()[1]

    async def _handle(self, stream: trio.SocketStream) -> None:
        conn = h11.Connection(h11.SERVER)
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await stream.receive_some(65536))
            elif isinstance(event, h11.Request):
                self.requests.append((bytes(event.method), bytes(event.target),
                                      [(bytes(k), bytes(v)) for k, v in
                                       event.headers.raw_items()]))
            elif isinstance(event, h11.EndOfMessage):
                await stream.send_all(b"".join(conn.send(e) or b"" for e in (
                    h11.Response(status_code=204, headers=ALLOWED), h11.EndOfMessage())))
                conn.start_next_cycle()
            else:
                return


async def ask(port: int, method: bytes, headers: list[tuple[bytes, bytes]]
              ) -> tuple[int, list[tuple[bytes, bytes]]]:
    """One request through the proxy, as given; the answer's status and headers."""
    conn = h11.Connection(h11.CLIENT)
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    try:
        head = [(b"Host", f"127.0.0.1:{port}".encode()), *headers]
        await stream.send_all((conn.send(h11.Request(method=method, target=b"/json_data",
                                                     headers=head)) or b"")
                              + (conn.send(h11.EndOfMessage()) or b""))
        with trio.fail_after(STEP):
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    conn.receive_data(await stream.receive_some(65536))
                elif isinstance(event, h11.Response):
                    return event.status_code, [(bytes(k), bytes(v))
                                               for k, v in event.headers.raw_items()]
    finally:
        await stream.aclose()


@pytest.mark.parametrize("method", [b"OPTIONS", b"GET"])
async def test_a_request_without_a_body_and_its_answer_pass_unchanged(
        nursery: trio.Nursery, method: bytes) -> None:
    dms = HeadRecorder()
    await dms.serve(nursery)
    async with running_proxy(f"http://127.0.0.1:{dms.port}/json_data") as (proxy, seen):
        status, answer = await ask(proxy.port, method, PREFLIGHT)
    [(received_method, target, received)] = dms.requests
    assert (received_method, target) == (method, b"/json_data")
    assert received == [(b"Host", f"127.0.0.1:{dms.port}".encode()), *PREFLIGHT]
    assert (status, answer) == (204, ALLOWED)
    assert seen.findings == []  # only POST /json_data carries protocol messages
