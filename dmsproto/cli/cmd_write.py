"""``set``, ``rename`` and ``delete``: the write commands.

``set`` reads the datapoint first (unless ``--type`` is given) so that ``VALUE``
is sent with the datapoint's own type: on the command line everything is text,
and the DMS refuses ``"22"`` for a double or ``123`` for a string. Array elements
(``PATH[n]SUFFIX``) take their type from the suffix instead.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal, cast

from ..client import Client
from ..errors import DMSError, NotFound
from ..results import Value
from . import exits
from .output import Output, human_stamp, with_unit
from .runner import run_client
from .timeparse import HELP as TIME_HELP
from .timeparse import parse_optional

SET_TYPES = ("int", "double", "string", "bool")
_TRUE = {"true", "1", "on", "yes"}
_FALSE = {"false", "0", "off", "no"}
_INDEX = re.compile(r"\[[0-9]+\]([A-Z]*)$")
_INDEX_TYPES = {"BIT": "bool", "FLT": "double", "STR": "string"}  # others: integers


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the write subcommands (``set``, ``rename``, ``delete``) to the command line."""
    p = sub.add_parser("set", parents=parents, help="write a datapoint",
                       description="Write VALUE to PATH (converted to the datapoint's type).")
    p.add_argument("path", metavar="PATH")
    p.add_argument("value", metavar="VALUE", help="the value; 'null' with --create makes a node")
    p.add_argument("--type", choices=SET_TYPES, help="send this type (checked by the DMS)")
    p.add_argument("--create", action="store_true", help="create the datapoint if missing")
    p.add_argument("--stamp", metavar="TS", help=f"timestamp of the value ({TIME_HELP})")
    p.set_defaults(handler=lambda a, o: run_client(run_set, a, o))

    r = sub.add_parser("rename", parents=parents, help="rename (move) a datapoint",
                       description="Rename OLD to NEW, children included.")
    r.add_argument("old", metavar="OLD")
    r.add_argument("new", metavar="NEW")
    r.set_defaults(handler=lambda a, o: run_client(run_rename, a, o))

    d = sub.add_parser("delete", parents=parents, help="delete a datapoint",
                       description="Delete PATH; one with children needs --recursive.")
    d.add_argument("path", metavar="PATH")
    d.add_argument("--recursive", action="store_true", help="also delete its children")
    d.set_defaults(handler=lambda a, o: run_client(run_delete, a, o))


def convert(text: str, type_: str) -> Value:
    """``text`` as a value of the DMS type ``type_``; a usage error when it is not one."""
    try:
        if type_ == "int":
            return int(text)
        if type_ == "double":
            return float(text)
    except ValueError:
        raise exits.usage(f"{text!r} is not a valid {type_}") from None
    if type_ == "bool":
        word = text.strip().lower()
        if word in _TRUE | _FALSE:
            return word in _TRUE
        raise exits.usage(f"{text!r} is not a bool (use true/false, 1/0, on/off)")
    return text


def guess(text: str) -> Value:
    """A value for a datapoint of unknown type: null, bool, int, float, else string."""
    word = text.strip().lower()
    if word == "null":
        return None
    if word in ("true", "false"):
        return word == "true"
    for kind in (int, float):
        try:
            number = kind(text)
        except ValueError:
            continue
        # 'nan' and 'inf' are no number the DMS can store (JSON has none): text
        return number if math.isfinite(number) else text
    return text


async def run_set(args: argparse.Namespace, client: Client, out: Output) -> int:
    """``dmsproto set``: write a value."""
    stamp = parse_optional(args.stamp)
    unit = None
    index = _INDEX.search(args.path)
    if args.type is not None:
        value: Value = convert(args.value, args.type)
    elif index is not None:
        # an array element: its type is in the suffix, and it may lie past the end
        # (a write grows the array, a read fails), so do not read it first
        value = convert(args.value, _INDEX_TYPES.get(index.group(1), "int"))
    else:
        try:
            current = await client.get(args.path, ext_infos=["unit"])
        except NotFound as exc:
            if not args.create:
                raise _missing(exc) from None
            value = guess(args.value)
        else:
            unit = current.ext_infos.unit if current.ext_infos else None
            known = current.type if current.type in SET_TYPES else None
            value = convert(args.value, known) if known else guess(args.value)
    kind = cast(Literal["int", "double", "string", "bool"] | None, args.type)
    try:
        with _write_interrupted(f"the set of {args.path!r}"):
            result = await client.set(args.path, value, type=kind, create=args.create,
                                      stamp=stamp)
    except DMSError as exc:
        if args.create or index is not None or await _exists(client, args.path):
            raise
        raise _missing(exc) from None
    if out.json_mode:
        out.json({"code": "ok", "path": result.path, "value": result.value,
                  "type": result.type, "stamp": result.stamp_text})
    else:
        shown = with_unit(result.value, result.type, unit)
        out.line(f"{result.path} = {out.style(shown, 'bold')}  "
                 f"{out.style(f'({result.type}, {human_stamp(result.stamp_text)})', 'dim')}")
    return exits.OK


@contextmanager
def _write_interrupted(what: str) -> Iterator[None]:
    """Ctrl-C during a write says that the DMS may have done it all the same.

    Once the request is out, cancelling the wait does not take it back: as with a
    connection lost under a write (``OutcomeUnknown``), the person must read back.
    """
    try:
        yield
    except KeyboardInterrupt:
        raise exits.CliError(f"interrupted: {what} may or may not have been done; read it "
                             "back before writing again", exits.INTERRUPTED) from None


def _missing(exc: DMSError) -> exits.CliError:
    """A missing datapoint, with the way to make it."""
    return exits.CliError(f"{exc} (add --create to create it)", exits.NOT_FOUND)


async def run_rename(args: argparse.Namespace, client: Client, out: Output) -> int:
    """``dmsproto rename``: rename a datapoint."""
    with _write_interrupted(f"the rename of {args.old!r}"):
        result = await client.rename(args.old, args.new)
    if out.json_mode:
        out.json({"code": "ok", "path": result.path, "newPath": result.new_path})
    else:
        out.line(f"renamed {result.path} -> {out.style(result.new_path, 'bold')}")
    return exits.OK


async def run_delete(args: argparse.Namespace, client: Client, out: Output) -> int:
    """``dmsproto delete``: delete a datapoint."""
    try:
        with _write_interrupted(f"the delete of {args.path!r}"):
            result = await client.delete(args.path, recursive=args.recursive)
    except DMSError as exc:
        if args.recursive or isinstance(exc, NotFound) or not await _has_children(client,
                                                                                 args.path):
            raise
        raise exits.CliError(f"{exc} (it has children: add --recursive to delete them too)",
                             exits.exit_code(exc)) from None
    if out.json_mode:
        out.json({"code": "ok", "path": result.path})
    else:
        out.line(f"deleted {result.path}" + (" and its children" if args.recursive else ""))
    return exits.OK


async def _has_children(client: Client, path: str) -> bool:
    try:
        return (await client.get(path)).has_child
    except DMSError:
        return False


async def _exists(client: Client, path: str) -> bool:
    try:
        await client.get(path)
    except NotFound:
        return False
    except DMSError:
        return True  # there, but not readable
    return True
