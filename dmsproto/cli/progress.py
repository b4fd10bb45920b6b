"""A progress bar on stderr for reads that take several requests, on a terminal only.

Pipes, files and CI logs get nothing (a bar there is noise); a read answered in
one request draws nothing either.  The bar redraws one line with ``\\r`` and is
erased when the read is done, so the results that follow start on a clean line.
"""

from __future__ import annotations

from typing import TextIO

from ..protocol.ranges import RangeProgress

WIDTH = 30


class ProgressBar:
    """``progress=`` callback of a long read that draws ``label [####      ] 40% ...``."""

    def __init__(self, stream: TextIO, label: str, *, enabled: bool | None = None) -> None:
        """Args:
        stream: where to draw (stderr).
        label: what is being read (the path).
        enabled: draw at all; by default only when ``stream`` is a terminal.
        """
        isatty = getattr(stream, "isatty", None)
        self.stream = stream
        self.label = label
        self.enabled = bool(isatty and isatty()) if enabled is None else enabled
        self.drawn = False

    def __call__(self, progress: RangeProgress) -> None:
        if not self.enabled or (progress.fraction >= 1.0 and not self.drawn):
            return
        filled = int(progress.fraction * WIDTH)
        bar = "#" * filled + " " * (WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {progress.fraction:4.0%}  "
                          f"{progress.entries:,} values  {progress.requests} requests")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """Erase the bar (if one was drawn)."""
        if self.drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self.drawn = False


__all__ = ["ProgressBar"]
