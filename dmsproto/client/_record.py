"""``connect(record=...)``: where the client's traffic is written, and who closes it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..capture.recorder import Recorder


@contextmanager
def open_recorder(
    record: str | os.PathLike[str] | Recorder | None,
) -> Iterator[Recorder | None]:
    """A ``Recorder`` for the connection's lifetime.

    A path is opened here (truncated) and closed when the connection ends; an
    open ``Recorder`` belongs to the caller, who may share it between
    connections, so it is left open.  The recorder's module loads only when a
    path is given (a client that does not record never imports it).
    """
    if record is None or not isinstance(record, str | os.PathLike):
        yield record
        return
    from ..capture.recorder import Recorder

    recorder = Recorder(record)
    try:
        yield recorder
    finally:
        recorder.close()


__all__ = ["open_recorder"]
