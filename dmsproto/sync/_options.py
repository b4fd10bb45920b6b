"""The blocking facade's options: every connection option plus its own callback ones."""

from __future__ import annotations

from typing import Annotated, TypedDict

from ..declare import Opt, describe
from ..options import ConnectOptions


class CallbackOptions(TypedDict, total=False):
    """The options only ``dmsproto.sync.connect()`` has: how callbacks are delivered.

    A bad value raises ``ValueError``.
    """

    callback_queue_size: Annotated[int, Opt(
        10_000,
        "events that may wait for the callback thread; then delivery pauses and each "
        "subscription's buffer takes over",
        at_least=1,
    )]
    slow_callback: Annotated[float, Opt(
        1.0, "a callback running this many seconds or longer is reported (logger dmsproto)",
    )]


class SyncOptions(ConnectOptions, CallbackOptions, total=False):
    """The keywords of ``dmsproto.sync.connect()``: ``ConnectOptions`` and ``CallbackOptions``."""


describe(CallbackOptions)
describe(SyncOptions)

__all__ = ["CallbackOptions", "SyncOptions"]
