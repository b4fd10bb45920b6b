r"""The progress bar of the command line: one line on stderr, on a terminal only.

``dmsproto history`` draws its reads that take several requests with it, ``dmsproto
validate`` its large captures.  Pipes, files and CI logs get nothing (a bar there is
noise), and neither does work complete at its first report.  The bar redraws its line
with ``\r`` at most every ``interval`` seconds (and always when complete) and is
erased by :meth:`ProgressBar.close`, so what follows starts on a clean line.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, TextIO

from ..wording import count

if TYPE_CHECKING:
    from ..protocol.ranges import RangeProgress

WIDTH = 30


def on_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal (a closed or foreign stream is not)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class ProgressBar:
    """``label [#########---------------------]  30%  detail`` on ``stream``.

    Args:
        stream: where to draw (stderr).
        label: what the work is about (a path); none for a bar alone.
        enabled: draw at all; by default only when ``stream`` is a terminal.
        interval: the least time in seconds between two redraws.
    """

    def __init__(self, stream: TextIO, label: str = "", *, enabled: bool | None = None,
                 interval: float = 0.2) -> None:
        self.stream = stream
        self.label = label
        self.enabled = on_terminal(stream) if enabled is None else enabled
        self.interval = interval
        self.drawn = False
        self._last = 0.0

    def draw(self, fraction: float, detail: str) -> None:
        """Show ``fraction`` (0 to 1) done and ``detail``; the one place a bar is drawn."""
        complete = fraction >= 1.0
        if not self.enabled or (complete and not self.drawn):
            return
        now = time.monotonic()
        if self.drawn and not complete and now - self._last < self.interval:
            return
        self._last = now
        filled = int(min(max(fraction, 0.0), 1.0) * WIDTH)
        bar = "#" * filled + "-" * (WIDTH - filled)
        prefix = f"{self.label} " if self.label else ""
        self.stream.write(f"\r{prefix}[{bar}] {fraction:4.0%}  {detail}")
        self.stream.flush()
        self.drawn = True

    def read(self, progress: RangeProgress) -> None:
        """``progress=`` callback of a long read: values and requests so far."""
        self.draw(progress.fraction, f"{count(progress.entries, 'value')}  "
                                     f"{count(progress.requests, 'request')}")

    def capture(self, done: int, total: int, messages: int) -> None:
        """``progress=`` callback of capture validation: bytes read of all, messages."""
        fraction = min(done / total, 1.0) if total else 0.0
        self.draw(fraction, f"{done / 1e6:,.1f}/{total / 1e6:,.1f} MB  "
                            f"{count(messages, 'message')}")

    def close(self) -> None:
        """Erase the bar (if one was drawn)."""
        if self.drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self.drawn = False


__all__ = ["ProgressBar", "on_terminal"]
