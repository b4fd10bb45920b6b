"""Plant files: the datapoints a simulated DMS starts with, and building its tree.

A plant is a JSON object (``demo_plant.json`` is an example)::

    {
      "format": "dmsproto-plant/1",
      "zone": "Europe/Zurich",            # zone of the server's timestamps
      "anchor": null,                     # history/stamps end here; null = engine clock now
      "changelogGroups": ["ABS1", ...],   # groups answered by changelogGetGroups
      "templates": {"HeatingCircuit": {"TempFlow": {POINT}, "Pump:Cmd": {POINT}, ...}},
      "points": {
        "Plant:HC1": {"use": "HeatingCircuit", "name": "...", "seed": 10,
                      "override": {"TempFlowSet": {"value": 55.0}}},
        "Plant:AHU1:TempSupply": {POINT}, ...
      },
      "changelog": [{"path": "...", "ago": 3600, "text": "...", "state": "occurred"}, ...]
    }

POINT members, all optional: ``type`` (int|double|string|bool|none; default from
the JSON type of ``value``), ``value``, ``name``, ``template``, ``unit``,
``comment``, ``changelogGroup``, ``accType`` (one that holds the ``type``: the
writes obey it), ``state`` (ok|error), ``perm``
(rw|ro|none), ``logTexts`` ({value text: log text} used when a write changes a
logged datapoint), ``alarm`` (true or {priority, priorityBACnet, alarmGroup,
alarmCollectGroup, siteGroup, screen}) and ``history`` ({days, every, base,
amplitude, period, phase, noise, seed, state}: ``days`` of records every
``every`` seconds, value = base + amplitude*sin(2*pi*(t+phase)/period) + gauss
noise from ``random.Random(seed)``; ints round, bools are ``value > base``; optional
``changes``: [{mod, ago, value, modifiedAgo}] rewrite the past (protocol v1.5
``histDataPast``): ``mod`` ``modified`` replaces the value of the record at or
just before ``ago`` seconds before the anchor (the original is kept), ``past``
inserts a record stamped ``ago`` seconds before the anchor; either happened
``modifiedAgo`` seconds before the anchor (default 0)).
Parents that are not listed become ``none`` nodes. ``use`` instantiates a
template below the entry's path: the instance node gets ``template`` = the
template's name, every member's history seed is offset by the entry's ``seed``,
and ``override`` merges members per template member. Change-log entries are
stamped ``ago`` seconds before the anchor (or ``at`` an absolute stamp); their
group is the datapoint's ``changelogGroup`` unless ``group`` is given.

Nothing depends on the wall clock: given the plant and the anchor (the engine
clock's now when ``anchor`` is null) the tree is always the same.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from importlib import resources
from pathlib import Path
from typing import Any, cast

from ..errors import NotJSON
from ..jsontext import parse_json
from ..timestamps import parse_stamp
from .access import fits
from .changelog import ChangelogStore, LogEntry
from .history import History
from .tree import VALUE_TYPES, AlarmInfo, ExtInfo, Node, Tree, ValueType

PLANT_FORMAT = "dmsproto-plant/1"


class PlantError(ValueError):
    """The plant file is not usable."""


@dataclass(frozen=True)
class Plant:
    """A parsed plant: points flattened (templates expanded), in file order.

    Args:
        zone: the DMS's time zone (its timestamps carry this zone's offsets).
        anchor: the instant the plant's history and changelog are laid out from
            (``None``: now).
        groups: the changelog groups.
        points: each datapoint's path with its specification, in file order.
        changelog: the changelog entries the plant starts with.
    """

    zone: str
    anchor: datetime | None
    groups: tuple[str, ...]
    points: tuple[tuple[str, dict[str, Any]], ...]
    changelog: tuple[dict[str, Any], ...]


def demo_plant_path() -> Path:
    """Location of the bundled demo plant.

    Returns:
        The path of ``demo_plant.json`` inside the installed package.
    """
    return Path(str(resources.files(__package__).joinpath("demo_plant.json")))


def load_plant(source: str | Path | dict[str, Any] | None = None) -> Plant:
    """Read a plant from a file path or an already parsed object.

    Args:
        source: a plant file's path, its JSON already parsed, or ``None`` for the
            demo plant.

    Returns:
        The plant, templates expanded.

    Raises:
        PlantError: not a plant (not JSON, or not the ``dmsproto-plant/1`` format);
            a ``ValueError``.
        OSError: the file cannot be read.
    """
    if source is None:
        source = demo_plant_path()
    raw: Any = source
    if isinstance(source, str | Path):
        try:
            raw = parse_json(Path(source).read_bytes())
        except NotJSON as exc:
            raise PlantError(f"{source} is not a plant file: {exc.reason}") from None
    if not isinstance(raw, dict) or raw.get("format", PLANT_FORMAT) != PLANT_FORMAT:
        raise PlantError(f"not a {PLANT_FORMAT} plant")
    anchor = raw.get("anchor")
    templates: dict[str, dict[str, Any]] = raw.get("templates", {})
    points: list[tuple[str, dict[str, Any]]] = []
    for path, spec in raw.get("points", {}).items():
        if "use" in spec:
            points.extend(_instantiate(path, spec, templates))
        else:
            points.append((path, spec))
    return Plant(
        zone=str(raw.get("zone", "Europe/Zurich")),
        anchor=parse_stamp(anchor) if isinstance(anchor, str) else None,
        groups=tuple(raw.get("changelogGroups", [])),
        points=tuple(points),
        changelog=tuple(raw.get("changelog", [])),
    )


def _instantiate(
    path: str, spec: dict[str, Any], templates: dict[str, dict[str, Any]]
) -> list[tuple[str, dict[str, Any]]]:
    name = spec["use"]
    if name not in templates:
        raise PlantError(f"{path}: unknown template {name!r}")
    own = {k: v for k, v in spec.items() if k not in ("use", "seed", "override")}
    own.setdefault("template", name)
    out: list[tuple[str, dict[str, Any]]] = [(path, own)]
    seed = int(spec.get("seed", 0))
    overrides: dict[str, dict[str, Any]] = spec.get("override", {})
    for member, mspec in templates[name].items():
        merged = {**mspec, **overrides.get(member, {})}
        if "history" in merged:
            hist = dict(merged["history"])
            hist["seed"] = int(hist.get("seed", 0)) + seed
            merged["history"] = hist
        out.append((f"{path}:{member}", merged))
    return out


def build(plant: Plant, anchor: datetime, zone: tzinfo) -> tuple[Tree, ChangelogStore]:
    """Create the tree and change logs of ``plant`` with history ending at ``anchor``."""
    tree = Tree()
    logs = ChangelogStore(list(plant.groups))
    when = (plant.anchor or anchor).astimezone(zone)
    for path, spec in plant.points:
        node, _ = tree.ensure(path)
        _fill(node, spec, when, zone)
    for entry in plant.changelog:
        logged = tree.get(entry["path"])
        if logged is None:
            raise PlantError(f"changelog entry for unknown datapoint {entry['path']!r}")
        group = entry.get("group", logged.ext.changelog_group)
        if group is None:
            raise PlantError(f"{logged.path}: changelog entry without a group")
        stamp = (
            parse_stamp(entry["at"]).astimezone(zone)
            if "at" in entry
            else when - timedelta(seconds=float(entry.get("ago", 0)))
        )
        state = entry.get("state")
        alarm = logged.alarm if state is not None else None
        logs.add(group, LogEntry(logged.path, stamp, str(entry["text"]), state, alarm))
    return tree, logs


def _fill(node: Node, spec: dict[str, Any], when: datetime, zone: tzinfo) -> None:
    value = spec.get("value")
    vtype = spec.get("type") or _infer(value)
    if vtype not in VALUE_TYPES:
        raise PlantError(f"{node.path}: bad type {vtype!r}")
    node.type = cast(ValueType, vtype)
    node.value = _coerce(node.type, value)
    acc = spec.get("accType")
    if acc is not None and not fits(acc, node.type):
        raise PlantError(f"{node.path}: accType {acc!r} cannot hold a {node.type}")
    node.ext = ExtInfo(
        name=spec.get("name"),
        template=spec.get("template"),
        unit=spec.get("unit"),
        comment=spec.get("comment"),
        changelog_group=spec.get("changelogGroup"),
        acc_type=acc,
        state=spec.get("state", "ok"),
        perm=spec.get("perm", "rw"),
        log_texts=dict(spec.get("logTexts", {})),
    )
    alarm = spec.get("alarm")
    if alarm:
        a = alarm if isinstance(alarm, dict) else {}
        node.alarm = AlarmInfo(
            priority=int(a.get("priority", 1)),
            priority_bacnet=int(a.get("priorityBACnet", 0)),
            alarm_group=int(a.get("alarmGroup", 0)),
            alarm_collect_group=int(a.get("alarmCollectGroup", 0)),
            site_group=int(a.get("siteGroup", 0)),
            screen=a.get("screen"),
        )
    node.stamp = None if node.type == "none" else when
    if "history" in spec and node.type in ("int", "double", "bool"):
        node.history = _history(spec["history"], node.type, when)
        if node.history.times:
            node.value = _coerce(node.type, node.history.values[-1])
            node.stamp = datetime.fromtimestamp(node.history.times[-1], zone)


def _infer(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    return "string"


def _coerce(vtype: str, value: Any) -> Any:
    if vtype == "none":
        return None
    if value is None:
        return {"int": 0, "double": 0.0, "bool": False}.get(vtype, "")
    if vtype == "double":
        return float(value)
    if vtype == "int":
        return int(value)
    if vtype == "bool":
        return bool(value)
    return str(value)


def _history(spec: dict[str, Any], vtype: str, when: datetime) -> History:
    every = float(spec.get("every", 900))
    count = int(float(spec.get("days", 7)) * 86400 / every)
    base = float(spec.get("base", 0.0))
    amplitude = float(spec.get("amplitude", 0.0))
    period = float(spec.get("period", 86400))
    phase = float(spec.get("phase", 0.0))
    noise = float(spec.get("noise", 0.0))
    state = str(spec.get("state", "ok"))
    rng = random.Random(int(spec.get("seed", 0)))
    end = math.floor(when.timestamp() / every) * every
    hist = History()
    for i in range(count):
        t = end - (count - 1 - i) * every
        v = base + amplitude * math.sin(2 * math.pi * (t + phase) / period)
        if noise:
            v += rng.gauss(0.0, noise)
        if vtype == "bool":
            v = 1.0 if v > base else 0.0
        elif vtype == "int":
            v = float(round(v))
        else:
            v = round(v, 3)
        hist.times.append(t)
        hist.values.append(v)
        hist.states.append(state)
        hist.recs.append("cycle")
    for change in spec.get("changes", []):
        _change(hist, change, vtype, when.timestamp(), every)
    return hist


def _change(hist: History, spec: dict[str, Any], vtype: str, when: float, every: float) -> None:
    value = float(_coerce(vtype, spec.get("value")))
    t = when - float(spec.get("ago", 0))
    at = when - float(spec.get("modifiedAgo", 0))
    if at < t:
        raise PlantError(f"history change at {t} cannot be made before it, at {at}")
    if spec.get("mod") == "modified":
        t = math.floor(t / every) * every
        try:
            hist.modify(t, value, at)
        except KeyError:
            raise PlantError(f"history change: no record {spec.get('ago')} s ago") from None
    elif spec.get("mod") == "past":
        hist.insert_past(t, value, at)
    else:
        mod = spec.get("mod")
        raise PlantError(f"history change: mod must be 'modified' or 'past', not {mod!r}")
