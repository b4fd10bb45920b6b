"""A scripted hostile server on real sockets: every broken frame gives a typed error or is
counted, and the client keeps working (over the WebSocket with reconnect, and over HTTP POST).

The frames are ``tests.support.hostile.CASES``; each says what the client does with it.
"""

from __future__ import annotations

import pytest
import trio

import dmsproto.client as dc
from dmsproto.errors import ConnectionLost, DMSProtoError, ProtocolError
from dmsproto.results import Gap
from tests.support.client import FAST
from tests.support.hostile import (
    CASES,
    MAX_MESSAGE_SIZE,
    Answer,
    Case,
    Drop,
    Hostile,
    Raw,
    RawHttp,
    Reply,
)

pytestmark = pytest.mark.trio



@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
async def test_websocket_with_reconnect_survives(case: Case) -> None:
    async with (
        Hostile() as server,
        dc.connect(server.url, reconnect=FAST, max_message_size=MAX_MESSAGE_SIZE,
                   timeout=5) as dms,
    ):
        with trio.fail_after(20):
            assert (await dms.get("Test:Int")).value == 1  # the connection works
            counted = getattr(dms.stats, case.counter) if case.counter else 0
            server.then(case.reply)
            if case.ws in ("fails", "closes"):
                with pytest.raises(ProtocolError, match=case.error):
                    await dms.get("Test:Int")
            else:
                assert (await dms.get("Test:Int")).value == 1
            if case.counter is not None:
                assert getattr(dms.stats, case.counter) == counted + 1
            assert (await dms.get("Test:Int")).value == 1  # and still works
        assert dms.reconnects == (1 if case.ws == "closes" else 0)
        # every frame the server sent is counted once (the WebSocket layer's refusals: none)
        assert dms.stats.frames == len(server.requests) + (case.ws == "dropped") - (
            case.counter is None)


@pytest.mark.parametrize("case", [c for c in CASES if c.http], ids=lambda case: case.name)
async def test_http_post_survives(case: Case) -> None:
    async with (
        Hostile() as server,
        dc.connect(server.http_url, max_message_size=MAX_MESSAGE_SIZE, timeout=5) as dms,
    ):
        with trio.fail_after(20):
            server.then(case.reply)
            if case.http == "fails":
                with pytest.raises(ProtocolError, match=case.http_error):
                    await dms.get("Test:Int")
            else:
                assert (await dms.get("Test:Int")).value == 1
            assert (await dms.get("Test:Int")).value == 1
        assert dms.core.pending_calls == 0


HTTP_BREAKAGE: list[tuple[str, Reply, type[DMSProtoError], str]] = [
    ("bad-status-line", lambda r: [RawHttp(b"HTTP/1.1 banana\r\n\r\n")], ProtocolError,
     "bad HTTP response"),
    ("huge-header", lambda r: [RawHttp(b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * 200_000
                                       + b"\r\n\r\n")], ProtocolError, "bad HTTP response"),
    ("body-cut-short", lambda r: [RawHttp(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{")],
     ConnectionLost, "closed the HTTP connection"),
    ("dropped", lambda r: [Drop()], ConnectionLost, "closed the HTTP connection"),
]


@pytest.mark.parametrize(("reply", "error", "match"), [b[1:] for b in HTTP_BREAKAGE],
                         ids=[b[0] for b in HTTP_BREAKAGE])
async def test_broken_http_answers_are_typed(
    reply: Reply, error: type[DMSProtoError], match: str
) -> None:
    async with Hostile() as server, dc.connect(server.http_url, timeout=5) as dms:
        with trio.fail_after(20):
            server.then(reply)
            with pytest.raises(error, match=match):
                await dms.get("Test:Int")
            assert (await dms.get("Test:Int")).value == 1


async def test_good_events_of_a_broken_event_frame_are_delivered() -> None:
    """An event frame whose ``event`` member comes last with one bad item loses that item only."""
    async with Hostile() as server, dc.connect(server.url, timeout=5) as dms:
        with trio.fail_after(10):
            async with dms.subscribe("A", tag="s") as sub:
                frame = (b'{"x": 1, "event": [{"code": 5, "tag": "s"}, '
                         b'{"code": "onChange", "path": "A", "value": 2, "tag": "s"}]}')
                server.then(lambda r: [Raw(frame), Answer()])
                await dms.get("Test:Int")
                event = await sub.__anext__()
        assert (event.path, event.value) == ("A", 2)
        assert (dms.stats.invalid_events, dms.stats.events) == (1, 1)


async def test_an_unreadable_frame_reports_the_gap_to_subscriptions() -> None:
    """A frame that closes the connection may have held events: the subscription says so."""
    async with (
        Hostile() as server,
        dc.connect(server.url, reconnect=FAST, timeout=5) as dms,
    ):
        with trio.fail_after(10):
            async with dms.subscribe("A", gaps="yield") as sub:
                server.then(lambda r: [Raw(b"{garbage"), Answer()])
                with pytest.raises(ProtocolError, match="not JSON"):
                    await dms.get("Test:Int")
                assert await sub.__anext__() == Gap("reconnect")
                assert (await dms.get("Test:Int")).value == 1  # on the new connection
        assert dms.stats.fatal_frames == 1 and dms.reconnects == 1


async def test_without_reconnect_an_unreadable_frame_ends_the_client_with_its_reason() -> None:
    async with Hostile() as server, dc.connect(server.url, timeout=5) as dms:
        with trio.fail_after(10):
            server.then(lambda r: [Raw(b"{[[")])
            with pytest.raises(ProtocolError, match="not JSON"):
                await dms.get("Test:Int")
            with pytest.raises(ConnectionLost, match=r"not JSON.*not sent"):
                await dms.get("Test:Int")
