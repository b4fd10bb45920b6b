"""Typed decode and encode of whole frames, on top of the generated structs.

``decode`` turns JSON text into the version's ``RequestFrame`` (direction
``send``), ``ResponseFrame`` or ``EventFrame`` (direction ``recv``); it
enforces what the types express (types, required members, enumerations,
patterns, bounds).  Cross-field rules (e.g. a fatal item needs a message) are
reported by ``dmsproto.validate``.  Every failure is one ``DecodeError`` with
a JSON pointer.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import msgspec

from .errors import DecodeError, EncodeError
from .versions import DEFAULT_VERSION, Direction, VersionBindings, get_version
from .wirebase import HistEntry

_EVENT_PREFIX = re.compile(rb'^\s*\{\s*"event"\s*:')
_MSGSPEC_AT = re.compile(r"^(?P<reason>.*?)(?: - at `(?P<path>\$[^`]*)`)?$", re.S)
_PATH_PART = re.compile(
    r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[(\"(?:[^\"\\]|\\.)*\")\]|\[\.\.\.\]"
)


def msgspec_path_to_pointer(path: str) -> str:
    """``$.set[0].path`` -> ``/set/0/path`` (RFC 6901)."""
    out = []
    for m in _PATH_PART.finditer(path[1:]):
        name, index, quoted = m.groups()
        part = name if name is not None else index if index is not None else (
            msgspec.json.decode(quoted) if quoted is not None else "..."
        )
        out.append(str(part).replace("~", "~0").replace("/", "~1"))
    return "".join("/" + p for p in out)


def _error(exc: Exception) -> DecodeError:
    m = _MSGSPEC_AT.match(str(exc))
    assert m is not None  # the pattern matches any string
    path = m.group("path")
    return DecodeError(msgspec_path_to_pointer(path) if path else "", m.group("reason"))


def _hist_hook(version: VersionBindings) -> Any:
    detail_type = version.common.HistDetailEntry

    def dec_hook(tp: type, obj: Any) -> Any:
        if tp is HistEntry:
            if not isinstance(obj, dict):
                raise ValueError(f"Expected `object`, got `{type(obj).__name__}`")
            if "stamp" in obj:
                detail = msgspec.convert(obj, detail_type)
                return HistEntry(detail.stamp, detail.value, detail)
            if len(obj) != 1:
                raise ValueError(
                    f"compact histData entry must have exactly 1 member, got {len(obj)}"
                )
            ((stamp, value),) = obj.items()
            if type(value) is not float and type(value) is not int:
                raise ValueError(f"Expected `number`, got `{type(value).__name__}`")
            return HistEntry(stamp, value)
        raise NotImplementedError(tp)

    return dec_hook


@cache
def _decoders(protocol: str) -> dict[str, msgspec.json.Decoder[Any]]:
    version = get_version(protocol)
    hook = _hist_hook(version)
    return {
        "request": msgspec.json.Decoder(version.request.RequestFrame, dec_hook=hook),
        "response": msgspec.json.Decoder(version.response.ResponseFrame, dec_hook=hook),
        "event": msgspec.json.Decoder(version.event.EventFrame, dec_hook=hook),
        "keys": msgspec.json.Decoder(dict[str, msgspec.Raw]),
    }


def _as_bytes(data: bytes | bytearray | memoryview | str | dict[str, Any]) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, dict):
        return msgspec.json.encode(data)
    return bytes(data)


def frame_kind(data: bytes, protocol: str = DEFAULT_VERSION) -> str:
    """``event`` or ``response`` for a server frame (raises DecodeError if not an object)."""
    if _EVENT_PREFIX.match(data):
        return "event"
    try:
        keys = _decoders(protocol)["keys"].decode(data)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise _error(exc) from None
    return "event" if "event" in keys else "response"


def decode(
    data: bytes | bytearray | memoryview | str | dict[str, Any],
    *,
    direction: Direction,
    protocol: str = DEFAULT_VERSION,
) -> Any:
    """Decode one frame into the version's typed struct.

    ``direction="send"`` gives a ``RequestFrame``; ``"recv"`` an ``EventFrame``
    when the frame holds ``event``, else a ``ResponseFrame``.
    Raises ``DecodeError`` (with ``.pointer`` and ``.reason``) on bad input.
    """
    raw = _as_bytes(data)
    decoders = _decoders(protocol)
    if direction == "send":
        kind = "request"
    elif direction == "recv":
        kind = "event" if _EVENT_PREFIX.match(raw) else "response"
    else:
        raise ValueError(f"direction must be 'send' or 'recv', not {direction!r}")
    try:
        frame = decoders[kind].decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise _error(exc) from None
    except RecursionError:
        raise DecodeError("", "nesting too deep") from None
    if kind == "response" and frame_kind(raw, protocol) == "event":
        try:
            return decoders["event"].decode(raw)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise _error(exc) from None
    return frame


def _enc_hook(obj: Any) -> Any:
    if isinstance(obj, HistEntry):
        return obj.to_wire()
    raise EncodeError(f"cannot encode {type(obj).__name__} as protocol JSON")


_encoder = msgspec.json.Encoder(enc_hook=_enc_hook)


def encode(frame: Any) -> bytes:
    """Encode a typed frame (or any JSON-ready value) as UTF-8 JSON bytes.

    Floats stay floats (``123.0`` is written ``123.0``), absent members stay
    absent, ``None`` is written ``null``.
    """
    try:
        return _encoder.encode(frame)
    except EncodeError:
        raise
    except (TypeError, ValueError, OverflowError) as exc:
        raise EncodeError(str(exc)) from None


__all__ = ["decode", "encode", "frame_kind", "msgspec_path_to_pointer"]
