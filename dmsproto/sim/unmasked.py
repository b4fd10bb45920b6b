"""Accepting unmasked client frames, as the DMS does (2.3).

RFC 6455 makes a client mask every frame and a server close the connection (1002)
on an unmasked one; the DMS documents the opposite: "Client must not send masked
frames (optional)", i.e. masking is optional for a client. wsproto, which drives our
WebSocket, enforces the RFC. :class:`MaskingAdapter` sits between the socket and
wsproto and gives every unmasked client frame the masking key 0 (XOR with zero
leaves the payload as it is): the header gains the mask bit and four zero bytes, the
payload passes through untouched. Masked frames pass through unchanged.

Sans-I/O: it only transforms bytes, whatever pieces they arrive in.
"""

from __future__ import annotations

_MASK_BIT = 0x80
_LENGTH_BITS = 0x7F
_ZERO_KEY = b"\x00\x00\x00\x00"


class MaskingAdapter:
    """Turns a client's WebSocket byte stream into one in which every frame is masked."""

    def __init__(self) -> None:
        self._header = bytearray()
        self._payload_left = 0

    def feed(self, data: bytes) -> bytes:
        """The bytes to hand to the WebSocket parser for ``data`` received.

        Args:
            data: the next bytes from the client, cut anywhere.

        Returns:
            The same frames, each with a mask (the payload bytes unchanged).
        """
        out = bytearray()
        index, size = 0, len(data)
        while index < size:
            if self._payload_left:
                take = min(self._payload_left, size - index)
                out += data[index : index + take]
                index += take
                self._payload_left -= take
                continue
            header = self._header
            header.append(data[index])
            index += 1
            length = self._complete(header)
            if length is None:
                continue
            if header[1] & _MASK_BIT:
                out += header
            else:
                out.append(header[0])
                out.append(header[1] | _MASK_BIT)
                out += header[2:]
                out += _ZERO_KEY
            self._header = bytearray()
            self._payload_left = length
        return bytes(out)

    @staticmethod
    def _complete(header: bytearray) -> int | None:
        """The payload length once ``header`` is a whole frame header, else None."""
        if len(header) < 2:
            return None
        short = header[1] & _LENGTH_BITS
        extended = 2 if short == 126 else 8 if short == 127 else 0
        needed = 2 + extended + (4 if header[1] & _MASK_BIT else 0)
        if len(header) < needed:
            return None
        if extended == 0:
            return short
        return int.from_bytes(header[2 : 2 + extended], "big")


__all__ = ["MaskingAdapter"]
