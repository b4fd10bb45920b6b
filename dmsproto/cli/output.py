"""Output for people (aligned tables, units, colour on a terminal) and for scripts (JSON).

Colour only when the stream is a terminal, ``NO_COLOR`` is unset and ``--no-color``
was not given (https://no-color.org), so pipes and files get plain text. ``--json``
prints one JSON document per command (JSON Lines for ``watch``) with the protocol's
member names, so scripts read the same words as the DMS documentation.
"""

from __future__ import annotations

import codecs
import json
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TextIO

from ..results import ItemError, Point
from ..timestamps import parse_stamp

_STYLES = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "cyan": "36",
}
_SPARKS = "▁▂▃▄▅▆▇█"


def want_color(stream: TextIO, disabled: bool = False) -> bool:
    """Whether to colour ``stream``: a terminal, no ``NO_COLOR``, not ``--no-color``."""
    if disabled or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def encodes_everything(stream: TextIO) -> bool:
    """Whether ``stream``'s encoding can write any text (a UTF encoding)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        return codecs.lookup(encoding).name.startswith("utf")
    except LookupError:
        return False


class Output:
    """Where a command writes: stdout for results, stderr for notes and errors."""

    def __init__(self, *, json_mode: bool = False, color: bool | None = None,
                 stream: TextIO | None = None, err: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.err = err if err is not None else sys.stderr
        self.json_mode = json_mode
        # JSON stays valid and lossless on a stream that cannot write every character
        self.ascii_json = not encodes_everything(self.stream)
        self.color = want_color(self.stream) if color is None else color
        self.err_color = want_color(self.err) if color is None else color

    def style(self, text: str, *names: str | None, err: bool = False) -> str:
        """``text`` in the named styles when colouring, unchanged otherwise."""
        codes = [_STYLES[n] for n in names if n]
        if not codes or not (self.err_color if err else self.color):
            return text
        return f"\x1b[{';'.join(codes)}m{text}\x1b[0m"

    def line(self, text: str = "") -> None:
        """Print one line to the output stream."""
        print(text, file=self.stream, flush=True)

    def note(self, text: str) -> None:
        """A remark for the person (stderr), never mixed into results."""
        print(text, file=self.err, flush=True)

    def json(self, document: Any) -> None:
        """One JSON document (indented: people read it too)."""
        print(json.dumps(document, ensure_ascii=self.ascii_json, indent=2),
              file=self.stream, flush=True)

    def json_line(self, document: Any) -> None:
        """One JSON Lines record."""
        print(json.dumps(document, ensure_ascii=self.ascii_json, separators=(",", ":")),
              file=self.stream, flush=True)

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[str]], *,
              align: str = "", styles: Sequence[str | None] = (),
              row_styles: Sequence[str | None] = ()) -> None:
        """Columns padded to their widest cell; ``align`` per column: ``l`` or ``r``."""
        body = [list(r) for r in rows]
        widths = [len(h) for h in headers]
        for row in body:
            for i, cell in enumerate(row):
                widths[i] = max(widths[i], len(cell))
        last = len(headers) - 1
        head = "  ".join(h.ljust(widths[i]) if i < last else h for i, h in enumerate(headers))
        self.line(self.style(head, "bold"))
        for index, row in enumerate(body):
            cells = []
            for i, cell in enumerate(row):
                right = i < len(align) and align[i] == "r"
                padded = cell.rjust(widths[i]) if right else (
                    cell.ljust(widths[i]) if i < last else cell)
                style = styles[i] if i < len(styles) else None
                if index < len(row_styles) and row_styles[index]:
                    style = row_styles[index]
                cells.append(self.style(padded, style))
            self.line("  ".join(cells).rstrip())


def format_value(value: Any, type_: str | None = None) -> str:
    """A datapoint value for people: ``true``/``false``, numbers as sent, nodes empty."""
    if type_ == "none" and value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        return repr(value) if abs(value) < 1e15 else f"{value:g}"
    return str(value)


def with_unit(value: Any, type_: str | None, unit: str | None) -> str:
    """A value with its unit, as tables show it."""
    text = format_value(value, type_)
    return f"{text} {unit}" if unit and text and type_ in ("int", "double") else text


def human_stamp(stamp_text: str | None) -> str:
    """A server timestamp for people: ``2026-11-23 08:00:00+01:00`` (the server's zone)."""
    if not stamp_text:
        return "-"
    try:
        stamp = parse_stamp(stamp_text)
    except ValueError:
        return stamp_text
    return human_datetime(stamp)


def human_datetime(stamp: datetime) -> str:
    """A timestamp as tables show it: date and time to the second, with its offset."""
    return stamp.isoformat(sep=" ", timespec="seconds")


def sparkline(values: Sequence[float], width: int = 60) -> str:
    """A one-line chart of ``values`` (averaged into ``width`` buckets)."""
    if not values:
        return ""
    count = min(width, len(values))
    buckets = []
    for i in range(count):
        part = values[i * len(values) // count:(i + 1) * len(values) // count] or [values[-1]]
        buckets.append(sum(part) / len(part))
    low, high = min(buckets), max(buckets)
    span = high - low or 1.0
    return "".join(_SPARKS[min(7, int((b - low) / span * 8))] for b in buckets)


def point_json(point: Point) -> dict[str, Any]:
    """A datapoint with the protocol's member names."""
    doc: dict[str, Any] = {"code": "ok", "path": point.path, "value": point.value,
                           "type": point.type, "stamp": point.stamp_text}
    if point.has_child:
        doc["hasChild"] = True
    infos = point.ext_infos
    if infos is not None:
        ext = {"state": infos.state, "accType": infos.acc_type, "name": infos.name,
               "template": infos.template, "unit": infos.unit, "comment": infos.comment,
               "changelogGroup": infos.changelog_group}
        doc["extInfos"] = {k: v for k, v in ext.items() if v is not None}
    return doc


def error_json(error: ItemError) -> dict[str, Any]:
    """An item error as one JSON object."""
    return {"code": error.code, "path": error.path, "message": error.message}


def unit_of(point: Point) -> str | None:
    """The datapoint's unit, if its extra information holds one."""
    return point.ext_infos.unit if point.ext_infos is not None else None


def name_of(point: Point) -> str | None:
    """The datapoint's display name, if its extra information holds one."""
    return point.ext_infos.name if point.ext_infos is not None else None
