"""A user program that decodes frames of every direction and version: mypy --strict passes it.

``assert_type`` pins the exact static type of each entry point; attribute
access below uses only members the schema defines.
"""

from __future__ import annotations

from typing import assert_type

import dmsproto
from dmsproto.frames import AnyFrame, v1_3, v1_4, v1_5
from dmsproto.protocol import Get
from dmsproto.results import Event, ItemResult, Point, Value


def default_version(text: str) -> None:
    request = dmsproto.decode(text, direction="send")
    assert_type(request, v1_4.RequestFrame)
    answer = dmsproto.decode(text, direction="recv")
    assert_type(answer, v1_4.ResponseFrame | v1_4.EventFrame)
    if isinstance(answer, v1_4.EventFrame):
        print([(e.code, e.path, e.value) for e in answer.event])
    elif answer.get:
        first: v1_4.response.GetResult = answer.get[0]
        print(first.code, first.value, first.has_child, first.stamp)


def every_version(data: bytes) -> None:
    assert_type(dmsproto.decode(data, direction="send", protocol="1.3"), v1_3.RequestFrame)
    assert_type(dmsproto.decode(data, direction="recv", protocol="1.3"), v1_3.ServerFrame)
    assert_type(dmsproto.decode(data, direction="send", protocol="1.4"), v1_4.RequestFrame)
    assert_type(dmsproto.decode(data, direction="recv", protocol="1.4"), v1_4.ServerFrame)
    assert_type(dmsproto.decode(data, direction="send", protocol="1.5"), v1_5.RequestFrame)
    assert_type(dmsproto.decode(data, direction="recv", protocol="1.5"), v1_5.ServerFrame)


def per_version_decoders(text: str) -> None:
    assert_type(v1_5.decode_request(text), v1_5.RequestFrame)
    assert_type(v1_5.decode_response(text), v1_5.ResponseFrame)
    assert_type(v1_5.decode_event(text), v1_5.EventFrame)
    assert_type(v1_5.decode_server_frame(text), v1_5.ResponseFrame | v1_5.EventFrame)
    request = v1_3.decode_request(text)
    for item in request.set or []:
        print(item.path, item.value)
    response = v1_5.decode_response(text)
    for result in response.get or []:
        for entry in result.hist_data_past or []:  # a v1.5 member
            print(entry.stamp, entry.value)


def direction_not_known_statically(text: str, direction: dmsproto.versions.Direction,
                                   version: dmsproto.versions.Version) -> None:
    assert_type(dmsproto.decode(text, direction=direction, protocol="1.5"), v1_5.Frame)
    anything = dmsproto.decode(text, direction=direction, protocol=version)
    assert_type(anything, AnyFrame)
    print(dmsproto.encode(anything))


def results(point: Point, event: Event, batch: list[ItemResult]) -> None:
    value: Value = point.value
    if isinstance(value, float):
        print(value.hex())
    print(event.value)
    for result in batch:
        if isinstance(result.op, Get) and isinstance(result.value, Point):
            print(result.value.path, result.value.stamp)
