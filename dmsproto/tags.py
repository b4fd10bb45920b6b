"""Tags as dictionary keys.

A tag is any JSON value the client sends and the server echoes.  Correlating
by tag needs a key that keeps apart what JSON keeps apart (``1``, ``1.0``,
``true`` and ``"1"``) and equates what JSON equates (objects whose members
differ only in order).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import msgspec

_encode = msgspec.json.Encoder(order="sorted").encode


def tag_key(tag: Any) -> Hashable:
    """A hashable key for a JSON tag.

    Args:
        tag: The tag as decoded from JSON (any JSON value).

    Returns:
        The tag itself when it is a string (the common case, and the fastest),
        else its JSON text with object members sorted, as bytes; a value that
        is not JSON at all gives its ``repr``.
    """
    if type(tag) is str:
        return tag
    try:
        return _encode(tag)
    except (TypeError, ValueError):
        return repr(tag)


__all__ = ["tag_key"]
