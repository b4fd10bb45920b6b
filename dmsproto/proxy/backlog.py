"""Messages waiting to be checked: in the order read, off the forwarding path, in batches.

Both pumps of a WebSocket session queue each whole message the moment its last
frame is read, before the frame is forwarded, and check the queue once what they
read has been forwarded, before they read again.  So the checking costs no
latency (the DMS works on a request while the proxy checks it), a response can
never be checked before its request (that was queued before it even left the
proxy), and the messages of one read are checked together, in the task that read
them: no other task to wake, no trip through the scheduler per message.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Final

import trio

from ..versions import Direction
from .witness import Witness

CHECK_SLICE: Final = 0.0002
"""Seconds of checking after which a pump lets the other tasks run before it goes on."""


class Backlog:
    """Whole messages waiting to be checked, in the order the proxy read them.

    A pump queues the messages of a read with :meth:`put` (with the time the read
    came in), forwards them, then checks what waits with :meth:`check`: its own
    messages and any the other pump queued meanwhile, in order.  Since each pump
    checks before it reads again, what waits is never more than what the two
    pumps' last reads completed.
    """

    def __init__(self, name: str, witness: Witness) -> None:
        self.name = name
        self.witness = witness
        self._items: deque[tuple[Direction, str | bytes | None, float]] = deque()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, direction: Direction, message: str | bytes | None, time: float) -> None:
        """Queue a whole message for checking.

        Args:
            direction: ``send`` (the client spoke) or ``recv`` (the DMS spoke).
            message: the message; ``bytes`` is a binary WebSocket frame; ``None`` one
                too large to keep, which passed unchecked (``Witness.unchecked``).
            time: seconds since the epoch when it passed the proxy (its read came in).
        """
        self._items.append((direction, message, time))

    async def check(self) -> None:
        """Check everything waiting, in order.

        Every :data:`CHECK_SLICE` seconds of checking the other tasks run, so a
        large batch never holds up the other direction or other connections for long.
        """
        items = self._items
        if not items:
            return
        clock = time.perf_counter
        message = self.witness.message
        name = self.name
        deadline = clock() + CHECK_SLICE
        while items:
            direction, data, when = items.popleft()
            if data is None:
                self.witness.unchecked(name, direction)
            else:
                message(name, direction, data, time=when)
            if items and clock() > deadline:
                await trio.lowlevel.checkpoint()  # the other pump forwards meanwhile
                deadline = clock() + CHECK_SLICE

    def drain(self) -> None:
        """Check everything waiting, now."""
        items = self._items
        message = self.witness.message
        while items:
            direction, data, when = items.popleft()
            if data is None:
                self.witness.unchecked(self.name, direction)
            else:
                message(self.name, direction, data, time=when)


__all__ = ["CHECK_SLICE", "Backlog"]
