"""Lenient twins of the generated response structs, derived at import, for the client's hot path.

The generated types carry the schema's constraints, and msgspec checks them
while decoding: a regular expression on every server timestamp costs more
than parsing the whole frame (about 8 of 13 ms for a 10,000-item answer).
A client should be liberal in what it accepts: a server whose stamps or
enumerations drift a little must not make every answer unusable.  So the
client decodes into *twins*: the same structs with the same attributes and
wire names (read off the generated classes, never written here), minus the
``Meta`` constraints and with ``Literal`` enumerations widened to ``str``.
Types, required members and the struct layout are still enforced.  Checking
received traffic against the schema is ``dmsproto.validate``'s job, or the
client's ``strict_decoding`` option (the generated types as they are).
"""

from __future__ import annotations

import types
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import msgspec

from ..codec import hist_entry_hook
from ..versions import VersionBindings
from ..wirebase import WireStruct


def _loosen(tp: Any) -> Any:
    """``tp`` without constraints; structs replaced by their twins."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _loosen(get_args(tp)[0])
    if origin is Literal:
        return str if all(isinstance(a, str) for a in get_args(tp)) else tp
    if origin is Union or origin is types.UnionType:
        parts = tuple(dict.fromkeys(_loosen(a) for a in get_args(tp)))
        return parts[0] if len(parts) == 1 else Union[parts]  # noqa: UP007 - runtime union
    if origin is list:
        return list[_loosen(get_args(tp)[0])]  # type: ignore[misc]
    if origin is dict:
        key, value = get_args(tp)
        return dict[_loosen(key), _loosen(value)]  # type: ignore[misc]
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return twin(tp)
    return tp


@cache
def twin(cls: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """The lenient twin of a generated response struct (cached: one class per struct)."""
    fields: list[tuple[str, Any, Any]] = []
    for f in msgspec.structs.fields(cls):
        if f.required:
            spec = msgspec.field(name=f.encode_name)
        elif f.default_factory is not msgspec.NODEFAULT:
            spec = msgspec.field(name=f.encode_name, default_factory=f.default_factory)
        else:
            spec = msgspec.field(name=f.encode_name, default=f.default)
        fields.append((f.name, _loosen(f.type), spec))
    made: type[msgspec.Struct] = msgspec.defstruct(
        cls.__name__, fields, bases=(WireStruct,), module=__name__, gc=False
    )
    return made


def lenient_decoders(version: VersionBindings) -> tuple[Any, Any]:
    """(response, event) decoders into the twins of ``ResponseFrame`` and ``EventFrame``."""
    hook = hist_entry_hook(version)
    return (
        msgspec.json.Decoder(twin(version.response.ResponseFrame), dec_hook=hook),
        msgspec.json.Decoder(twin(version.event.EventFrame), dec_hook=hook),
    )


__all__ = ["lenient_decoders", "twin"]
