"""The one codegen command covers every version folder: v1.4 is untouched by the
cross-folder resolver, --check sees a stale file in any version, and references into
another folder (aliases, whole files, colliding names) resolve as documented, and the
typed entry points follow the versions and the default version."""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest

import dmsproto
from codegen import entry_points, generate
from codegen.bundle import bundle, read_folder
from codegen.resolve import ResolveError, foreign_files, resolve_version
from dmsproto.versions import DEFAULT_VERSION, VERSIONS

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schema"


@pytest.fixture
def generator() -> None:
    """The tests that regenerate the bindings need datamodel-code-generator (the
    ``codegen`` extra, which the ``test`` extra does not pull in). Without it they skip
    on a developer's machine and fail in CI (``CI`` set), which installs it."""
    if importlib.util.find_spec("datamodel_code_generator") is not None:
        return
    message = ("datamodel-code-generator is not installed: "
               "python -m pip install -e \".[codegen]\"")
    if os.environ.get("CI"):
        pytest.fail(message + " (CI must install the codegen extra)")
    pytest.skip(message)


@pytest.mark.usefixtures("generator")
def test_check_passes_for_all_versions() -> None:
    result = subprocess.run([sys.executable, "-m", "codegen", "--check"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    names = [p.name for p in generate.version_folders()]
    assert names[:3] == ["v1.3", "v1.4", "v1.5"]  # oldest first; a user may add more


@pytest.mark.usefixtures("generator")
def test_check_compares_every_version(tmp_path: Path) -> None:
    fresh = tmp_path / "_generated"
    fresh.mkdir()
    assert generate.generate_all(fresh)[:3] == ["1.3", "1.4", "1.5"]
    assert generate._differences(generate.OUTPUT_DIR, fresh) == []
    for package in ("v1_3", "v1_5"):
        target = fresh / package / "request.py"
        target.write_text(target.read_text("utf-8") + "# drift\n", "utf-8")
    stale = generate._differences(generate.OUTPUT_DIR, fresh)
    assert stale == ["stale: dmsproto/_generated/v1_3/request.py",
                     "stale: dmsproto/_generated/v1_5/request.py"]


def test_v14_folder_resolves_to_itself() -> None:
    """No foreign refs: the resolver hands datamodel-codegen the very same schemas, so the
    v1.4 output (and its input hash) cannot move."""
    folder = SCHEMA / "v1.4"
    assert resolve_version(folder) == read_folder(folder)
    assert foreign_files(folder) == []


def test_input_hash_covers_the_shared_v14_files() -> None:
    header = (ROOT / "dmsproto" / "_generated" / "v1_5" / "common.py").read_text("utf-8")
    assert [p.relative_to(SCHEMA).as_posix() for p in foreign_files(SCHEMA / "v1.5")] == [
        "v1.4/common.json", "v1.4/event.json", "v1.4/request.json", "v1.4/response.json"]
    assert f"schema set sha256 {generate._digest(SCHEMA / 'v1.5')}" in header


def _write(folder: Path, name: str, doc: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(doc), "utf-8")


def test_aliases_whole_files_and_colliding_names(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    old, new = tmp_path / "v1.0", tmp_path / "v2.0"
    _write(old, "common.json", {"$defs": {
        "Limit": {"type": "integer", "maximum": 10},
        "Item": {"type": "object", "properties": {"n": {"$ref": "#/$defs/Limit"}}},
        "Name": {"type": "string"},
    }})
    _write(old, "event.json", {"title": "EventFrame", "type": "object",
                               "properties": {"x": {"$ref": "common.json#/$defs/Name"}},
                               "$defs": {"Extra": {"type": "null"}}})
    _write(new, "common.json", {"$defs": {
        "Limit": {"type": "integer", "maximum": 20},          # changed
        "Name": {"$ref": "../v1.0/common.json#/$defs/Name"},  # alias
    }})
    _write(new, "request.json", {"title": "RequestFrame", "type": "object", "properties": {
        "item": {"$ref": "../v1.0/common.json#/$defs/Item"},   # not redefined: old Limit
        "limit": {"$ref": "common.json#/$defs/Limit"},
    }})
    _write(new, "event.json", {"$id": "x:event", "$ref": "../v1.0/event.json"})
    files = resolve_version(new)
    assert "LimitV10" in capsys.readouterr().err  # the collision is reported
    assert files["common.json"]["$defs"] == {
        "Limit": {"type": "integer", "maximum": 20},
        "Name": {"type": "string"},
        "Item": {"type": "object", "properties": {"n": {"$ref": "#/$defs/LimitV10"}}},
        "LimitV10": {"type": "integer", "maximum": 10},
    }
    assert files["request.json"]["properties"]["item"] == {"$ref": "common.json#/$defs/Item"}
    assert files["event.json"] == {
        "$id": "x:event", "title": "EventFrame", "type": "object",
        "properties": {"x": {"$ref": "common.json#/$defs/Name"}},
        "$defs": {"Extra": {"type": "null"}},
    }
    # the bundle still validates the old limit where the old Item is used
    from jsonschema import Draft202012Validator
    schema = bundle(files, "request.json")
    assert Draft202012Validator(schema).is_valid({"item": {"n": 10}, "limit": 20})
    assert not Draft202012Validator(schema).is_valid({"item": {"n": 20}})


def test_alias_chains_resolve_to_the_first_real_definition(tmp_path: Path) -> None:
    """A v3 copied from a v2 that shares with v1: aliases of aliases, files of files."""
    _write(tmp_path / "v1.0", "common.json", {"$defs": {"N": {"type": "string"}}})
    n_ref = {"n": {"$ref": "common.json#/$defs/N"}}
    _write(tmp_path / "v1.0", "event.json", {"title": "EventFrame", "type": "object",
                                              "properties": n_ref})
    for old, new in (("v1.0", "v2.0"), ("v2.0", "v3.0")):
        _write(tmp_path / new, "common.json", {"$defs": {
            "N": {"$ref": f"../{old}/common.json#/$defs/N"}}})
        _write(tmp_path / new, "event.json", {"$ref": f"../{old}/event.json"})
    files = resolve_version(tmp_path / "v3.0")
    assert files["common.json"] == {"$defs": {"N": {"type": "string"}}}
    assert files["event.json"] == {"title": "EventFrame", "type": "object",
                                   "properties": {"n": {"$ref": "common.json#/$defs/N"}}}
    assert [p.parent.name for p in foreign_files(tmp_path / "v3.0")] == [
        "v1.0", "v1.0", "v2.0", "v2.0"]


def test_unsupported_references_fail_clearly(tmp_path: Path) -> None:
    _write(tmp_path / "v1.0", "common.json", {"$defs": {
        "A": {"$ref": "../v0.9/common.json#/$defs/A"}}})
    with pytest.raises(ResolveError, match="missing schema file"):
        resolve_version(tmp_path / "v1.0")
    _write(tmp_path / "v2.0", "common.json", {"$defs": {
        "A": {"$ref": "#/properties/x"}}})
    with pytest.raises(ResolveError, match="unsupported"):
        resolve_version(tmp_path / "v2.0")


def test_decode_overloads_follow_the_default_version() -> None:
    """The overloads that omit ``protocol`` give DEFAULT_VERSION's frames: codegen reads
    the constant, so moving the default and regenerating moves the types with it."""
    assert entry_points.default_version(ROOT) == DEFAULT_VERSION
    overloads = typing.get_overloads(dmsproto.decode)
    assert len(overloads) == 3 * len(VERSIONS) + 1
    protocols = [inspect.signature(f).parameters["protocol"] for f in overloads]
    defaulted = {p.annotation for p in protocols if p.default is not inspect.Parameter.empty}
    assert defaulted == {f"Literal[{DEFAULT_VERSION!r}]", "Version"}


def test_default_version_must_be_a_schema_version(tmp_path: Path) -> None:
    (tmp_path / "dmsproto").mkdir()
    (tmp_path / "dmsproto" / "versions.py").write_text('DEFAULT_VERSION: Version = "2.0"\n')
    assert entry_points.default_version(tmp_path) == "2.0"
    with pytest.raises(SystemExit, match=r"'2\.0' is not a schema version"):
        entry_points.decoding_module(["1.3", "1.4"], "2.0")
    (tmp_path / "dmsproto" / "versions.py").write_text("DEFAULT_VERSION = pick()\n")
    with pytest.raises(SystemExit, match="no `DEFAULT_VERSION"):
        entry_points.default_version(tmp_path)


def test_entry_points_are_generated_per_version() -> None:
    generated = ROOT / "dmsproto" / "_generated"
    for version in generate.version_folders():
        package = generate.package_name(version)
        text = (generated / package / "frames.py").read_text("utf-8")
        assert text.startswith("# GENERATED by `python -m codegen`")
        assert f"VERSION: Final = {version.name[1:]!r}" in text
    index = (generated / "frames.py").read_text("utf-8")
    assert "from .v1_5 import frames as v1_5" in index
