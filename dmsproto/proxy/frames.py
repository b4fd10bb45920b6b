"""Cutting a WebSocket byte stream into frames, so the common ones pass byte for byte.

Almost every DMS message is one frame: a final text (or binary) frame, masked
from the client, unmasked from the DMS.  :class:`FrameSplitter` reads only frame
headers (RFC 6455 section 5.2) and hands out each such *plain* frame whole: its
exact bytes (forwarded unchanged, mask and all, since the mask a client chose is as
good as any) and its payload (unmasked; text decoded) for validation.  Everything
else (control frames, fragments, a frame larger than the limit, anything odd: wrong
mask bit, reserved bits, a length not written in its shortest form, text that is
not UTF-8) is handed on as bytes for wsproto, which reads it with all of RFC 6455's
checks; wsproto only ever gets whole frames, or the pieces of one large frame, so
the two readers never disagree about where a frame starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

TEXT: Final = 0x1
BINARY: Final = 0x2
CONTINUATION: Final = 0x0


@dataclass(frozen=True, slots=True)
class Plain:
    """A whole, final text or binary frame: its bytes as received, and its message."""

    raw: bytes
    message: str | bytes


@dataclass(frozen=True, slots=True)
class Other:
    """Bytes for wsproto: whole frames, or a piece of a frame larger than the limit."""

    data: bytes


def unmask(payload: bytes | memoryview, key: bytes) -> bytes:
    """``payload`` XOR the repeated 4-byte ``key`` (as one big integer: fast in CPython)."""
    size = len(payload)
    if not size:
        return b""
    keys = (key * (size // 4 + 1))[:size]
    value = int.from_bytes(payload, "little") ^ int.from_bytes(keys, "little")
    return value.to_bytes(size, "little")


class FrameSplitter:
    """Feed bytes of one direction; take :class:`Plain` frames and :class:`Other` bytes.

    Args:
        masked: whether frames in this direction carry a mask (from a client).
        limit: the largest frame kept whole; a larger one goes to wsproto piece by piece.
    """

    def __init__(self, *, masked: bool, limit: int) -> None:
        self.masked = masked
        self.limit = limit
        self._buffer = bytearray()
        """The start of a frame whose rest has not come yet."""
        self._need = 0
        """Bytes the buffer must hold before the frame in it can be cut out."""
        self._through = 0
        """Bytes of a large frame still to pass to wsproto as they come."""
        self._in_message = False
        """A fragmented message is open: its frames belong to wsproto."""

    def feed(self, data: bytes | bytearray) -> Iterator[Plain | Other]:
        """What ``data`` completes, in stream order."""
        if self._through:
            taken = min(self._through, len(data))
            self._through -= taken
            yield Other(bytes(data[:taken]))
            data = data[taken:]
        buffer = self._buffer
        if buffer:
            buffer += data
            if len(buffer) < self._need:
                return  # the frame in the buffer is still incomplete: nothing to copy yet
            data = bytes(buffer)
            buffer.clear()
        elif type(data) is not bytes:
            data = bytes(data)
        # ``data`` is bytes from here on: slices are the frames' own bytes, copied once
        start = 0
        end = len(data)
        other_from = -1  # start of a run of frames for wsproto
        need = 2
        while end - start >= 2:
            first = data[start]
            second = data[start + 1]
            length = second & 0x7F
            head = 2
            if length == 126:
                head = 4
                if end - start < head:
                    need = head
                    break
                length = int.from_bytes(data[start + 2:start + 4], "big")
                minimal = length >= 126
            elif length == 127:
                head = 10
                if end - start < head:
                    need = head
                    break
                length = int.from_bytes(data[start + 2:start + 10], "big")
                minimal = length > 0xFFFF
            else:
                minimal = True
            has_mask = second & 0x80
            if has_mask:
                head += 4
            size = head + length
            opcode = first & 0x0F
            if size > self.limit + head:  # too large to keep: wsproto reads it as it comes
                if other_from < 0:
                    other_from = start
                taken = min(size, end - start)
                self._through = size - taken
                start += taken
                self._note_fragments(first, opcode)
                continue
            if end - start < size:
                need = size
                break  # wait for the rest of this frame
            plain: str | bytes | None = None
            if (first & 0xF0 == 0x80 and opcode in (TEXT, BINARY)
                    and bool(has_mask) == self.masked and minimal and not self._in_message):
                payload = data[start + head:start + size]
                if has_mask:
                    payload = unmask(payload, data[start + head - 4:start + head])
                if opcode == TEXT:
                    try:
                        plain = payload.decode("utf-8")
                    except UnicodeDecodeError:
                        plain = None  # wsproto closes with 1007
                else:
                    plain = payload
            if plain is None:
                if other_from < 0:
                    other_from = start
                self._note_fragments(first, opcode)
            else:
                if other_from >= 0:
                    yield Other(data[other_from:start])
                    other_from = -1
                yield Plain(data[start:start + size], plain)
            start += size
        if other_from >= 0:
            yield Other(data[other_from:start])
        if start < end:
            buffer += data[start:]
            self._need = need

    def _note_fragments(self, first: int, opcode: int) -> None:
        """Track whether a fragmented message is open (its frames go to wsproto)."""
        if opcode in (TEXT, BINARY, CONTINUATION):
            self._in_message = not first & 0x80


__all__ = ["BINARY", "TEXT", "FrameSplitter", "Other", "Plain", "unmask"]
