"""One protocol version as the client core sees it, read off the generated structs.

Everything version-specific the core needs (request and response types, the
decoders, the command names, the enumerations a call may check its arguments
against) comes from ``dmsproto._generated`` through :func:`wire_for`: the
JSON Schemas stay the only place where a wire name or an enumeration is
written by hand.  Commands are named by the snake_case attribute of
``RequestFrame``/``ResponseFrame`` (the same on both); the wire spelling is
looked up (``encode_name``) only for messages to humans.
"""

from __future__ import annotations

import json
import re
import types
from functools import cache, cached_property
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import msgspec

from ..codec import frame_decoders
from ..errors import NotInVersionError
from ..results import Event
from ..versions import DEFAULT_VERSION, VersionBindings, get_version
from ._lenient import lenient_decoders, twin

UNSET = msgspec.UNSET


def literal_values(tp: Any) -> tuple[str, ...]:
    """The strings of a generated ``Literal`` alias (through ``Annotated`` and unions)."""
    origin = get_origin(tp)
    if origin is Annotated:
        return literal_values(get_args(tp)[0])
    if origin is Literal:
        return tuple(a for a in get_args(tp) if isinstance(a, str))
    if origin is Union or origin is types.UnionType:
        return tuple(v for a in get_args(tp) for v in literal_values(a))
    return ()


def field_names(struct: type[msgspec.Struct]) -> dict[str, str]:
    """``{attribute name: wire name}`` of a generated struct.

    Read off the class, without evaluating its annotations as
    ``msgspec.structs.fields`` does.
    """
    return dict(zip(struct.__struct_fields__, struct.__struct_encode_fields__, strict=True))


def member(values: tuple[str, ...], value: str) -> str:
    """``value`` after checking that the schema still lists it (fails at import if not)."""
    if value not in values:
        raise RuntimeError(f"generated enumeration {values} lost {value!r}: update the client")
    return value


class Wire:
    """The generated types, decoders and enumerations of one protocol version."""

    def __init__(self, version: VersionBindings) -> None:
        self.name = version.name
        self.version = version
        common, request, response = version.common, version.request, version.response
        self.common = common
        self.request = request
        self.response = response
        self.event_item = version.event.EventItem
        #: request commands: attribute name -> wire name (root members excluded)
        root = {"tag", "whois", "user"}
        self.commands = {
            k: v for k, v in field_names(request.RequestFrame).items() if k not in root
        }
        self.response_commands = tuple(
            k for k in field_names(response.ResponseFrame) if k not in root
        )
        self.tag_key = field_names(response.ResponseFrame)["tag"]
        self.event_key = field_names(version.event.EventFrame)["event"]
        # the usual event frame starts with its one member: a cheap test before decoding
        head = r'^\s*\{\s*' + re.escape(json.dumps(self.event_key)) + r'\s*:'
        self.event_head_text = re.compile(head)
        self.event_head_bytes = re.compile(head.encode())
        # a root tag written first (``{"tag": 12, ...`` or ``{"tag": [12, ...``): readable
        # even when the rest of the frame is not (cut short, not UTF-8, nested too deep)
        tag_head = (r'^\s*\{\s*' + re.escape(json.dumps(self.tag_key))
                    + r'\s*:\s*(?:\[\s*)?(\d{1,18})\s*[,\]}]')
        self.tag_head_text = re.compile(tag_head)
        self.tag_head_bytes = re.compile(tag_head.encode())
        self.query_fields = field_names(common.Query)
        self.hist_fields = field_names(common.HistDataRequest)
        self.ext_info_keys = literal_values(common.ExtInfoKey)
        self.event_codes = literal_values(common.EventCode)
        self.set_types = literal_values(common.SetType)
        self.value_types = literal_values(common.ValueType)
        hist = {f.name: f.type for f in msgspec.structs.fields(common.HistDataRequest)}
        self.hist_formats = literal_values(hist["format"])
        self.compact = member(self.hist_formats, "compact")
        codes = literal_values(common.ResultCode)
        self.ok = member(codes, "ok")
        #: the code of a failure the client reports itself (e.g. a missing answer)
        self.error = member(codes, "error")

    @cached_property
    def strict_response(self) -> msgspec.json.Decoder[Any]:
        """Into the generated types as they are (every schema constraint checked).

        Built when first asked for, like the others: a client uses either these
        or the twins.
        """
        return frame_decoders(self.name).response

    @cached_property
    def strict_event(self) -> msgspec.json.Decoder[Any]:
        """Event frames into the generated types as they are."""
        return frame_decoders(self.name).event

    @cached_property
    def _lenient(self) -> tuple[msgspec.json.Decoder[Any], msgspec.json.Decoder[Any]]:
        return lenient_decoders(self.version)

    @property
    def lenient_response(self) -> msgspec.json.Decoder[Any]:
        """Into the twins without constraints (see ``_lenient``): the client's default."""
        return self._lenient[0]

    @property
    def lenient_event(self) -> msgspec.json.Decoder[Any]:
        """Event frames into the twins."""
        return self._lenient[1]

    @cached_property
    def event_decoder(self) -> msgspec.json.Decoder[Any] | None:
        """Event frames straight into ``results.Event``; ``None`` if this version cannot.

        As lenient as the twins (types and required members checked), when this
        version spells the event members as ``Event`` decodes them.  No twin and
        no conversion per event.
        """
        item = self.version.event.EventItem
        if set(item.__struct_encode_fields__) != set(Event.__struct_encode_fields__):
            return None
        frame = msgspec.defstruct("EventFrame", [(
            "event", list[Event], msgspec.field(name=self.event_key))], module=__name__)
        return msgspec.json.Decoder(frame)

    @cached_property
    def lenient_event_item(self) -> type[msgspec.Struct]:
        """The twin of ``EventItem``."""
        return twin(self.version.event.EventItem)

    def require_command(self, command: str, what: str) -> None:
        """Refuse, before anything is sent, a command this version does not have."""
        if command not in self.commands:
            raise NotInVersionError(
                f"{what} is not part of protocol {self.name} (it has no such command)"
            )

    def type_of(self, module: Any, name: str, what: str) -> Any:
        """A generated type by name, or a clear error when this version lacks it."""
        tp = getattr(module, name, None)
        if tp is None:
            raise NotInVersionError(f"{what} is not part of protocol {self.name}")
        return tp

    def wire_name(self, struct: type[msgspec.Struct], attr: str) -> str:
        """The wire spelling of a struct attribute (for messages)."""
        return field_names(struct).get(attr, attr)


@cache
def wire_for(protocol: str = DEFAULT_VERSION) -> Wire:
    """The :class:`Wire` of a protocol version (``UnknownVersionError`` if there is none)."""
    return Wire(get_version(protocol))


__all__ = ["UNSET", "Wire", "field_names", "literal_values", "member", "wire_for"]
