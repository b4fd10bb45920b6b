"""The one exception a trio nursery's ``BaseExceptionGroup`` stands for.

A nursery wraps what its tasks raise in a (possibly nested) group, and the
failure of one task cancels its siblings, whose ``trio.Cancelled`` join the
group.  Callers that promise a single typed exception (``connect()``, the CLI)
ask :func:`sole_exception` for it.
"""

from __future__ import annotations

import trio


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def sole_exception(exc: BaseException) -> BaseException | None:
    """The exception ``exc`` stands for, or ``None`` when it holds several.

    A plain exception stands for itself.  In a group, ``trio.Cancelled`` leaves
    are the echo of the real failure and are set aside; a group of nothing but
    cancellations stands for its first ``Cancelled``.

    Args:
        exc: An exception, usually the group a nursery raised.

    Returns:
        The single meaningful leaf exception, or ``None`` if there are several.
    """
    if not isinstance(exc, BaseExceptionGroup):
        return exc
    cancelled, rest = exc.split(trio.Cancelled)
    if rest is None:
        return _leaves(cancelled)[0] if cancelled is not None else None
    real = _leaves(rest)
    return real[0] if len(real) == 1 else None


__all__ = ["sole_exception"]
