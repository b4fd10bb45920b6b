"""Access types: every accType's range and kind is enforced on writes."""

from __future__ import annotations

from typing import Any

import pytest

from dmsproto.sim.access import ACCESS_TYPES, FLOAT32_MAX
from dmsproto.sim.messages import FATAL_JSON
from dmsproto.sim.plant import PlantError
from dmsproto.sim.testing import Harness, tiny_plant
from dmsproto.sim.wire import ACC_TYPES

INTEGER_RANGES = {
    "int8": (-128, 127), "uint8": (0, 255),
    "int16": (-32768, 32767), "uint16": (0, 65535),
    "int32": (-(2**31), 2**31 - 1), "uint32": (0, 2**32 - 1),
    "int64": (-(2**63), 2**63 - 1), "uint64": (0, 2**64 - 1),
}
KINDS = {"double32": "double", "double64": "double", "string": "string", "bool": "bool",
         "none": "none"}


def plant_with_every_access_type() -> dict[str, Any]:
    plant = tiny_plant()
    for acc in ACC_TYPES:
        kind = KINDS.get(acc, "int")
        value = {"int": 0, "double": 0.0, "string": "", "bool": False, "none": None}[kind]
        plant["points"][f"Acc:{acc}"] = {"type": kind, "value": value, "accType": acc}
    return plant


def set_one(h: Harness, path: str, value: Any) -> dict[str, Any]:
    reply = h.handle_message(h.session(), {"whois": "w", "user": "", "set": [
        {"path": path, "value": value}]}, check=False)
    assert reply.response is not None
    item: dict[str, Any] = reply.response["set"][0]
    return item


def test_the_schema_and_the_simulator_know_the_same_access_types() -> None:
    assert set(ACCESS_TYPES) == set(ACC_TYPES) == set(INTEGER_RANGES) | set(KINDS)


@pytest.mark.parametrize("acc", sorted(INTEGER_RANGES))
def test_integer_access_types_take_their_range_and_nothing_past_it(acc: str) -> None:
    h = Harness(plant_with_every_access_type())
    low, high = INTEGER_RANGES[acc]
    for value in (low, high):
        assert set_one(h, f"Acc:{acc}", value)["value"] == value
    for value in (low - 1, high + 1):
        refused = set_one(h, f"Acc:{acc}", value)
        assert refused["code"] == "error" and refused["path"] == f"Acc:{acc}"
        if -(2**63) <= value < 2**64:  # a number a request can carry
            assert refused["message"] == f"Value out of range ({acc}: {low} to {high})"
    node = h.engine.tree.get(f"Acc:{acc}")
    assert node is not None and node.value == high


@pytest.mark.parametrize("value", [1.5, "7", True, None])
def test_integer_access_types_take_only_integers(value: Any) -> None:
    h = Harness(plant_with_every_access_type())
    assert set_one(h, "Acc:uint8", value) == {
        "code": "error", "path": "Acc:uint8", "message": "Data type doesn't match"}


def test_the_issues_examples() -> None:
    h = Harness(plant_with_every_access_type())
    assert set_one(h, "Acc:uint8", 99999999999999)["message"] == (
        "Value out of range (uint8: 0 to 255)")
    assert set_one(h, "Acc:uint32", -5)["message"] == (
        "Value out of range (uint32: 0 to 4294967295)")


def test_double32_takes_its_range() -> None:
    h = Harness(plant_with_every_access_type())
    assert set_one(h, "Acc:double32", FLOAT32_MAX)["code"] == "ok"
    assert set_one(h, "Acc:double32", -FLOAT32_MAX)["code"] == "ok"
    assert set_one(h, "Acc:double32", 12)["value"] == 12.0  # an int may go to a double
    refused = set_one(h, "Acc:double32", 3.5e38)
    assert refused["message"] == (
        "Value out of range (double32: -3.40282347e+38 to 3.40282347e+38)")


def test_double64_refuses_what_is_not_a_finite_double() -> None:
    h = Harness(plant_with_every_access_type())
    assert set_one(h, "Acc:double64", 1.7e308)["code"] == "ok"
    assert set_one(h, "Acc:double64", 10**400)["code"] == "error"  # an int past any double
    text = '{"whois":"w","user":"","set":[{"path":"Acc:double64","value":1e400}]}'
    reply = h.view(h.engine.handle(h.session(), text))  # no JSON number: not JSON at all
    assert reply.response == {"get": [{"code": "error", "message": FATAL_JSON}]}


@pytest.mark.parametrize(("acc", "good", "bad"), [
    ("string", "text", 5), ("bool", True, 1), ("none", None, 0)])
def test_other_access_types_take_their_kind_only(acc: str, good: Any, bad: Any) -> None:
    h = Harness(plant_with_every_access_type())
    assert set_one(h, f"Acc:{acc}", good)["code"] == "ok"
    assert set_one(h, f"Acc:{acc}", bad) == {
        "code": "error", "path": f"Acc:{acc}", "message": "Data type doesn't match"}


def test_created_datapoints_obey_their_default_access_type() -> None:
    h = Harness()
    reply = h.request(h.session(), {"whois": "w", "user": "", "set": [
        {"path": "New:Big", "value": 2**40, "create": True},
        {"path": "New:Int", "value": 7, "create": True},
        {"path": "New:Int", "value": 2**31}]})
    assert reply.response is not None
    assert [i["code"] for i in reply.response["set"]] == ["error", "ok", "error"]
    ext = h.request(h.session(), {"get": [{"path": "New:Int", "showExtInfos": ["accType"]}]})
    assert ext.response is not None
    assert ext.response["get"][0]["extInfos"] == {"accType": "int32"}


def test_a_plant_cannot_give_a_datapoint_an_access_type_that_cannot_hold_it() -> None:
    plant = tiny_plant()
    plant["points"]["Bad:Acc"] = {"type": "string", "value": "x", "accType": "uint8"}
    with pytest.raises(PlantError, match="uint8"):
        Harness(plant)
    plant["points"]["Bad:Acc"] = {"type": "int", "value": 1, "accType": "int128"}
    with pytest.raises(PlantError, match="int128"):
        Harness(plant)
