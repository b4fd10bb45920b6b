"""A user program with typing mistakes that mypy --strict must report.

Each line whose comment starts with ``E:`` must get an error containing the
comment's text, and no other line may get one (see ``test_typed_decoding.py``).
"""

from __future__ import annotations

import dmsproto
from dmsproto.frames import v1_3, v1_4, v1_5
from dmsproto.results import ItemResult, Point


def attributes(text: str) -> None:
    frame = dmsproto.decode(text, direction="recv")
    if isinstance(frame, v1_4.ResponseFrame) and frame.get:
        print(frame.get[0].not_an_attribute)  # E: "GetResult" has no attribute "not_an_attribute"
    request = dmsproto.decode(text, direction="send", protocol="1.5")
    if request.set:
        print(request.set[0].not_an_attribute)  # E: "SetItem" has no attribute "not_an_attribute"
    event = v1_5.decode_event(text)
    event.event[0].new_path.upper()  # E: of "str | UnsetType" has no attribute "upper"
    old = dmsproto.decode(text, direction="recv", protocol="1.3")
    if isinstance(old, v1_3.ResponseFrame) and old.get:
        print(old.get[0].hist_data_past)  # E: "GetResult" has no attribute "hist_data_past"
    newer = v1_5.decode_response(text)
    if newer.get:
        print(newer.get[0].hist_data_past[0].stamp)  # E: not indexable


def unknown_arguments(text: str) -> None:
    dmsproto.decode(text, direction="recv", protocol="9.9")  # E: No overload variant
    dmsproto.decode(text, direction="sideways")  # E: No overload variant


def absent_members(text: str) -> None:
    frame = dmsproto.decode(text, direction="send")
    frame.get[0]  # E: not indexable


def values(point: Point, result: ItemResult) -> None:
    point.value.upper()  # E: Item "int" of "int | float | str | None" has no attribute
    print(result.value.path)  # E: has no attribute "path"
