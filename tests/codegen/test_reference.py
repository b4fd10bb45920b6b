"""The protocol reference that codegen writes for the docs site: complete, linked to the
notes that concern each member, deterministic, and regenerated for a new version folder.

None of these needs the code generator: the reference is written from the schemas."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from codegen import generate
from codegen.bundle import load_version
from codegen.reference import render_notes, write_reference
from dmsproto import frames
from dmsproto.versions import DEFAULT_VERSION

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schema"
COMMITTED = generate.REFERENCE_DIR
LINK = re.compile(r"\]\(([^)#\s]*)#([^)\s]+)\)")
ROW = re.compile(r"^\| `(?P<member>[^`]+)` \| (?P<type>.*?) \| (?P<req>required|optional) "
                 r"\| (?P<desc>.*?) \| (?P<notes>.*?) \|$")


def _fresh(tmp_path: Path) -> Path:
    out = tmp_path / "reference"
    write_reference(generate.version_folders(), out, DEFAULT_VERSION)
    return out


def _sections(page: str) -> dict[str, list[dict[str, str]]]:
    """Definition heading -> its member rows."""
    out: dict[str, list[dict[str, str]]] = {}
    current = ""
    for line in page.splitlines():
        heading = re.match(r"^## (\S+) \{#", line)
        if heading:
            current = heading[1]
            out[current] = []
        elif (row := ROW.match(line)) and current:
            out[current].append(row.groupdict())
    return out


def test_committed_reference_is_what_the_schemas_give(tmp_path: Path) -> None:
    fresh = _fresh(tmp_path)
    assert generate._differences(COMMITTED, fresh) == []
    again = tmp_path / "again"
    write_reference(generate.version_folders(), again, DEFAULT_VERSION)
    assert generate._differences(fresh, again) == []  # deterministic


def test_check_reports_a_stale_reference_page(tmp_path: Path) -> None:
    fresh = _fresh(tmp_path)
    page = fresh / "v1.4" / "request.md"
    page.write_text(page.read_text("utf-8") + "drift\n", "utf-8")
    (fresh / "v1.4" / "extra.md").write_text("x\n", "utf-8")
    assert generate._differences(COMMITTED, fresh) == [
        "missing (would be generated): extra.md",
        "stale: docs/reference/protocol/v1.4/request.md",
    ]


@pytest.mark.parametrize("folder", generate.version_folders(), ids=lambda p: p.name)
def test_every_member_of_every_definition_is_listed(folder: Path) -> None:
    files = load_version(folder)
    for fname, schema in files.items():
        page = (COMMITTED / folder.name / (Path(fname).stem + ".md")).read_text("utf-8")
        sections = _sections(page)
        objects = dict(schema.get("$defs", {}))
        if "properties" in schema:
            objects[schema["title"]] = schema
        for name, sub in objects.items():
            assert name in sections, (folder.name, fname, name)
            rows = {row["member"]: row["req"] for row in sections[name]}
            required = set(sub.get("required", []))
            assert rows == {m: "required" if m in required else "optional"
                            for m in sub.get("properties", {})}, (folder.name, name)


def test_types_enumerations_and_notes_are_shown() -> None:
    v14 = _sections((COMMITTED / "v1.4" / "common.md").read_text("utf-8"))
    acc_type = next(r for r in v14["ExtInfos"] if r["member"] == "accType")
    assert "one of `int8`, `uint8`" in acc_type["type"]
    query = {r["member"]: r for r in v14["Query"]}
    assert query["isType"]["type"] == "[TypeList](#TypeList)"
    # a 1.4 choice about the query members, linked from the member it names
    assert "deviations.md#deviations-1-14" in query["hasChangelog"]["notes"]

    v15 = _sections((COMMITTED / "v1.5" / "common.md").read_text("utf-8"))
    show_past = next(r for r in v15["HistDataRequest"] if r["member"] == "showPast")
    assert show_past["type"] == "boolean"
    assert "[CHANGES 1.1](changes.md#changes-1-1)" in show_past["notes"]
    # v1.5 shares v1.4's definitions, so it inherits the v1.4 notes, linked across folders
    assert "(../v1.4/deviations.md#deviations-1-14)" in show_past["notes"]

    v13 = _sections((COMMITTED / "v1.3" / "common.md").read_text("utf-8"))
    assert "hasChangelog" not in {r["member"] for r in v13["Query"]}
    has_prot = next(r for r in v13["Query"] if r["member"] == "hasProtData")
    assert "changes.md#changes-1-3" in has_prot["notes"]

    v14_request = _sections((COMMITTED / "v1.4" / "request.md").read_text("utf-8"))
    frame = {r["member"]: r for r in v14_request["RequestFrame"]}
    assert frame["get"]["type"] == (
        "array of [GetEntry](#GetEntry) (named rules `empty-command`)")
    # a member the 'set' section is about, and only that section's entries of the command
    assert "deviations.md#deviations-1-7" in frame["user"]["notes"]
    get_item = {r["member"]: r for r in v14_request["GetItem"]}
    assert "deviations-3-" not in get_item["path"]["notes"]  # set's notes are not get's


def test_every_link_of_the_reference_has_its_target() -> None:
    pages = {p.relative_to(COMMITTED).as_posix(): p.read_text("utf-8")
             for p in COMMITTED.rglob("*.md")}
    checked = 0
    for name, text in pages.items():
        for target, anchor in LINK.findall(text):
            path = (Path(name).parent / target).as_posix() if target else name
            path = re.sub(r"[^/]+/\.\./", "", path)
            assert path in pages, (name, target)
            assert "{#" + anchor + "}" in pages[path], (name, target, anchor)
            checked += 1
    assert checked > 500


def test_python_names_are_the_generated_structs() -> None:
    names = 0
    for page in COMMITTED.rglob("*.md"):
        for dotted in re.findall(r"^Python: `dmsproto\.frames\.([\w.]+)`$", page.read_text("utf-8"),
                                 re.MULTILINE):
            obj: object = frames
            for part in dotted.split("."):
                obj = getattr(obj, part)
            assert isinstance(obj, type), dotted
            names += 1
    assert names > 60


def test_notes_entries_get_anchors_and_scopes(tmp_path: Path) -> None:
    notes = tmp_path / "v2.0" / "DEVIATIONS.md"
    notes.parent.mkdir()
    notes.write_text(
        "# v2.0\n\nIntro `ignored`.\n\n"
        "## 1. All commands\n\n1. About `tag` and `Path`;\n   goes on with `stamp.start/end`.\n"
        "2. About `value`.\n\n"
        "## 2. get and set (3.2)\n\n4. About `query`.\n\n"
        "## Unnumbered\n\n- first `A`\n- second `B`\n", "utf-8")
    page = render_notes(notes, frozenset({"get", "set", "event"}))
    assert page.name == "deviations.md"
    assert [(n.label, n.anchor) for n in page.notes] == [
        ("DEVIATIONS 1.1", "deviations-1-1"), ("DEVIATIONS 1.2", "deviations-1-2"),
        ("DEVIATIONS 2.4", "deviations-2-4"), ("DEVIATIONS 3.1", "deviations-3-1"),
        ("DEVIATIONS 3.2", "deviations-3-2")]
    assert page.notes[0].tokens == {"tag", "Path", "stamp", "start", "end"}
    assert page.notes[0].commands is None
    assert page.notes[2].commands == {"get", "set"}
    assert "- [2.4](#deviations-2-4){#deviations-2-4} About `query`." in page.text
    assert page.text.startswith("<!-- GENERATED")


def test_a_new_version_folder_gets_its_reference(tmp_path: Path) -> None:
    """The steps of "adding a protocol version": copy a folder, change it, regenerate."""
    schema = tmp_path / "schema"
    shutil.copytree(SCHEMA, schema)
    shutil.copytree(schema / "v1.5", schema / "v9.8")
    (schema / "v9.8" / "CHANGES.md").write_text(
        "# v9.8\n\n## What changed\n\n- **histData request**: new `showFuture`.\n", "utf-8")
    common = schema / "v9.8" / "common.json"
    common.write_text(common.read_text("utf-8").replace(
        '"showPast": {', '"showFuture": {"type": "boolean"},\n"showPast": {'), "utf-8")
    folders = sorted(p for p in schema.iterdir() if p.is_dir())
    out = tmp_path / "reference"
    write_reference(folders, out, DEFAULT_VERSION)
    assert "[9.8](v9.8/index.md)" in (out / "index.md").read_text("utf-8")
    sections = _sections((out / "v9.8" / "common.md").read_text("utf-8"))
    future = next(r for r in sections["HistDataRequest"] if r["member"] == "showFuture")
    assert "[CHANGES 1.1](changes.md#changes-1-1)" in future["notes"]
    assert "(../v1.4/deviations.md#" in (out / "v9.8" / "request.md").read_text("utf-8")
    # the shipped versions come out as committed
    for name in ("v1.3", "v1.4", "v1.5"):
        assert generate._differences(COMMITTED / name, out / name) == []
