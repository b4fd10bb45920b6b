"""Protocol versions 1.3 and 1.5 beside 1.4: each version's own messages are accepted
under it and rejected under the others, by ``validate`` and by ``decode``; the version
folders share every unchanged definition with v1.4 (no copy-paste drift)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

import dmsproto
from dmsproto.errors import DecodeError
from dmsproto.versions import VERSIONS, get_version

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schema"
STAMP = "2026-01-15T00:00:00Z"
SERVER_STAMP = "2026-01-15T01:00:00,000+01:00"

#: request messages only one protocol version speaks: (name, message, own version)
REQUESTS_15: list[tuple[str, dict[str, Any]]] = [
    ("showPast", {"get": [{"path": "A", "histData": {"start": STAMP, "showPast": True}}]}),
    ("showOriginal", {"get": [{"path": "A", "histData": {"start": STAMP, "format": "detail",
                                                           "showOriginal": True}}]}),
    ("suffix DWU", {"get": ["A:Arr[2]DWU"]}),
    ("suffix STR", {"set": [{"path": "A:Arr[3]STR", "value": "x"}], "user": ""}),
    ("suffix BYS", {"get": [{"path": "A:Arr[1]BYS"}]}),
]
REQUESTS_13: list[tuple[str, dict[str, Any]]] = [
    ("hasProtData", {"get": [{"path": "A", "query": {"hasProtData": True}}]}),
    ("subscribe hasProtData", {"subscribe": [{"path": "A", "query": {"hasProtData": True}}]}),
]
#: v1.4 requests a 1.3 peer does not speak
REQUESTS_14_NOT_13: list[tuple[str, dict[str, Any]]] = [
    ("changelogRead", {"changelogRead": [{"group": "ABS1", "start": STAMP}]}),
    ("changelogGetGroups", {"changelogGetGroups": []}),
    ("get changelog", {"get": [{"path": "A", "changelog": {"start": STAMP}}]}),
    ("hasChangelog", {"get": [{"path": "A", "query": {"hasChangelog": True}}]}),
    ("extInfos state", {"get": [{"path": "A", "showExtInfos": ["state"]}]}),
    ("extInfos changelogGroup", {"get": [{"path": "A", "showExtInfos": ["changelogGroup"]}]}),
]


def _decodes(message: dict[str, Any], direction: str, protocol: str) -> bool:
    try:
        dmsproto.decode(json.dumps(message), direction=direction,  # type: ignore[arg-type]
                        protocol=protocol)
    except DecodeError:
        return False
    return True


def test_all_three_versions_are_known() -> None:
    assert {"1.3", "1.4", "1.5"} <= set(VERSIONS)  # a user may add more (README)
    for name in VERSIONS:
        assert get_version(name).name == name


@pytest.mark.parametrize(("name", "message"), REQUESTS_15, ids=[n for n, _ in REQUESTS_15])
def test_v15_requests_rejected_under_14_and_13_accepted_under_15(
    name: str, message: dict[str, Any]
) -> None:
    assert dmsproto.validate(message, direction="send", protocol="1.5") == []
    assert dmsproto.validate(message, direction="send", protocol="1.4") != []
    assert dmsproto.validate(message, direction="send", protocol="1.3") != []
    if "suffix" not in name:  # a suffix is a string rule, beyond the types
        assert _decodes(message, "send", "1.5")
        assert not _decodes(message, "send", "1.4")
        assert not _decodes(message, "send", "1.3")


def test_v15_violations_name_the_member_and_rule() -> None:
    message = REQUESTS_15[0][1]
    [v] = dmsproto.validate(message, direction="send", protocol="1.4")
    assert (v.pointer, v.rule) == ("/get/0/histData/showPast", "additionalProperties")
    [v] = dmsproto.validate({"get": ["A[2]DWU"]}, direction="send", protocol="1.4")
    assert (v.pointer, v.rule) == ("/get/0", "array-index")
    with pytest.raises(DecodeError) as exc:
        dmsproto.decode(json.dumps(message), direction="send", protocol="1.4")
    assert exc.value.pointer == "/get/0/histData"


@pytest.mark.parametrize(("name", "message"), REQUESTS_13, ids=[n for n, _ in REQUESTS_13])
def test_v13_requests_rejected_under_14_and_15_accepted_under_13(
    name: str, message: dict[str, Any]
) -> None:
    assert dmsproto.validate(message, direction="send", protocol="1.3") == []
    assert _decodes(message, "send", "1.3")
    for other in ("1.4", "1.5"):
        [v] = dmsproto.validate(message, direction="send", protocol=other)
        assert v.rule == "additionalProperties" and v.pointer.endswith("/query/hasProtData")
        assert not _decodes(message, "send", other)


@pytest.mark.parametrize(("name", "message"), REQUESTS_14_NOT_13,
                         ids=[n for n, _ in REQUESTS_14_NOT_13])
def test_v14_requests_rejected_under_13(name: str, message: dict[str, Any]) -> None:
    for newer in ("1.4", "1.5"):
        assert dmsproto.validate(message, direction="send", protocol=newer) == []
        assert _decodes(message, "send", newer)
    assert dmsproto.validate(message, direction="send", protocol="1.3") != []
    assert not _decodes(message, "send", "1.3")


def test_v13_change_log_command_is_an_unknown_root_member() -> None:
    rules = {(v.pointer, v.rule) for v in dmsproto.validate(
        REQUESTS_14_NOT_13[0][1], direction="send", protocol="1.3")}
    assert ("/changelogRead", "additionalProperties") in rules


def _past_response(entry: dict[str, Any]) -> dict[str, Any]:
    return {"get": [{"code": "ok", "path": "A", "value": 1.5, "type": "double",
                     "stamp": SERVER_STAMP, "histData": [entry], "histDataPast": [entry]}]}


DETAIL_15 = {"stamp": SERVER_STAMP, "value": 7.5, "state": "ok", "rec": "cycle",
             "mod": "modified", "valueOriginal": 5, "stampModified": SERVER_STAMP}


def test_v15_response_decodes_hist_data_past_and_value_original() -> None:
    frame = dmsproto.decode(json.dumps(_past_response(DETAIL_15)), direction="recv",
                            protocol="1.5")
    item = frame.get[0]
    [past] = item.hist_data_past
    assert (past.stamp, past.value) == (SERVER_STAMP, 7.5)
    assert past.detail.mod == "modified"
    assert past.detail.value_original == 5 and type(past.detail.value_original) is int
    assert past.detail.stamp_modified == SERVER_STAMP
    assert json.loads(dmsproto.encode(frame)) == _past_response(DETAIL_15)
    # v1.4 reads the same frame liberally: histDataPast is an unknown member there
    old = dmsproto.decode(json.dumps(_past_response(DETAIL_15)), direction="recv",
                          protocol="1.4")
    assert not hasattr(old.get[0], "hist_data_past")
    assert not hasattr(old.get[0].hist_data[0].detail, "value_original")


def test_v15_response_members_are_typed_only_under_15() -> None:
    bad = dict(DETAIL_15, mod="changed", valueOriginal="x")
    rules = {(v.pointer, v.rule) for v in dmsproto.validate(
        _past_response(bad), direction="recv", protocol="1.5")}
    assert ("/get/0/histDataPast/0/mod", "enum") in rules
    assert ("/get/0/histData/0/valueOriginal", "type") in rules
    assert not _decodes(_past_response(bad), "recv", "1.5")
    # under 1.4 they are unknown members of a response object: allowed
    assert dmsproto.validate(_past_response(bad), direction="recv", protocol="1.4") == []


FIXTURES = sorted((ROOT / "tests" / "fixtures" / "v1.4" / "examples").glob("*.json"))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_v14_examples_stay_valid_under_15_and_13_unless_change_log(path: Path) -> None:
    fx = json.loads(path.read_text("utf-8"))
    assert dmsproto.validate(fx["message"], direction=fx["direction"], protocol="1.5") == []
    text = json.dumps(fx["message"])
    uses_changelog = "changelog" in text or "hasChangelog" in text
    v13 = dmsproto.validate(fx["message"], direction=fx["direction"], protocol="1.3")
    if not uses_changelog:
        assert v13 == []
    elif fx["direction"] == "send":
        assert v13 != []


# -- the folders themselves -------------------------------------------------------------


def _docs(version: str) -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text("utf-8"))
            for p in sorted((SCHEMA / f"v{version}").glob("*.json"))}


def _is_alias(name: str, schema: Any) -> bool:
    return (isinstance(schema, dict) and set(schema) == {"$ref"}
            and re.fullmatch(rf"\.\./v1\.4/\w+\.json#/\$defs/{name}", schema["$ref"]) is not None)


@pytest.mark.parametrize("version", ["1.3", "1.5"])
def test_changes_md_lists_exactly_the_redefined_definitions(version: str) -> None:
    """Every definition of the folder is a one-line $ref into v1.4 or is listed in
    CHANGES.md; every name listed there is really redefined (no stale list)."""
    changes = (SCHEMA / f"v{version}" / "CHANGES.md").read_text("utf-8")
    section = changes.split("## Redefined definitions", 1)[1]
    listed: set[tuple[str, str]] = set()
    for entry in re.split(r"\n(?=- )", section):  # one bullet, continuation lines included
        m = re.match(r"- `(\w+\.json)`: (.*)", entry, re.S)
        if m:
            file, rest = m.groups()
            rest = re.sub(r"\([^)]*\)", "", rest)  # remarks in brackets name no definitions
            listed |= {(file, n) for n in re.findall(r"`(\w+)`", rest)}
    redefined = {(f, n) for f, doc in _docs(version).items()
                 for n, sub in doc.get("$defs", {}).items() if not _is_alias(n, sub)}
    assert redefined == listed


@pytest.mark.parametrize("version", ["1.3", "1.5"])
def test_event_file_is_the_v14_file(version: str) -> None:
    doc = _docs(version)["event.json"]
    assert doc["$ref"] == "../v1.4/event.json" and "$defs" not in doc


def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMA.glob("v*/*.json")):
        doc = json.loads(path.read_text("utf-8"))
        resources.append((doc["$id"], Resource.from_contents(doc)))
    return Registry().with_resources(resources)


SAMPLES: list[tuple[str, dict[str, Any]]] = [
    *[("send", m) for _, m in REQUESTS_15 + REQUESTS_13 + REQUESTS_14_NOT_13],
    ("send", {"get": [{"path": "A", "query": {"hasProtocolData": True}}]}),
    ("send", {"get": [{"path": "A", "histData": {"start": STAMP, "showPast": 1}}]}),
    ("send", {"subscribe": [{"path": "A", "query": {"hasChangelog": True}}], "tag": 1}),
    ("send", {"set": [{"path": "A", "value": 1, "type": "long"}], "user": ""}),
    ("recv", _past_response(DETAIL_15)),
    ("recv", _past_response(dict(DETAIL_15, mod="changed"))),
    ("recv", {"get": [{"code": "ok", "path": "A", "extInfos": {"state": "bad"}}]}),
    ("recv", {"event": [{"code": "onRename", "path": "A"}]}),
    ("recv", {"changelogRead": [{"code": "ok", "group": "G", "changelog": [{"text": 1}]}]}),
]


@pytest.mark.parametrize("version", ["1.3", "1.4", "1.5"])
def test_bundled_schemas_judge_like_the_source_files_with_standard_refs(version: str) -> None:
    """The generated validator schemas (resolved + bundled by codegen) accept and reject
    exactly what the source folder says under plain JSON Schema $ref semantics."""
    registry = _registry()
    bundles = get_version(version).schemas
    base = f"https://dmsproto.invalid/schema/v{version}/"
    for direction, message in SAMPLES:
        kind = "request" if direction == "send" else (
            "event" if "event" in message else "response")
        source = Draft202012Validator({"$ref": base + kind + ".json"}, registry=registry)
        bundled = Draft202012Validator(bundles[kind])
        assert source.is_valid(message) == bundled.is_valid(message), (version, message)


def test_generated_v15_types_carry_the_new_members() -> None:
    v15, v14 = get_version("1.5"), get_version("1.4")
    fields15 = {f.encode_name for f in msgspec.structs.fields(v15.common.HistDetailEntry)}
    fields14 = {f.encode_name for f in msgspec.structs.fields(v14.common.HistDetailEntry)}
    assert fields15 - fields14 == {"mod", "valueOriginal", "stampModified"}
    req = {f.encode_name for f in msgspec.structs.fields(v15.common.HistDataRequest)}
    assert {"showPast", "showOriginal"} <= req
    q13 = {f.encode_name for f in msgspec.structs.fields(get_version("1.3").common.Query)}
    assert "hasProtData" in q13 and "hasChangelog" not in q13
    assert not hasattr(get_version("1.3").request, "ChangelogReadItem")
