"""``connect(record=...)``: where the client's traffic is written, and who closes it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from ..recorder import Recorder


@contextmanager
def open_recorder(
    record: str | os.PathLike[str] | Recorder | None, *, truncate: bool = False
) -> Iterator[Recorder | None]:
    """A ``Recorder`` for the connection's lifetime.

    A path is opened here and closed when the connection ends: this connection's
    session is added to what the file holds, or with ``truncate`` the file starts
    afresh.  An open ``Recorder`` belongs to the caller, who may share it between
    connections, so it is left open (and ``truncate`` does not apply to it).
    """
    if record is None or isinstance(record, Recorder):
        yield record
        return
    recorder = Recorder(record, truncate=truncate)
    try:
        yield recorder
    finally:
        recorder.close()


__all__ = ["open_recorder"]
