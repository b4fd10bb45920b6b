"""Exceptions of the blocking facade (candidates for ``dmsproto.errors``)."""

from __future__ import annotations

from ..errors import ConnectionLost, DMSProtoError


class Closed(ConnectionLost):
    """The client or subscription was closed by this program (its block was left).

    A ``ConnectionLost``: code that handles a lost connection handles this too.
    """


class TrioContextError(DMSProtoError, RuntimeError):
    """A blocking ``dmsproto.sync`` call was made from inside a trio run.

    It would block the very event loop it waits for; use ``dmsproto.connect()``
    (the trio client) there instead.
    """


__all__ = ["Closed", "TrioContextError"]
