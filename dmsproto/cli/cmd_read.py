"""``get`` and ``ls``: read datapoints and search the tree (a tree for people, or a table)."""

from __future__ import annotations

import argparse
from typing import Any

from ..client import Client
from ..filters import QueryFilter
from ..results import ItemError, Point
from . import exits
from .flags import add_flags, flag_values
from .output import (
    Output,
    error_json,
    format_value,
    human_stamp,
    name_of,
    point_json,
    unit_of,
    with_unit,
)
from .runner import run_client

LS_DEFAULTS = {"max_depth": 1}
"""``ls`` lists one level unless told otherwise (the DMS's own default, sent explicitly)."""


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the read subcommands (``get``, ``ls``, ...) and their flags to the command line."""
    get = sub.add_parser("get", parents=parents, help="read datapoints",
                         description="Read datapoints: value, unit, type and timestamp.")
    get.add_argument("paths", nargs="+", metavar="PATH")
    get.add_argument("-l", "--long", action="store_true",
                     help="also show name, access type and state")
    get.set_defaults(handler=lambda a, o: run_client(run_get, a, o))

    ls = sub.add_parser("ls", parents=parents, help="list or search the datapoint tree",
                        description="List the tree below PATH (a tree), or search it with "
                        "filters (a table). Regexes are PCRE, matched by the DMS.")
    ls.add_argument("path", nargs="?", default="", metavar="PATH", help="start (default: root)")
    add_flags(ls.add_argument_group("filters"), QueryFilter, defaults=LS_DEFAULTS)
    shape = ls.add_mutually_exclusive_group()
    shape.add_argument("--tree", action="store_const", const="tree", dest="shape",
                       help="draw a tree (default without filters)")
    shape.add_argument("--table", action="store_const", const="table", dest="shape",
                       help="print a table (default with filters)")
    ls.set_defaults(handler=lambda a, o: run_client(run_ls, a, o))


async def run_get(args: argparse.Namespace, client: Client, out: Output) -> int:
    infos = ["unit", "name", "accType", "state"] if args.long else ["unit"]
    results = await client.get_many(args.paths, ext_infos=infos)
    errors = [r for r in results if isinstance(r, ItemError)]
    if out.json_mode:
        out.json([error_json(r) if isinstance(r, ItemError) else point_json(r) for r in results])
    else:
        headers = ["PATH", "VALUE", "TYPE", "STAMP"]
        if args.long:
            headers += ["ACCESS", "STATE", "NAME"]
        rows: list[list[str]] = []
        row_styles: list[str | None] = []
        for r in results:
            if isinstance(r, ItemError):
                continue  # reported on stderr below, one line each
            row = [r.path, with_unit(r.value, r.type, unit_of(r)), r.type or "",
                   human_stamp(r.stamp_text)]
            if args.long:
                ext = r.ext_infos
                state = (ext.state if ext else None) or ""
                row += [(ext.acc_type if ext else None) or "", state, name_of(r) or ""]
            rows.append(row)
            row_styles.append("yellow" if args.long and row[5] == "error" else None)
        if rows:
            out.table(headers, rows, styles=[None, "bold", "dim", "dim"],
                      row_styles=row_styles)
    if errors:
        first = errors[0]
        for error in errors:
            out.note(f"dmsproto: {error.code} {error.path!r}: {error.message or ''}".rstrip())
        return exits.code_for_item(first.code)
    return exits.OK


async def run_ls(args: argparse.Namespace, client: Client, out: Output) -> int:
    filters = flag_values(args, QueryFilter)
    filtered = any(name != "max_depth" for name in filters)  # the depth shapes the tree
    points = await client.query(args.path, ext_infos=["unit", "name"], **filters)
    if not points and not filtered and args.path:
        # nothing below: a leaf lists itself (as ls does for a file)
        itself = await client.get(args.path, ext_infos=["unit", "name"])
        if not itself.has_child:
            return _leaf(out, itself)
    if out.json_mode:
        out.json([point_json(p) for p in points])
        return exits.OK
    shape = args.shape or ("table" if filtered else "tree")
    if shape == "table":
        out.table(["PATH", "VALUE", "TYPE", "NAME"],
                  ([p.path, with_unit(p.value, p.type, unit_of(p)), p.type or "",
                    name_of(p) or ""] for p in points),
                  styles=[None, "bold", "dim", "dim"])
    else:
        draw_tree(out, args.path, points)
    if not points:
        out.note("no datapoints matched")
    return exits.OK


def _leaf(out: Output, point: Point) -> int:
    if out.json_mode:
        out.json([point_json(point)])
        return exits.OK
    value = with_unit(point.value, point.type, unit_of(point))
    name = name_of(point)
    out.line(f"{point.path}  {out.style(value, 'bold')}  {out.style(f'({point.type})', 'dim')}"
             + (f"  {out.style(name, 'dim')}" if name else ""))
    return exits.OK


class _Node:
    __slots__ = ("children", "point")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.point: Point | None = None


def draw_tree(out: Output, base: str, points: list[Point]) -> None:
    """Points below ``base`` as an indented tree with aligned values."""
    root = _Node()
    prefix = f"{base}:" if base else ""
    for point in points:
        rel = point.path[len(prefix):] if point.path.startswith(prefix) else point.path
        node = root
        for part in rel.split(":"):
            node = node.children.setdefault(part, _Node())
        node.point = point
    lines: list[tuple[str, str, Point | None]] = []

    def walk(node: _Node, indent: str) -> None:
        names = sorted(node.children)
        for i, name in enumerate(names):
            last = i == len(names) - 1
            child = node.children[name]
            lines.append((f"{indent}{'└── ' if last else '├── '}", name, child.point))
            walk(child, indent + ("    " if last else "│   "))

    walk(root, "")
    out.line(out.style(base or "(root)", "bold", "blue"))
    width = max((len(a) + len(b) for a, b, _ in lines), default=0)
    for branch, name, item in lines:
        label = out.style(name, "blue") if item is None or item.type == "none" else name
        pad = " " * (width - len(branch) - len(name))
        if item is None or item.type == "none":
            extra = out.style(name_of(item) or "", "dim") if item is not None else ""
            out.line(f"{branch}{label}{pad}  {extra}".rstrip())
            continue
        value = with_unit(item.value, item.type, unit_of(item))
        kind = out.style(f"({item.type})", "dim")
        out.line(f"{branch}{label}{pad}  {out.style(value, 'bold')}  {kind}")


__all__ = ["draw_tree", "format_value", "register"]
