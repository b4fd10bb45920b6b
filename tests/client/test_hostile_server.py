"""A scripted hostile server on real sockets: every broken frame gives a typed error or is
counted, and the client keeps working (over the WebSocket with reconnect, and over HTTP POST),
with the trio and the asyncio client alike.

The frames are ``tests.support.hostile.CASES``; each says what the client does with it.
"""

from __future__ import annotations

import anyio
import pytest

from dmsproto.errors import ConnectionLost, DMSProtoError, ProtocolError
from dmsproto.protocol import ClientCore, CoreEvent
from dmsproto.results import Gap
from tests.support.backends import Backend
from tests.support.client import FAST
from tests.support.hostile import (
    CASES,
    MAX_MESSAGE_SIZE,
    Answer,
    Case,
    Drop,
    HostileThread,
    Raw,
    RawHttp,
    Reply,
)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_websocket_with_reconnect_survives(
    backend: Backend, hostile: HostileThread, case: Case
) -> None:
    async def body() -> None:
        async with backend.connect(hostile.url, reconnect=FAST,
                                   max_message_size=MAX_MESSAGE_SIZE, timeout=5) as dms:
            with anyio.fail_after(20):
                assert (await dms.get("Test:Int")).value == 1  # the connection works
                counted = getattr(dms.stats, case.counter) if case.counter else 0
                hostile.then(case.reply)
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
            assert dms.stats.frames == len(hostile.requests) + (case.ws == "dropped") - (
                case.counter is None)

    backend.run(body)


@pytest.mark.parametrize("case", [c for c in CASES if c.http], ids=lambda case: case.name)
def test_http_post_survives(backend: Backend, hostile: HostileThread, case: Case) -> None:
    async def body() -> None:
        async with backend.connect(hostile.http_url, max_message_size=MAX_MESSAGE_SIZE,
                                   timeout=5) as dms:
            with anyio.fail_after(20):
                hostile.then(case.reply)
                if case.http == "fails":
                    with pytest.raises(ProtocolError, match=case.http_error):
                        await dms.get("Test:Int")
                else:
                    assert (await dms.get("Test:Int")).value == 1
                assert (await dms.get("Test:Int")).value == 1
            assert dms.core.pending_calls == 0

    backend.run(body)


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
def test_broken_http_answers_are_typed(
    backend: Backend, hostile: HostileThread, reply: Reply, error: type[DMSProtoError],
    match: str,
) -> None:
    async def body() -> None:
        async with backend.connect(hostile.http_url, timeout=5) as dms:
            with anyio.fail_after(20):
                hostile.then(reply)
                with pytest.raises(error, match=match):
                    await dms.get("Test:Int")
                assert (await dms.get("Test:Int")).value == 1

    backend.run(body)


def test_good_events_of_a_broken_event_frame_are_delivered(
    backend: Backend, hostile: HostileThread
) -> None:
    """An event frame whose ``event`` member comes last with one bad item loses that item only."""

    async def body() -> None:
        async with backend.connect(hostile.url, timeout=5) as dms:
            with anyio.fail_after(10):
                async with dms.subscribe("A", tag="s") as sub:
                    frame = (b'{"x": 1, "event": [{"code": 5, "tag": "s"}, '
                             b'{"code": "onChange", "path": "A", "value": 2, "tag": "s"}]}')
                    hostile.then(lambda r: [Raw(frame), Answer()])
                    await dms.get("Test:Int")
                    event = await sub.__anext__()
            assert (event.path, event.value) == ("A", 2)
            assert (dms.stats.invalid_events, dms.stats.events) == (1, 1)

    backend.run(body)


def test_an_unreadable_frame_reports_the_gap_to_subscriptions(
    backend: Backend, hostile: HostileThread
) -> None:
    """A frame that closes the connection may have held events: the subscription says so."""

    async def body() -> None:
        async with backend.connect(hostile.url, reconnect=FAST, timeout=5) as dms:
            with anyio.fail_after(10):
                async with dms.subscribe("A", gaps="yield") as sub:
                    hostile.then(lambda r: [Raw(b"{garbage"), Answer()])
                    with pytest.raises(ProtocolError, match="not JSON"):
                        await dms.get("Test:Int")
                    assert await sub.__anext__() == Gap("reconnect")
                    assert (await dms.get("Test:Int")).value == 1  # on the new connection
            assert dms.stats.fatal_frames == 1 and dms.reconnects == 1

    backend.run(body)


def test_without_reconnect_an_unreadable_frame_ends_the_client_with_its_reason(
    backend: Backend, hostile: HostileThread
) -> None:
    async def body() -> None:
        async with backend.connect(hostile.url, timeout=5) as dms:
            with anyio.fail_after(10):
                hostile.then(lambda r: [Raw(b"{[[")])
                with pytest.raises(ProtocolError, match="not JSON"):
                    await dms.get("Test:Int")
                with pytest.raises(ConnectionLost, match=r"not JSON.*not sent"):
                    await dms.get("Test:Int")

    backend.run(body)


def test_a_failure_inside_the_reader_ends_only_the_connection(
    backend: Backend, hostile: HostileThread, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Whatever breaks while a message is handled (here: the core, on one marked frame)
    is logged and ends the link as a lost connection, and reconnection applies."""
    receive = ClientCore.receive

    def failing(core: ClientCore, data: str | bytes | bytearray) -> list[CoreEvent]:
        if b"boom" in (data.encode() if isinstance(data, str) else bytes(data)):
            raise RuntimeError("boom")
        return receive(core, data)

    monkeypatch.setattr(ClientCore, "receive", failing)

    async def body() -> None:
        async with backend.connect(hostile.url, reconnect=FAST, timeout=5) as dms:
            with anyio.fail_after(10):
                hostile.then(lambda r: [Raw(b'{"boom": 1}')])
                with pytest.raises(ConnectionLost, match=r"failed \(RuntimeError: boom\)"):
                    await dms.get("Test:Int")
                assert (await dms.get("Test:Int")).value == 1  # on the new connection
            assert dms.reconnects == 1

    backend.run(body)
    assert "the connection to" in caplog.text and "RuntimeError: boom" in caplog.text
