"""The frame splitter: plain frames whole and exact, everything else to wsproto, nothing lost."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, Ping, TextMessage

from dmsproto.proxy.frames import FrameSplitter, Other, Plain, unmask

LIMIT = 300

messages = st.lists(st.one_of(
    st.builds(lambda t, fin: TextMessage(data=t, message_finished=fin),
              st.text(max_size=400), st.booleans()),
    st.builds(lambda b, fin: BytesMessage(data=b, message_finished=fin),
              st.one_of(st.binary(max_size=400), st.binary(min_size=295, max_size=305)),
              st.booleans()),
    st.builds(lambda p: Ping(payload=p), st.binary(max_size=20)),
), max_size=12)


def legal(events: list[object]) -> list[object]:
    """Continuations keep their message's kind; every message ends."""
    out: list[object] = []
    kind = None
    for event in events:
        if isinstance(event, Ping):
            out.append(event)
            continue
        assert isinstance(event, (TextMessage, BytesMessage))
        kind = kind or type(event)
        data = event.data
        if kind is TextMessage and isinstance(data, bytes):
            data = data.hex()
        if kind is BytesMessage and isinstance(data, str):
            data = data.encode()
        out.append(kind(data=data, message_finished=event.message_finished))
        if event.message_finished:
            kind = None
    if kind is not None:
        out.append(kind(data=b"" if kind is BytesMessage else "", message_finished=True))
    return out


@settings(max_examples=150, deadline=None)
@given(events=messages, masked=st.booleans(), cuts=st.lists(st.integers(1, 200), max_size=30))
def test_the_stream_comes_out_complete_and_in_order(events: list[object], masked: bool,
                                                    cuts: list[int]) -> None:
    events = legal(events)
    sender = Connection(ConnectionType.CLIENT if masked else ConnectionType.SERVER)
    frames = [sender.send(e) for e in events]  # type: ignore[arg-type]
    stream = b"".join(frames)
    splitter = FrameSplitter(masked=masked, limit=LIMIT)
    out: list[Plain | Other] = []
    position = 0
    for cut in [*cuts, len(stream)]:
        out += splitter.feed(stream[position:position + cut])
        position += cut
        if position >= len(stream):
            break
    joined = b"".join(p.raw if isinstance(p, Plain) else p.data for p in out)
    assert joined == stream
    plain = [p for p in out if isinstance(p, Plain)]
    expected = []
    in_message = False
    for event, frame in zip(events, frames, strict=True):
        if isinstance(event, (TextMessage, BytesMessage)):
            whole = event.message_finished and not in_message
            in_message = not event.message_finished
            data = event.data
            size = len(data.encode() if isinstance(data, str) else data)
            if whole and size <= LIMIT:
                expected.append((frame, data))
    assert [(p.raw, p.message) for p in plain] == expected


def header(first: int, payload: bytes, *, mask: bytes | None, length_bytes: int = 0) -> bytes:
    size = len(payload)
    if length_bytes == 2:
        head = bytes([first, (0x80 if mask else 0) | 126]) + size.to_bytes(2, "big")
    elif length_bytes == 8:
        head = bytes([first, (0x80 if mask else 0) | 127]) + size.to_bytes(8, "big")
    else:
        head = bytes([first, (0x80 if mask else 0) | size])
    if mask is None:
        return head + payload
    return head + mask + unmask(payload, mask)


@pytest.mark.parametrize(("frame", "why"), [
    (header(0x81, b"{}", mask=None), "a client frame without a mask"),
    (header(0xC1, b"{}", mask=b"abcd"), "a reserved bit set"),
    (header(0x83, b"{}", mask=b"abcd"), "a reserved opcode"),
    (header(0x81, b"{}", mask=b"abcd", length_bytes=2), "a length longer than needed"),
    (header(0x81, b"\xff\xfe", mask=b"abcd"), "text that is not UTF-8"),
    (header(0x89, b"hi", mask=b"abcd"), "a ping"),
    (header(0x01, b"{", mask=b"abcd"), "the first fragment of a message"),
])
def test_anything_odd_goes_to_wsproto(frame: bytes, why: str) -> None:
    assert list(FrameSplitter(masked=True, limit=LIMIT).feed(frame)) == [Other(frame)], why


def test_a_plain_frame_keeps_its_exact_bytes_and_mask() -> None:
    mask = os.urandom(4)
    frame = header(0x81, '{"get": ["Ä"]}'.encode(), mask=mask)
    assert list(FrameSplitter(masked=True, limit=LIMIT).feed(frame)) == [
        Plain(frame, '{"get": ["Ä"]}')]
    binary = header(0x82, b'{"get": []}', mask=None, length_bytes=0)
    assert list(FrameSplitter(masked=False, limit=LIMIT).feed(binary)) == [
        Plain(binary, b'{"get": []}')]


def test_a_frame_over_the_limit_streams_to_wsproto_in_pieces() -> None:
    payload = b"x" * 1000
    frame = header(0x82, payload, mask=None, length_bytes=2)
    after = header(0x81, b"{}", mask=None)
    splitter = FrameSplitter(masked=False, limit=LIMIT)
    first = list(splitter.feed(frame[:600]))
    second = list(splitter.feed(frame[600:] + after))
    assert first == [Other(frame[:600])]
    assert second == [Other(frame[600:]), Plain(after, "{}")]


def test_unmask_is_its_own_inverse() -> None:
    data = os.urandom(1001)
    assert unmask(unmask(data, b"\x01\x02\x03\x04"), b"\x01\x02\x03\x04") == data
    assert unmask(b"", b"abcd") == b""
