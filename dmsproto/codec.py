"""Decode and encode whole frames, on top of the generated structs.

This module is the hand-written engine; the typed front doors are generated
from it: ``dmsproto.decode`` (typing overloads on ``direction`` and
``protocol``) and, per version, ``dmsproto.frames.v1_4.decode_request`` and
its siblings, whose return types are that version's frame structs.

Decoding enforces what the types express (types, required members,
enumerations, patterns, bounds).  Cross-field rules (e.g. a fatal item needs a
message) are reported by ``dmsproto.validate``.  Every failure is one
``DecodeError`` with a JSON pointer.

The helpers other packages build on are public here: :func:`frame_decoders`
(the strict decoders of one version), :func:`hist_entry_hook` (how a
``histData`` entry of either wire form becomes a ``HistEntry``),
:func:`decode_error` (a msgspec error as a ``DecodeError``) and
:func:`frame_kind`; :class:`TypedDecoders` is what the generated per-version
modules are made of.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any, Generic, Literal, TypeAlias, TypeVar

import msgspec
from msgspec import Struct

from .errors import DecodeError, EncodeError
from .jsontext import READER_ERRORS, not_json
from .versions import DEFAULT_VERSION, Direction, VersionBindings, get_version
from .wirebase import HistEntry

FrameData: TypeAlias = bytes | bytearray | memoryview | str | dict[str, Any]
"""What the decoders accept: JSON text (UTF-8 bytes or str), or a JSON object as a dict."""

FrameKind = Literal["request", "response", "event"]
"""The three frame types of every version: a request (the client spoke), a
response or an event (the DMS spoke)."""

RequestT = TypeVar("RequestT")
ResponseT = TypeVar("ResponseT")
EventT = TypeVar("EventT")

_EVENT_PREFIX = re.compile(rb'^\s*\{\s*"event"\s*:')
_MSGSPEC_AT = re.compile(r"^(?P<reason>.*?)(?: - at `(?P<path>\$[^`]*)`)?$", re.S)
_PATH_PART = re.compile(
    r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[(\"(?:[^\"\\]|\\.)*\")\]|\[\.\.\.\]"
)
_MEMBERS = msgspec.json.Decoder(dict[str, msgspec.Raw])


def msgspec_path_to_pointer(path: str) -> str:
    """A msgspec error location as a JSON pointer: ``$.set[0].path`` -> ``/set/0/path``.

    Args:
        path: the location msgspec names in its error message.

    Returns:
        The RFC 6901 pointer that every report of ours uses.
    """
    out = []
    for m in _PATH_PART.finditer(path[1:]):
        name, index, quoted = m.groups()
        part = name if name is not None else index if index is not None else (
            msgspec.json.decode(quoted) if quoted is not None else "..."
        )
        out.append(str(part).replace("~", "~0").replace("/", "~1"))
    return "".join("/" + p for p in out)


def decode_error(exc: Exception) -> DecodeError:
    """The ``DecodeError`` for a msgspec decoding or validation error.

    msgspec ends its messages with `` - at `$.path` ``; that becomes the
    error's JSON ``pointer`` and the rest its ``reason``, so every caller
    reports bad input the same way.

    Args:
        exc: a ``msgspec.ValidationError`` or ``msgspec.DecodeError``.

    Returns:
        The error to raise (or to wrap in a report).
    """
    m = _MSGSPEC_AT.match(str(exc))
    assert m is not None  # the pattern matches any string
    path = m.group("path")
    return DecodeError(msgspec_path_to_pointer(path) if path else "", m.group("reason"))


def hist_entry_hook(version: VersionBindings) -> Callable[[type, Any], Any]:
    """The msgspec ``dec_hook`` that reads ``histData`` entries into ``HistEntry``.

    The schema describes a trend entry with ``if/then/else`` (compact
    ``{"<stamp>": value}`` or a detail object with ``stamp``), which the
    generated code maps to the hand-written ``HistEntry``; msgspec hands such
    entries to this hook.  Any decoder of the version's response structs (or of
    structs derived from them) passes it as ``dec_hook``.

    Args:
        version: the protocol version whose detail entry struct to use.

    Returns:
        The hook; it raises ``ValueError`` for an entry of neither form, which
        msgspec reports as a validation error at the entry's path.
    """
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


class FrameDecoders(Struct, frozen=True):
    """The strict msgspec decoders of one version: every schema constraint is checked.

    Attributes:
        request: decodes a ``RequestFrame`` (what a client sends).
        response: decodes a ``ResponseFrame`` (the DMS's answer).
        event: decodes an ``EventFrame`` (the DMS's subscription events).
    """

    request: msgspec.json.Decoder[Any]
    response: msgspec.json.Decoder[Any]
    event: msgspec.json.Decoder[Any]

    def of(self, kind: FrameKind) -> msgspec.json.Decoder[Any]:
        """The decoder of one frame kind.

        Args:
            kind: ``request``, ``response`` or ``event``.

        Returns:
            That kind's decoder.
        """
        decoder: msgspec.json.Decoder[Any] = getattr(self, kind)
        return decoder


@cache
def frame_decoders(protocol: str = DEFAULT_VERSION) -> FrameDecoders:
    """The decoders into the generated ``RequestFrame``, ``ResponseFrame`` and ``EventFrame``.

    Built once per version and shared (msgspec decoders are immutable).

    Args:
        protocol: a shipped protocol version such as ``"1.4"``.

    Returns:
        The version's decoders.

    Raises:
        UnknownVersionError: ``protocol`` is not a shipped version.
    """
    version = get_version(protocol)
    hook = hist_entry_hook(version)
    return FrameDecoders(
        request=msgspec.json.Decoder(version.request.RequestFrame, dec_hook=hook),
        response=msgspec.json.Decoder(version.response.ResponseFrame, dec_hook=hook),
        event=msgspec.json.Decoder(version.event.EventFrame, dec_hook=hook),
    )


def _as_bytes(data: FrameData) -> bytes:
    if isinstance(data, str):
        try:
            return data.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate
            raise not_json(exc, data) from None
    if isinstance(data, dict):
        return msgspec.json.encode(data)
    return bytes(data)


def frame_kind(data: bytes) -> Literal["event", "response"]:
    """Whether a frame the DMS sent is an ``event`` or a ``response`` frame.

    An event frame is the object with an ``event`` member, wherever it stands.

    Args:
        data: the frame's JSON text.

    Returns:
        ``"event"`` or ``"response"``.

    Raises:
        DecodeError: ``data`` is not a JSON object.
    """
    if _EVENT_PREFIX.match(data):
        return "event"
    try:
        members = _MEMBERS.decode(data)
    except msgspec.ValidationError as exc:
        raise decode_error(exc) from None
    except READER_ERRORS as exc:
        raise not_json(exc, data) from None
    return "event" if "event" in members else "response"


def _run(decoder: msgspec.json.Decoder[Any], raw: bytes) -> Any:
    try:
        return decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise decode_error(exc) from None
    except READER_ERRORS as exc:  # not JSON at all: worded as everywhere else
        raise not_json(exc, raw) from None


def decode_as(data: FrameData, kind: FrameKind, protocol: str = DEFAULT_VERSION) -> Any:
    """Decode one frame of a known kind into the version's struct.

    A response frame allows unknown members, so an event frame would decode
    as an empty response: ``kind="response"`` refuses event frames instead.

    Args:
        data: the frame.
        kind: ``"request"``, ``"response"`` or ``"event"``.
        protocol: a shipped protocol version.

    Returns:
        The version's ``RequestFrame``, ``ResponseFrame`` or ``EventFrame``.

    Raises:
        DecodeError: ``data`` is not a valid frame of that kind.
        UnknownVersionError: ``protocol`` is not a shipped version.
    """
    raw = _as_bytes(data)
    frame = _run(frame_decoders(protocol).of(kind), raw)
    if kind == "response" and frame_kind(raw) == "event":
        raise DecodeError("/event", "an event frame, not a response frame")
    return frame


def decode_frame(
    data: FrameData, *, direction: Direction, protocol: str = DEFAULT_VERSION
) -> Any:
    """Decode one frame into the version's struct (the engine behind ``dmsproto.decode``).

    Args:
        data: the frame.
        direction: ``"send"`` gives a ``RequestFrame``; ``"recv"`` an
            ``EventFrame`` when the frame holds ``event``, else a ``ResponseFrame``.
        protocol: a shipped protocol version.

    Returns:
        The frame struct.

    Raises:
        DecodeError: ``data`` is not a valid frame (with ``.pointer`` and ``.reason``).
        UnknownVersionError: ``protocol`` is not a shipped version.
        ValueError: ``direction`` is neither ``"send"`` nor ``"recv"``.
    """
    raw = _as_bytes(data)
    decoders = frame_decoders(protocol)
    if direction == "send":
        return _run(decoders.request, raw)
    if direction != "recv":
        raise ValueError(f"direction must be 'send' or 'recv', not {direction!r}")
    if _EVENT_PREFIX.match(raw):
        return _run(decoders.event, raw)
    frame = _run(decoders.response, raw)
    if frame_kind(raw) == "event":
        return _run(decoders.event, raw)
    return frame


class TypedDecoders(Generic[RequestT, ResponseT, EventT]):
    """The decoders of one version, typed with its three frame structs.

    The generated ``frames`` module of each version (``dmsproto.frames.v1_5``)
    makes one, with its own ``RequestFrame``, ``ResponseFrame`` and
    ``EventFrame`` as type arguments, and exports its methods; a type checker
    then knows the exact struct each returns.  The type arguments are not
    checked at run time: they must be the structs of ``protocol``.

    Every method takes ``data``, JSON text (bytes or str) or the frame as a
    dict, and raises ``DecodeError`` (with ``.pointer`` and ``.reason``) when
    it is not a frame of that kind and version.

    Args:
        protocol: the protocol version whose structs the type arguments are.

    Attributes:
        protocol: as given.
    """

    def __init__(self, protocol: str) -> None:
        self.protocol = protocol

    def decode_request(self, data: FrameData) -> RequestT:
        """The ``RequestFrame`` in ``data`` (the client spoke).

        Args:
            data: JSON text (bytes or str) or the frame as a dict.

        Returns:
            The version's ``RequestFrame``.

        Raises:
            DecodeError: ``data`` is not a request frame of this version.
        """
        frame: RequestT = decode_as(data, "request", self.protocol)
        return frame

    def decode_response(self, data: FrameData) -> ResponseT:
        """The ``ResponseFrame`` in ``data`` (the DMS answered).

        Args:
            data: JSON text (bytes or str) or the frame as a dict.

        Returns:
            The version's ``ResponseFrame``.

        Raises:
            DecodeError: ``data`` is not a response frame of this version (an event
                frame is refused too).
        """
        frame: ResponseT = decode_as(data, "response", self.protocol)
        return frame

    def decode_event(self, data: FrameData) -> EventT:
        """The ``EventFrame`` in ``data`` (the DMS reported changes).

        Args:
            data: JSON text (bytes or str) or the frame as a dict.

        Returns:
            The version's ``EventFrame``.

        Raises:
            DecodeError: ``data`` is not an event frame of this version.
        """
        frame: EventT = decode_as(data, "event", self.protocol)
        return frame

    def decode_server_frame(self, data: FrameData) -> ResponseT | EventT:
        """What the DMS sent: the ``EventFrame`` if ``data`` has ``event``, else the response.

        Args:
            data: JSON text (bytes or str) or the frame as a dict.

        Returns:
            The version's ``EventFrame`` or ``ResponseFrame``.

        Raises:
            DecodeError: ``data`` is neither frame of this version.
        """
        frame: ResponseT | EventT = decode_frame(data, direction="recv", protocol=self.protocol)
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

    Args:
        frame: a generated frame struct, or dicts, lists and scalars.

    Returns:
        The JSON text.

    Raises:
        EncodeError: ``frame`` holds something JSON cannot express.
    """
    try:
        return _encoder.encode(frame)
    except EncodeError:
        raise
    except (TypeError, ValueError, OverflowError) as exc:
        raise EncodeError(str(exc)) from None


__all__ = [
    "FrameData",
    "FrameDecoders",
    "FrameKind",
    "TypedDecoders",
    "decode_as",
    "decode_error",
    "decode_frame",
    "encode",
    "frame_decoders",
    "frame_kind",
    "hist_entry_hook",
    "msgspec_path_to_pointer",
]
