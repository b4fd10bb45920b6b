"""Bundle one version's schema files into self-contained validator schemas.

The validators (jsonschema, jsonschema-rs) get one document per frame kind
with every ``$def`` of every file inlined under a unique name, so no
cross-file ``$ref`` resolution is needed at run time. References into other
version folders (``../v1.4/common.json#/$defs/Query``) are followed first by
:mod:`codegen.resolve`, which also gives colliding names a version suffix.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .resolve import resolve_version

#: frame kind -> the schema file whose root is that frame
FRAME_FILES = {"request": "request.json", "response": "response.json", "event": "event.json"}


def load_version(folder: Path) -> dict[str, dict[str, Any]]:
    """Every ``*.json`` schema of a version folder, keyed by file name.

    The definitions it shares with other folders are copied in (see
    :mod:`codegen.resolve`).
    """
    return resolve_version(folder)


def read_folder(folder: Path) -> dict[str, dict[str, Any]]:
    """The folder's schema files exactly as written (no references followed)."""
    return {p.name: json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))}


def _rewrite(node: Any, current: str, names: dict[tuple[str, str], str]) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                file, _, frag = value.partition("#")
                target = file or current
                if not frag.startswith("/$defs/"):
                    raise ValueError(f"{current}: unsupported $ref {value!r}")
                out[key] = "#/$defs/" + names[(target, frag[len("/$defs/"):])]
            else:
                out[key] = _rewrite(value, current, names)
        return out
    if isinstance(node, list):
        return [_rewrite(v, current, names) for v in node]
    return node


def bundle(files: dict[str, dict[str, Any]], root_file: str) -> dict[str, Any]:
    """Return ``root_file``'s schema with all definitions of all files inlined."""
    names: dict[tuple[str, str], str] = {}
    seen: dict[str, str] = {}
    for fname, schema in files.items():
        for name in schema.get("$defs", {}):
            if name in seen:
                raise ValueError(f"$defs name {name!r} in both {seen[name]} and {fname}")
            seen[name] = fname
            names[(fname, name)] = name
    defs: dict[str, Any] = {}
    for fname, schema in files.items():
        for name, sub in schema.get("$defs", {}).items():
            defs[name] = _rewrite(sub, fname, names)
    root = {k: v for k, v in files[root_file].items() if k not in ("$defs", "$id")}
    out: dict[str, Any] = _rewrite(root, root_file, names)
    out["$defs"] = defs
    return out
