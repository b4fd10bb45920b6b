"""The generated wire types the simulator reads requests into and answers with.

Field names, types and enumerations live in ``schema/`` only: the engine reads
each request item into the version's generated request struct (snake_case
attributes, ``UNSET`` for absent members) and answers with the version's
generated response and event structs, which :func:`dmsproto.codec.encode`
writes with their wire names. :class:`SimWire` reads off one version what the
engine needs: each command's item and result struct, and the enumerations.

The few enumeration members the engine names itself (result codes, event
codes) are module constants checked against the generated ``Literal`` aliases,
so a schema that drops one fails at import, not on the wire.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

import msgspec

from .._generated import VERSIONS
from ..codec import encode
from ..versions import DEFAULT_VERSION, VersionBindings, get_version, version_key
from .messages import for_decoding

UNSET = msgspec.UNSET

#: Root members of a request frame that are not commands (attribute names).
ROOT_ATTRS = ("tag", "whois", "user")


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


def member(values: tuple[str, ...], value: str) -> str:
    """``value`` after checking that the generated enumeration still lists it."""
    if value not in values:
        raise RuntimeError(f"generated enumeration {values} lost {value!r}: update the simulator")
    return value


def _struct_in(tp: Any) -> type[msgspec.Struct]:
    """The struct inside ``list[X] | UnsetType`` (X possibly ``Path | Struct``)."""
    origin = get_origin(tp)
    if origin is Annotated or origin is list:
        return _struct_in(get_args(tp)[0])
    if origin is Union or origin is types.UnionType:
        for arg in get_args(tp):
            if arg is not msgspec.UnsetType:
                try:
                    return _struct_in(arg)
                except TypeError:
                    continue
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return tp
    raise TypeError(f"no struct in {tp!r}")


def _field_types(struct: type[msgspec.Struct]) -> dict[str, Any]:
    return get_type_hints(struct, include_extras=True)


@cache
def wire_names(struct: type[msgspec.Struct]) -> dict[str, str]:
    """``{attribute name: wire name}`` of a generated struct."""
    return {f.name: f.encode_name for f in msgspec.structs.fields(struct)}


_V14 = get_version(DEFAULT_VERSION).common
_CODES = literal_values(_V14.ResultCode)
OK = member(_CODES, "ok")
ERROR = member(_CODES, "error")
NOT_FOUND = member(_CODES, "not found")
NO_PERM = member(_CODES, "no perm")
_EVENTS = literal_values(_V14.EventCode)
ON_CHANGE = member(_EVENTS, "onChange")
ON_SET = member(_EVENTS, "onSet")
ON_CREATE = member(_EVENTS, "onCreate")
ON_RENAME = member(_EVENTS, "onRename")
ON_DELETE = member(_EVENTS, "onDelete")
#: every event code, in the schema's order
EVENT_CODES = _EVENTS
_DETAIL = get_type_hints(_V14.HistDetailEntry, include_extras=True)
#: detail trend entry state and rec values the simulator records
HIST_OK = member(literal_values(_DETAIL["state"]), "ok")
REC_CHANGE = member(literal_values(_DETAIL["rec"]), "change")
REC_CYCLE = member(literal_values(_DETAIL["rec"]), "cycle")
_LOG = get_type_hints(_V14.ChangelogEntry, include_extras=True)
#: change-log states of alarm entries the simulator writes
ALARM_OCCURRED = member(literal_values(_LOG["state"]), "occurred")
ALARM_LEFT = member(literal_values(_LOG["state"]), "left")
#: the accType values extInfos may report
ACC_TYPES = literal_values(get_type_hints(_V14.ExtInfos, include_extras=True)["acc_type"])


@dataclass(frozen=True)
class Command:
    """One request command: its names, item struct and result struct."""

    attr: str  # attribute of RequestFrame/ResponseFrame (snake_case)
    name: str  # wire name
    item: type[msgspec.Struct]
    result: type[msgspec.Struct]
    #: result attribute -> request wire name, for the members an error item echoes
    echo: tuple[tuple[str, str], ...]
    #: the item's tag member (wire name)
    tag: str


class SimWire:
    """The generated types and enumerations of one protocol version, for the engine."""

    def __init__(self, version: VersionBindings) -> None:
        self.version = version
        self.name = version.name
        self.common = version.common
        self.request = version.request
        self.response = version.response
        self.event = version.event
        request_types = _field_types(version.request.RequestFrame)
        response_types = _field_types(version.response.ResponseFrame)
        self.commands: dict[str, Command] = {}
        for attr, name in wire_names(version.request.RequestFrame).items():
            if attr in ROOT_ATTRS:
                continue
            item = _struct_in(request_types[attr])
            result = _struct_in(response_types[attr])
            item_names = wire_names(item)
            echo = tuple((a, item_names[a]) for a in ("path", "new_path", "group")
                         if a in item_names and a in wire_names(result))
            tag = item_names.get("tag", "tag")  # changelogGetGroups items have none
            self.commands[name] = Command(attr, name, item, result, echo, tag)
        frame_names = wire_names(version.request.RequestFrame)
        self.root_fields = frozenset(frame_names.values())
        #: root member attribute -> wire name (tag, whois, user)
        self.root = {a: frame_names[a] for a in ROOT_ATTRS}
        common = version.common
        for code in (OK, ERROR, NOT_FOUND, NO_PERM):
            member(literal_values(common.ResultCode), code)
        self.event_codes = literal_values(common.EventCode)
        #: showExtInfos key (wire name) -> ExtInfos attribute
        self.ext_attrs = {v: k for k, v in wire_names(common.ExtInfos).items()}
        hist = _field_types(common.HistDataRequest)
        formats = literal_values(hist["format"])
        self.compact = member(formats, "compact")
        self.detail = member(formats, "detail")
        #: longest written path and highest written array index (3.1.5, 3.1.4)
        self.max_path_length = schema_limit(version, "x-dms-maxLength")
        self.max_write_index = schema_limit(version, "x-dms-maxIndex")

    def convert(self, raw: Any, command: Command, *, validated: bool) -> Any:
        """A request item as the command's struct; raises ValueError with the reason.

        An item the validator passed may still differ in representation (JSON
        Schema calls ``900.0`` an integer): it is converted leniently then.
        """
        if isinstance(raw, str) and command.item is self.request.GetItem:
            return command.item(path=raw)
        try:
            return msgspec.convert(raw, command.item)
        except msgspec.ValidationError as exc:
            if validated:
                try:
                    return msgspec.convert(raw, command.item, strict=False)
                except msgspec.ValidationError:
                    pass
            raise ValueError(for_decoding(str(exc))) from None


def schema_limit(version: VersionBindings, key: str) -> int:
    """The number the version's schemas state under ``key`` (e.g. ``x-dms-maxLength``).

    The schemas are the one place such wire limits are written; wherever a version
    declares it, the first occurrence is taken.

    Raises:
        LookupError: no schema of the version states ``key``.
    """
    stack: list[Any] = list(version.schemas.values())
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found = node.get(key)
            if isinstance(found, int) and not isinstance(found, bool):
                return found
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    raise LookupError(f"no schema of {version.name} states {key}")


@cache
def wire_for(protocol: str) -> SimWire:
    """The types of ``protocol``.

    A version without bindings gets the newest older one (or the oldest known one),
    so an engine can still answer it.
    """
    if protocol in VERSIONS:
        return SimWire(get_version(protocol))
    known = sorted(VERSIONS, key=version_key)
    older = [v for v in known if version_key(v) <= version_key(protocol)]
    return SimWire(get_version(older[-1] if older else known[0]))


def as_json(frame: Any) -> Any:
    """A frame (generated structs, or plain values) as plain JSON values, wire names."""
    return msgspec.json.decode(encode(frame))


__all__ = [
    "ACC_TYPES", "ALARM_LEFT", "ALARM_OCCURRED", "ERROR", "EVENT_CODES", "HIST_OK",
    "NOT_FOUND", "REC_CHANGE", "REC_CYCLE", "NO_PERM", "OK", "ON_CHANGE", "ON_CREATE",
    "ON_DELETE", "ON_RENAME", "ON_SET", "UNSET", "Command", "SimWire", "as_json",
    "literal_values", "member", "schema_limit", "wire_for", "wire_names",
]
