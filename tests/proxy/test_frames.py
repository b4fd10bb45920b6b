"""The proxy passes WebSocket frames on faithfully, both ways: kinds, fragments, control frames.

The upstream is a :class:`FrameServer` that records each frame it gets and echoes
it as the same frame, so one exchange checks the client-to-DMS direction (what the
server recorded) and the DMS-to-client direction (what the client read).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import trio
import trio.testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wsproto.connection import Connection, ConnectionType
from wsproto.events import CloseConnection
from wsproto.frame_protocol import CloseReason

from dmsproto.proxy import Limits, LiveChecker, Witness
from dmsproto.proxy.websocket import WebSocketSession
from dmsproto.sim.server import Simulator
from dmsproto.sim.testing import tiny_plant
from tests.support.proxy import Frame, FrameServer, RawClient, running_proxy

REQUEST = json.dumps({"tag": 1, "get": ["A:B"]})


def data_frames(frames: list[Frame]) -> list[tuple[str, object, bool]]:
    return [(f.kind, f.data, f.fin) for f in frames if f.kind in ("text", "binary")]


async def test_text_and_binary_frames_keep_their_kind_both_ways(frame_server: FrameServer
                                                               ) -> None:
    async with running_proxy(frame_server.url) as (proxy, _), \
            RawClient.connect(proxy.port) as client:
        await client.send(Frame("text", REQUEST))
        assert await client.frame() == Frame("text", REQUEST)
        await client.send(Frame("binary", REQUEST.encode()))
        assert await client.frame() == Frame("binary", REQUEST.encode())
        await client.close()
    assert data_frames(frame_server.frames) == [("text", REQUEST, True),
                                                ("binary", REQUEST.encode(), True)]
    # both directions were validated as messages (the echoes are bad responses):
    assert proxy.witness.checker.report.counts[("send", "get")] == 2
    assert proxy.witness.checker.report.counts[("recv", "get")] == 2


async def test_fragments_pass_as_the_same_fragments(frame_server: FrameServer) -> None:
    pieces = ['{"tag": 7, ', '"get": ["A:', 'B"]}']
    frames = [Frame("text", p, fin=i == len(pieces) - 1) for i, p in enumerate(pieces)]
    binary = [Frame("binary", b"{}", fin=False), Frame("binary", b"", fin=True)]
    async with running_proxy(frame_server.url) as (proxy, seen), \
            RawClient.connect(proxy.port) as client:
        await client.send(*frames)
        got = [await client.frame() for _ in pieces]
        await client.send(*binary)
        got += [await client.frame() for _ in binary]
        await client.close()
    expected = data_frames([*frames, *binary])
    assert data_frames(frame_server.frames) == expected
    assert data_frames(got) == expected
    # each whole message was checked once, in both directions: the binary one is "{}"
    counts = proxy.witness.checker.report.counts
    assert counts[("send", "get")] == counts[("recv", "get")] == 1
    assert counts[("send", "(no command)")] == counts[("recv", "(no command)")] == 1
    assert ("c1", "send", 3, "frame", "") in seen.rules()  # messages count both ways


async def test_control_frames_interleaved_with_fragments(frame_server: FrameServer) -> None:
    async with running_proxy(frame_server.url) as (proxy, _), \
            RawClient.connect(proxy.port) as client:
        await client.send(Frame("text", '{"get":', fin=False), Frame("ping", b"mid"),
                          Frame("text", '["A"]}', fin=True))
        got = [await client.frame() for _ in range(2)]
        await client.close()
    assert [f.kind for f in frame_server.frames[:3]] == ["text", "ping", "text"]
    assert frame_server.frames[1] == Frame("ping", b"mid")
    assert data_frames(got) == [("text", '{"get":', False), ("text", '["A"]}', True)]


async def test_pings_and_pongs_pass_with_their_payload(frame_server: FrameServer) -> None:
    async with running_proxy(frame_server.url) as (proxy, _), \
            RawClient.connect(proxy.port) as client:
        # the client's ping reaches the DMS; our FrameServer does not answer pings
        await client.send(Frame("ping", b"from-client"))
        # the DMS's ping reaches the client, whose pong reaches the DMS
        await client.text("ping:from-dms")
        assert await client.frame() == Frame("text", "ping:from-dms")
        assert await client.frame() == Frame("ping", b"from-dms")
        await client.send(Frame("pong", b"from-dms"))
        await client.close()
    kinds = [(f.kind, f.data) for f in frame_server.frames if f.kind in ("ping", "pong")]
    assert kinds == [("ping", b"from-client"), ("pong", b"from-dms")]


async def test_client_close_code_and_reason_reach_the_dms_and_back(frame_server: FrameServer
                                                                   ) -> None:
    async with running_proxy(frame_server.url) as (proxy, seen), \
            RawClient.connect(proxy.port) as client:
        await client.text(REQUEST)
        await client.message()
        reply = await client.close(4001, "client says bye")
        assert await client.frame() == Frame("close", "", code=1006)  # then TCP ends
    assert reply == Frame("close", "client says bye", code=4001)  # the DMS's echo
    assert frame_server.close_frame == Frame("close", "client says bye", code=4001)
    closing = await seen.wait_notice("close")
    assert closing.text == "client closed with 4001 'client says bye'"


async def test_dms_close_code_and_reason_reach_the_client(frame_server: FrameServer) -> None:
    async with running_proxy(frame_server.url) as (proxy, seen), \
            RawClient.connect(proxy.port) as client:
        await client.text("close:4002:maintenance")
        assert await client.frame() == Frame("text", "close:4002:maintenance")
        closing = await client.frame()
        assert closing == Frame("close", "maintenance", code=4002)
        await client.send(Frame("close", "ok", code=4002))  # the client's reply
        assert await client.frame() == Frame("close", "", code=1006)
    await seen.wait_notice("close")
    assert frame_server.close_frame == Frame("close", "ok", code=4002)
    assert seen.events("close")[0].text == "DMS closed with 4002 'maintenance'"


async def test_close_without_a_status_code_stays_without_one(frame_server: FrameServer) -> None:
    async with running_proxy(frame_server.url) as (proxy, seen), \
            RawClient.connect(proxy.port) as client:
        # an empty close frame (wsproto writes no payload for CloseReason.NO_STATUS_RCVD)
        await client.send(Frame("close", "", code=CloseReason.NO_STATUS_RCVD))
        reply = await client.frame()
    assert frame_server.close_frame is not None and frame_server.close_frame.code == 1005
    assert reply.kind == "close" and reply.code == 1005
    assert seen.events("close")[0].text == "client closed without a status code (1005)"


frame_lists = st.lists(
    st.one_of(
        st.builds(lambda t, fin: Frame("text", t, fin), st.text(max_size=40), st.booleans()),
        st.builds(lambda b, fin: Frame("binary", b, fin), st.binary(max_size=40),
                  st.booleans()),
    ),
    min_size=1, max_size=8,
)


def as_messages(frames: list[Frame]) -> list[Frame]:
    """Make a frame list legal: continuation frames share the first frame's kind and
    the last frame ends its message."""
    out: list[Frame] = []
    kind = None
    for frame in frames:
        kind = kind or frame.kind
        data = frame.data
        if kind == "text" and isinstance(data, bytes):
            data = data.hex()
        if kind == "binary" and isinstance(data, str):
            data = data.encode()
        out.append(Frame(kind, data, frame.fin))
        if frame.fin:
            kind = None
    out[-1].fin = True
    return out


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frames=frame_lists)
async def test_any_frame_sequence_round_trips_unchanged(frames: list[Frame]) -> None:
    frames = as_messages(frames)
    async with trio.open_nursery() as nursery:
        server = await nursery.start(FrameServer().serve)
        async with running_proxy(server.url) as (proxy, _), \
                RawClient.connect(proxy.port) as client:
            await client.send(*frames)
            got = [await client.frame() for _ in frames]
            await client.close()
        nursery.cancel_scope.cancel()
    assert data_frames(server.frames) == data_frames(frames)
    assert data_frames(got) == data_frames(frames)


async def test_a_response_over_the_limit_passes_unchecked_and_answers_its_request(
        make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(tiny_plant())
    async with sim, running_proxy(sim.url, limits=Limits(max_message=60, close_timeout=2.0)
                                  ) as (proxy, seen), RawClient.connect(proxy.port) as client:
        await client.text('{"get": [{"path": "A:Int"}]}')
        assert b'"value":44' in str(await client.message()).encode()
        await client.close()
    assert [n.text for n in seen.events("unvalidated")] == [
        "a recv message over 60 bytes passed unchecked"]
    assert seen.findings == []  # its request was answered, if unchecked


class _Gated(trio.abc.Stream):
    """A stream of the proxy that gives way where a TLS stream does.

    ``first`` writes and then waits until ``gate`` is set, as a write to a TLS stream
    waits for its locks and the socket; the other one sets ``gate`` when a write
    begins and gives way before it writes, as a TLS stream does while it takes its
    send lock.
    """

    def __init__(self, inner: trio.abc.Stream, gate: trio.Event, *, first: bool) -> None:
        self.inner = inner
        self.gate = gate
        self.first = first

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        if self.first:
            await self.inner.send_all(data)
            await self.gate.wait()
        else:
            self.gate.set()
            await trio.sleep(0)
            await self.inner.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self.inner.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        return await self.inner.receive_some(max_bytes)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_the_close_reply_is_written_before_the_session_ends() -> None:
    """The client closes; the DMS's reply comes back while the proxy is still writing
    the client's close to the DMS. The reply must reach the client all the same: a
    side whose last close frame is still being written has not finished."""
    client_end, proxy_client = trio.testing.memory_stream_pair()
    proxy_dms, dms_end = trio.testing.memory_stream_pair()
    gate = trio.Event()
    session = WebSocketSession(
        "c1", Witness(LiveChecker()),
        client=_Gated(proxy_client, gate, first=False), client_trailing=b"",
        dms=_Gated(proxy_dms, gate, first=True), dms_trailing=b"", limits=Limits())
    client = Connection(ConnectionType.CLIENT)  # both past their opening handshake
    dms = Connection(ConnectionType.SERVER)

    async def play_dms() -> None:
        while True:
            dms.receive_data(bytes(await dms_end.receive_some()))
            for event in dms.events():
                if isinstance(event, CloseConnection):
                    await dms_end.send_all(dms.send(event.response()))
                    return

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(session.run)
            nursery.start_soon(play_dms)
            await client_end.send_all(client.send(CloseConnection(code=1000, reason="bye")))
            received = b""
            while data := await client_end.receive_some():
                received += data
    client.receive_data(received)
    assert [(type(e).__name__, e.code, e.reason) for e in client.events()
            if isinstance(e, CloseConnection)] == [("CloseConnection", 1000, "bye")]
    assert session.ending == "client closed with 1000 'bye'"
