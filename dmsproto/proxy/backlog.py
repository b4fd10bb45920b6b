"""Messages waiting to be checked: in the order read, off the forwarding path, bounded.

A WebSocket session queues each whole message the moment its last frame is read,
before the frame is forwarded, and checks the queue in a task of its own.  So the
checking costs no latency (the DMS works on a request while the proxy checks it),
and a response can never be checked before its request (that was queued before it
even left the proxy).
"""

from __future__ import annotations

import time
from collections import deque
from typing import Final

import trio

from ..versions import Direction
from .witness import Witness

CHECK_SLICE: Final = 0.0002
"""Seconds of checking after which the checking task lets the pumps run."""


class Backlog:
    """Whole messages waiting to be checked, in the order the proxy read them.

    :meth:`run` (a task of the session) checks them whenever there are some, and
    lets the pumps run every :data:`CHECK_SLICE` seconds of checking, so a batch
    of messages never holds up forwarding the next.  Once ``limit`` bytes wait,
    the pumps stop reading until there is room (checking slows traffic down rather
    than memory growing).
    """

    def __init__(self, name: str, witness: Witness, limit: int) -> None:
        self.name = name
        self.witness = witness
        self.limit = limit
        self.size = 0
        self._items: deque[tuple[Direction, str | bytes]] = deque()
        self._wake = trio.Event()
        self._room = trio.Event()

    @property
    def full(self) -> bool:
        """Whether ``limit`` bytes wait: the pumps stop reading."""
        return self.size >= self.limit

    def put(self, direction: Direction, message: str | bytes) -> None:
        """Queue a whole message for checking and wake the checking task.

        Args:
            direction: ``send`` (the client spoke) or ``recv`` (the DMS spoke).
            message: the message; ``bytes`` is a binary WebSocket frame.
        """
        self._items.append((direction, message))
        self.size += len(message)
        self._wake.set()
        if self.full and self._room.is_set():
            self._room = trio.Event()

    async def room(self) -> None:
        """Return once fewer than ``limit`` bytes wait."""
        while self.full:
            await self._room.wait()

    def drain(self) -> None:
        """Check everything waiting, now."""
        while self._items:
            self._check_one()

    def _check_one(self) -> None:
        direction, message = self._items.popleft()
        self.size -= len(message)
        self.witness.message(self.name, direction, message)
        if not self.full and not self._room.is_set():
            self._room.set()

    async def run(self) -> None:
        """Check messages as they come, letting the pumps run between slices, until cancelled."""
        clock = time.perf_counter
        while True:
            await self._wake.wait()
            self._wake = trio.Event()
            deadline = clock() + CHECK_SLICE
            while self._items:
                self._check_one()
                if clock() > deadline:
                    await trio.lowlevel.checkpoint()  # the pumps forward meanwhile
                    deadline = clock() + CHECK_SLICE


__all__ = ["CHECK_SLICE", "Backlog"]
