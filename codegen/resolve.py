"""Pre-resolve one version folder into self-contained schema files.

A version folder may share definitions with another version through relative
cross-folder references (standard JSON Schema ``$ref``)::

    "Query": {"$ref": "../v1.4/common.json#/$defs/Query"}     # alias of one definition
    {"$schema": ..., "$id": ..., "$ref": "../v1.4/event.json"}  # a whole file, unchanged

datamodel-code-generator and the bundler want every reference to stay inside
one folder, so :func:`resolve_version` returns the folder's files rewritten:

- an *alias* (a definition that is exactly ``{"$ref": ...}`` to a definition of
  the same name elsewhere) takes the target's content under its own name;
- a *whole-file alias* (a file whose only schema keyword is ``$ref`` to another
  file) takes that file's root and all its definitions;
- any other foreign definition that is reachable is copied into the local file
  of the same base name (``../v1.4/response.json`` -> ``response.json``) under
  its own name, or, when a different definition already uses that name in this
  version, under ``<Name>V<digits of its folder>`` (``QueryV14``); a note is
  printed, because it usually means a definition that refers to a changed one
  was not itself redefined;
- every ``$ref`` becomes ``#/$defs/Name`` (same file) or ``file.json#/$defs/Name``.

A folder without foreign references comes out unchanged, so its generated code
does not move. Only ``#/$defs/<name>`` fragments and whole files are supported.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Key = tuple[Path, str]  # (absolute schema file, definition name); name "" = the file's root

#: keywords that do not make a file more than an alias of another file
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description"})


class ResolveError(ValueError):
    """A reference the resolver cannot follow."""


@dataclass
class _State:
    folder: Path
    docs: dict[Path, dict[str, Any]] = field(default_factory=dict)
    #: where a definition lives in the resolved version: key -> (local file, local name)
    placed: dict[Key, tuple[str, str]] = field(default_factory=dict)
    #: local file -> local name -> (source key whose content it holds)
    content: dict[str, dict[str, Key]] = field(default_factory=dict)
    queue: list[Key] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def doc(self, path: Path) -> dict[str, Any]:
        if path not in self.docs:
            if not path.is_file():
                raise ResolveError(f"$ref to missing schema file {path}")
            self.docs[path] = json.loads(path.read_text("utf-8"))
        return self.docs[path]

    def taken(self, name: str) -> bool:
        return any(name in names for names in self.content.values())


def _target(ref: str, current: Path) -> Key:
    file, _, frag = ref.partition("#")
    path = (current.parent / file).resolve() if file else current
    if frag in ("", "/"):
        return path, ""
    if not frag.startswith("/$defs/") or "/" in frag[len("/$defs/"):]:
        raise ResolveError(f"{current}: unsupported $ref {ref!r} (only #/$defs/<name>)")
    return path, frag[len("/$defs/"):]


def _schema_of(state: _State, key: Key) -> Any:
    path, name = key
    doc = state.doc(path)
    if name == "":
        return doc
    defs = doc.get("$defs", {})
    if name not in defs:
        raise ResolveError(f"$ref to missing definition {name!r} in {path}")
    return defs[name]


def _alias_of(schema: Any, current: Path, name: str) -> Key | None:
    """The same-named definition a pure alias points at, if ``schema`` is one."""
    if isinstance(schema, dict) and set(schema) == {"$ref"} and isinstance(schema["$ref"], str):
        target = _target(schema["$ref"], current)
        if target[1] == name and target[0] != current:
            return target
    return None


def _file_alias_of(state: _State, current: Path) -> Path | None:
    """The file a whole-file alias finally points at (following alias chains), if any."""
    seen = [current]
    while True:
        doc = state.doc(seen[-1])
        ref = doc.get("$ref")
        if set(doc) - _ANNOTATIONS != {"$ref"} or not isinstance(ref, str):
            break
        path, name = _target(ref, seen[-1])
        if name != "" or path in seen:
            break
        seen.append(path)
    return seen[-1] if len(seen) > 1 else None


def _chain(state: _State, key: Key) -> list[Key]:
    """``key`` and every same-named definition it aliases, last = the real content."""
    out = [key]
    while True:
        path, name = out[-1]
        nxt = _alias_of(_schema_of(state, out[-1]), path, name)
        if nxt is None or nxt in out:
            return out
        out.append(nxt)


def _place(state: _State, key: Key, file: str, name: str) -> None:
    """Put ``key``'s content (following aliases) at ``file``/``name``."""
    chain = _chain(state, key)
    for k in chain:
        state.placed[k] = (file, name)
    state.content.setdefault(file, {})[name] = chain[-1]
    state.queue.append(chain[-1])


def _suffix(path: Path) -> str:
    return "V" + re.sub(r"[^0-9]", "", path.parent.name)


def _visit(state: _State, node: Any, current: Path) -> None:
    """Place every foreign definition ``node`` refers to (breadth first via the queue)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                target = _target(value, current)
                if target in state.placed:
                    continue
                if target[1] == "":
                    raise ResolveError(f"{current}: $ref to a whole file only as a file alias")
                chain = _chain(state, target)
                done = next((state.placed[k] for k in chain if k in state.placed), None)
                if done is not None:
                    for k in chain:
                        state.placed[k] = done
                    continue
                file = target[0].name
                name = target[1]
                if state.taken(name):
                    base, n = name + _suffix(target[0]), 2
                    name = base
                    while state.taken(name):
                        name, n = f"{base}_{n}", n + 1
                    state.notes.append(
                        f"{state.folder.name}: {target[0].parent.name}/{target[0].name}"
                        f"#/$defs/{target[1]} is placed as {name!r} (its name is taken here)"
                    )
                _place(state, target, file, name)
            elif key != "$defs":
                _visit(state, value, current)
    elif isinstance(node, list):
        for value in node:
            _visit(state, value, current)


def _rewrite(state: _State, node: Any, current: Path, here: str) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                file, name = state.placed[_target(value, current)]
                out[key] = ("" if file == here else file) + "#/$defs/" + name
            elif key == "$defs":
                continue
            else:
                out[key] = _rewrite(state, value, current, here)
        return out
    if isinstance(node, list):
        return [_rewrite(state, v, current, here) for v in node]
    return node


def resolve_version(folder: Path, *, quiet: bool = False) -> dict[str, dict[str, Any]]:
    """Self-contained schemas of ``folder``, keyed by file name (see the module doc)."""
    state = _State(folder.resolve())
    own = sorted(p.resolve() for p in folder.glob("*.json"))
    roots: dict[str, Key] = {}
    for path in own:  # own definitions first: they own their names
        doc = state.doc(path)
        state.content.setdefault(path.name, {})
        source = _file_alias_of(state, path)
        if source is not None:
            roots[path.name] = (source, "")
            state.placed[(path, "")] = (path.name, "")
            for name in state.doc(source).get("$defs", {}):
                state.placed[(path, name)] = (path.name, name)
                _place(state, (source, name), path.name, name)
            continue
        roots[path.name] = (path, "")
        for name in doc.get("$defs", {}):
            _place(state, (path, name), path.name, name)
    for path in own:
        source = roots[path.name][0]
        _visit(state, {k: v for k, v in state.doc(source).items() if k != "$defs"}, source)
    while state.queue:
        key = state.queue.pop(0)
        _visit(state, _schema_of(state, key), key[0])
    out: dict[str, dict[str, Any]] = {}
    for path in own:
        doc = state.doc(path)
        source = roots[path.name][0]
        src = state.doc(source)
        root = _rewrite(state, src, source, path.name)
        if source != path:  # whole-file alias: the source's root, with our annotations
            root = {k: doc.get(k, root.get(k)) for k in [*src, *doc] if k != "$ref"}
            root = {k: v for k, v in root.items() if k != "$defs"}
        order = [*(doc if source == path else src)]
        names = state.content.get(path.name, {})
        if names:
            root["$defs"] = _defs(state, names, path.name)
            if "$defs" not in order:
                order.append("$defs")
        out[path.name] = {k: root[k] for k in dict.fromkeys([*order, *root]) if k in root}
    for file, names in state.content.items():
        if file not in out and names:
            out[file] = {"$defs": _defs(state, names, file)}
    if state.notes and not quiet:
        for note in state.notes:
            print("codegen note: " + note, file=sys.stderr)
    return out


def _defs(state: _State, names: dict[str, Key], file: str) -> dict[str, Any]:
    return {name: _rewrite(state, _schema_of(state, key), key[0], file)
            for name, key in names.items()}


def foreign_files(folder: Path) -> list[Path]:
    """Schema files outside ``folder`` that its references reach (for the input hash)."""
    state = _State(folder.resolve())
    todo = sorted(p.resolve() for p in folder.glob("*.json"))
    seen: set[Path] = set(todo)
    while todo:
        path = todo.pop(0)
        for ref in _refs(state.doc(path)):
            target = _target(ref, path)[0]
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return sorted(p for p in seen if p.parent != state.folder)


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        out = [v for k, v in node.items() if k == "$ref" and isinstance(v, str)]
        for k, v in node.items():
            if k != "$ref":
                out += _refs(v)
        return out
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []
