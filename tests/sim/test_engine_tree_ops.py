"""rename and delete: results, subtree moves, errors; change logs follow renames."""

from __future__ import annotations

from typing import Any

from dmsproto.sim.testing import Harness

NO_ID = "Identification required: send 'whois' with set, rename and delete"


def run(h: Harness, command: str, *items: dict[str, Any], whois: str | None = "w") -> Any:
    message: dict[str, Any] = {command: list(items)}
    if whois is not None:
        message["whois"] = whois
    reply = h.request(h.session(), message)
    assert reply.response is not None
    return reply.response[command]


def test_rename_moves_the_subtree_and_creates_missing_parents() -> None:
    h = Harness()
    assert run(h, "rename", {"path": "A:Sub", "newPath": "C:Moved", "tag": 1}) == [
        {"code": "ok", "path": "A:Sub", "newPath": "C:Moved", "tag": 1}]
    reply = h.request(h.session(), {"get": ["C", "C:Moved:Deep:Leaf", "A:Sub"]})
    assert reply.response is not None
    items = reply.response["get"]
    assert items[0]["type"] == "none" and items[0]["hasChild"] is True
    assert items[1]["value"] == 1 and items[1]["path"] == "C:Moved:Deep:Leaf"
    assert items[2]["code"] == "not found"
    assert h.engine.tree.get("C:Moved:Deep") is not None


def test_rename_keeps_value_stamp_history_and_change_log() -> None:
    h = Harness()
    run(h, "rename", {"path": "A:Int", "newPath": "A:Int2"})
    reply = h.request(h.session(), {"get": [{"path": "A:Int2", "showExtInfos": ["unit"],
                                             "changelog": {"start": "2026-01-15T00:00:00Z"}}],
                                    "changelogRead": [{"group": "PROT",
                                                       "start": "2026-01-15T00:00:00Z"}]})
    assert reply.response is not None
    item = reply.response["get"][0]
    assert (item["value"], item["extInfos"], len(item["changelog"])) == (44, {"unit": "h"}, 2)
    assert {e["path"] for e in reply.response["changelogRead"][0]["changelog"]} == {"A:Int2"}


def test_rename_errors() -> None:
    h = Harness()
    assert run(h, "rename",
               {"path": "EXMPL1:T11:MN:003", "newPath": "EXMPL1:T11:MN:002"},
               {"path": "A:Int", "newPath": "B:X"},
               {"path": "A", "newPath": "A:Sub:Inner"},
               {"path": "", "newPath": "Z"},
               {"path": "A:RO", "newPath": "A:RO2"},
               ) == [
        {"code": "not found", "path": "EXMPL1:T11:MN:003", "newPath": "EXMPL1:T11:MN:002",
         "message": "Data point doesn't exist"},
        {"code": "error", "path": "A:Int", "newPath": "B:X",
         "message": "Destination path already exists"},
        {"code": "error", "path": "A", "newPath": "A:Sub:Inner",
         "message": "A path cannot be moved below itself"},
        {"code": "error", "path": "", "newPath": "Z", "message": "Invalid path"},
        {"code": "no perm", "path": "A:RO", "newPath": "A:RO2",
         "message": "No permission to write this data point"},
    ]
    assert run(h, "rename", {"path": "B:X", "newPath": "B:Y"}, whois=None) == [
        {"code": "error", "path": "B:X", "newPath": "B:Y", "message": NO_ID}]


def test_delete_leaf_nonempty_recursive_and_missing() -> None:
    h = Harness()
    assert run(h, "delete",
               {"path": "A:Sub"},
               {"path": "A:Sub", "recursive": True},
               {"path": "A:Sub:Deep:Leaf"},
               {"path": "B:X", "tag": "t"},
               ) == [
        {"code": "error", "path": "A:Sub", "message": "Path is not empty"},
        {"code": "ok", "path": "A:Sub"},
        {"code": "not found", "path": "A:Sub:Deep:Leaf", "message": "Data point doesn't exist"},
        {"code": "ok", "path": "B:X", "tag": "t"},
    ]
    assert "A:Sub:Deep" not in h.engine.tree and "B" in h.engine.tree


def test_delete_errors() -> None:
    h = Harness()
    assert run(h, "delete", {"path": ""}, {"path": "A:RO"},
               {"path": "A", "recursive": True}) == [
        {"code": "error", "path": "", "message": "Invalid path"},
        {"code": "no perm", "path": "A:RO", "message": "No permission to write this data point"},
        {"code": "no perm", "path": "A", "message": "No permission to write this data point"},
    ]
    assert run(h, "delete", {"path": "B:X"}, whois=None) == [
        {"code": "error", "path": "B:X", "message": NO_ID}]
    assert "A:Int" in h.engine.tree and "B:X" in h.engine.tree


def test_deleted_datapoint_entries_stay_in_the_group_log() -> None:
    h = Harness()
    run(h, "delete", {"path": "A:Int"})
    reply = h.request(h.session(), {"changelogRead": [{"group": "PROT",
                                                       "start": "2026-01-15T00:00:00Z"}]})
    assert reply.response is not None
    assert [e["text"] for e in reply.response["changelogRead"][0]["changelog"]] == [
        "Int set to 44", "Int set to 43"]
