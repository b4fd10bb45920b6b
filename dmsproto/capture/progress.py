"""A one-line progress bar on stderr, shown only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Call with ``(bytes_done, bytes_total, messages)``; :meth:`close` clears the line."""

    def __init__(self, stream: TextIO | None = None, *, interval: float = 0.2,
                 width: int = 30) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.width = width
        self._last = 0.0
        self._shown = False

    @staticmethod
    def wanted(stream: TextIO | None = None) -> bool:
        target = stream if stream is not None else sys.stderr
        try:
            return target.isatty()
        except (AttributeError, ValueError):
            return False

    def __call__(self, done: int, total: int, messages: int) -> None:
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        fraction = min(done / total, 1.0) if total else 0.0
        filled = int(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {fraction:4.0%} {done / 1e6:,.1f}/{total / 1e6:,.1f} MB "
                          f"{messages:,} messages")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._shown = False


__all__ = ["ProgressBar"]
