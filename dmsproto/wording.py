"""How counts read in the text people see: ``1 event``, ``2 events``, ``1,000 entries``.

Every message of the command line, the capture report and the proxy that states a
count goes through :func:`count`, so none says "1 events".
"""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun in the form that fits it, thousands separated by commas.

    Args:
        n: how many.
        noun: the singular (``"event"``, ``"client connection"``).
        plural: the plural when it is not ``noun + "s"`` (``"entries"``).

    Returns:
        ``"1 event"``, ``"0 events"``, ``"12,500 entries"``.
    """
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


__all__ = ["count"]
