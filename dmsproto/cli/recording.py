"""``--record FILE`` of every command: the capture opened with the command as its label.

The session marker a :class:`~dmsproto.recorder.Recorder` writes names who recorded;
the commands name themselves (``dmsproto get``, ``dmsproto serve``), never their
arguments, which may hold a user name.
"""

from __future__ import annotations

import os

from ..recorder import Recorder
from .exits import usage


def open_recording(path: str | os.PathLike[str], *, label: str,
                   truncate: bool = False) -> Recorder:
    """A ``Recorder`` appending to ``path`` (``truncate``: afresh), its marker labelled.

    Args:
        path: the capture file.
        label: the command, e.g. ``"dmsproto get"``.
        truncate: empty the file first.

    Returns:
        The open recorder; the caller closes it.

    Raises:
        CliError: a usage error when the file cannot be written.
    """
    try:
        return Recorder(path, truncate=truncate, label=label)
    except OSError as exc:
        raise usage(f"cannot write the recording {os.fspath(path)}: "
                    f"{exc.strerror or exc}") from None


__all__ = ["open_recording"]
