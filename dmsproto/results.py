"""Typed results of DMS calls: small immutable objects, cheap to build in bulk.

Every class is a frozen, slotted dataclass.  Timestamps are kept as the
server's text (``stamp_text``) and parsed into an aware ``datetime`` only when
``stamp`` is read (cached per text), so decoding a 10,000-item response or
610,000 history entries costs little more than parsing the JSON.

The hot classes (``Point``, ``Event``) are built by the decoder through a
mutable twin with the same slot layout whose instances are then switched to
the frozen class: the same immutable object, without the cost of a frozen
dataclass ``__init__`` per item.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, get_args, overload

from .errors import DMSError, NoPermission, NotFound
from .timestamps import parse_stamp
from .versions import get_version

if TYPE_CHECKING:
    from datetime import tzinfo

    import pandas as pd

    from .protocol.ops import Op

__all__ = [
    "ChangelogEntry",
    "ChangelogReadResult",
    "DeleteResult",
    "Event",
    "ExtInfos",
    "Gap",
    "History",
    "HistoryDetail",
    "HistoryDetailEntry",
    "HistoryEntry",
    "ItemError",
    "ItemResult",
    "Point",
    "RenameResult",
    "SetResult",
    "SubscribeResult",
    "OpValue",
    "Value",
    "error_for",
    "stamp_of",
]


Value: TypeAlias = int | float | str | bool | None
"""A datapoint value as the DMS sends it: JSON integers stay ``int``, fractions
``float``; ``None`` is a node without value (type ``none``) or a JSON ``null``."""


@lru_cache(maxsize=8192)
def _parse_cached(text: str) -> datetime:
    return parse_stamp(text)


def stamp_of(text: str | None) -> datetime | None:
    """Parse a server timestamp (``None`` stays ``None``); cached per text."""
    if text is None:
        return None
    return _parse_cached(text)


def _result_codes() -> tuple[str, ...]:
    """The item codes the schema lists (``ResultCode`` is ``Annotated[Literal[...], Meta]``)."""
    literal = get_args(get_version().common.ResultCode)[0]
    return tuple(get_args(literal))


def _code_classes() -> dict[str, type[DMSError]]:
    """Which item code raises which exception, checked against the schema's enumeration."""
    mapping: dict[str, type[DMSError]] = {"not found": NotFound, "no perm": NoPermission}
    missing = set(mapping) - set(_result_codes())
    if missing:  # the schema renamed a code: the mapping must follow
        raise RuntimeError(f"item codes {sorted(missing)} are no longer in the schema")
    return mapping


_CODE_CLASSES = _code_classes()


def error_for(path: str | None, code: str, message: str | None) -> DMSError:
    """The typed exception for a non-ok item code."""
    return _CODE_CLASSES.get(code, DMSError)(path, code, message)


@dataclass(frozen=True, slots=True)
class ExtInfos:
    """Extra information about a datapoint (``showExtInfos``); absent ones are ``None``."""

    state: str | None = None
    acc_type: str | None = None
    name: str | None = None
    template: str | None = None
    unit: str | None = None
    comment: str | None = None
    changelog_group: str | None = None


class _PointSlots:
    __slots__ = ("ext_infos", "has_child", "path", "stamp_text", "tag", "type", "value")


@dataclass(frozen=True, slots=True)
class Point(_PointSlots):
    """One datapoint as read by ``get``/``query``.

    ``type`` is ``int``, ``double``, ``string``, ``bool`` or ``none``;
    ``stamp`` is ``None`` after a DMS restart and on nodes of type ``none``.
    ``tag`` is the per-item tag echoed by the server (``None`` when not sent).
    """

    path: str
    value: Value
    type: str | None
    stamp_text: str | None
    has_child: bool
    ext_infos: ExtInfos | None
    tag: Any

    @property
    def stamp(self) -> datetime | None:
        """The timestamp as an aware ``datetime`` (parsed on first use)."""
        return stamp_of(self.stamp_text)


class _EventSlots:
    __slots__ = ("code", "new_path", "path", "stamp_text", "tag", "trigger", "type", "value")


@dataclass(frozen=True, slots=True)
class Event(_EventSlots):
    """A change reported by the server for a subscription.

    ``code`` is ``onChange``, ``onSet``, ``onCreate``, ``onRename`` or
    ``onDelete``; ``new_path`` is set for ``onRename``; ``value`` is the value
    after the change (before it for ``onDelete``); ``trigger`` names the writer.
    ``tag`` is the subscription's tag.
    """

    code: str
    path: str
    new_path: str | None
    trigger: str | None
    value: Value
    type: str | None
    stamp_text: str | None
    tag: Any

    @property
    def stamp(self) -> datetime | None:
        return stamp_of(self.stamp_text)


@dataclass(frozen=True, slots=True)
class Gap:
    """Marker: events were lost at this point of a subscription's stream.

    ``reason`` is ``"reconnect"`` (the connection dropped; the subscription was
    renewed on a new connection) or ``"overflow"`` (the consumer fell behind and
    the bounded buffer was full).  ``dropped`` counts the events discarded on
    overflow; it is ``None`` for a reconnect, where the count is unknowable.
    """

    reason: Literal["reconnect", "overflow"]
    dropped: int | None = None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One compact history value."""

    stamp_text: str
    value: float

    @property
    def stamp(self) -> datetime:
        return _parse_cached(self.stamp_text)


@dataclass(frozen=True, slots=True)
class HistoryDetailEntry:
    """One detailed history value: ``state`` ok|comErr|inv, ``rec`` cycle|change|diff|unknown.

    ``mod``, ``value_original`` and ``stamp_modified`` are v1.5 additions (``None`` if absent).
    """

    stamp_text: str
    value: float
    state: str | None
    rec: str | None
    mod: str | None = None
    value_original: float | None = None
    stamp_modified: str | None = None

    @property
    def stamp(self) -> datetime:
        return _parse_cached(self.stamp_text)

    @property
    def stamp_modified_at(self) -> datetime | None:
        """``stamp_modified`` parsed (``None`` when absent)."""
        return stamp_of(self.stamp_modified)


class HistoryDetail(list[HistoryDetailEntry]):
    """Detailed history of one datapoint: a list of ``HistoryDetailEntry``.

    ``past`` holds the v1.5 ``histDataPast`` entries (values changed or inserted
    in the past) when they were asked for with ``show_past``, else ``None``.
    """

    __slots__ = ("past", "path")

    def __init__(
        self,
        path: str = "",
        entries: Iterable[HistoryDetailEntry] = (),
        past: list[HistoryDetailEntry] | None = None,
    ) -> None:
        super().__init__(entries)
        self.path = path
        self.past = past

    def to_pandas(self, tz: str | tzinfo = "UTC") -> pd.DataFrame:
        """The entries as a ``DataFrame`` indexed by a timezone-aware ``stamp``.

        Columns ``value`` (float64), ``state``, ``rec``, ``mod`` (categorical),
        ``value_original`` (float64, NaN where absent), ``stamp_modified``; see
        :mod:`dmsproto.tables`.

        Args:
            tz: the zone of the times (default UTC; the DMS's offsets change at
                daylight saving time).

        Raises:
            MissingExtra: pandas is not installed (``pip install 'dmsproto[pandas]'``).
        """
        from .tables import detail_frame

        return detail_frame(self, tz)

    def to_arrow(self, tz: str | tzinfo = "UTC") -> Any:
        """The entries as a ``pyarrow.Table`` with the columns of :meth:`to_pandas`.

        Raises:
            MissingExtra: pyarrow is not installed (``pip install 'dmsproto[pandas]'``).
        """
        from .tables import detail_table

        return detail_table(self, tz)


class History(Sequence[HistoryEntry]):
    """Compact history of one datapoint, stored column-wise.

    ``stamp_texts`` and ``values`` are plain lists (ready for numpy or pandas);
    indexing or iterating yields ``HistoryEntry`` objects built on demand.
    ``past`` holds the v1.5 ``histDataPast`` entries (values changed or inserted
    in the past) when they were asked for with ``show_past``, else ``None``.
    """

    __slots__ = ("past", "path", "stamp_texts", "values")

    def __init__(
        self,
        path: str,
        stamp_texts: list[str],
        values: list[float],
        past: History | None = None,
    ) -> None:
        self.path = path
        self.stamp_texts = stamp_texts
        self.values = values
        self.past = past

    @classmethod
    def from_wire(cls, path: str, items: list[dict[str, float]]) -> History:
        """Split ``[{stamp: value}, ...]`` into two columns."""
        stamps: list[str] = []
        values: list[float] = []
        add_s = stamps.append
        add_v = values.append
        for entry in items:
            for key, value in entry.items():
                add_s(key)
                add_v(value)
        return cls(path, stamps, values)

    def __len__(self) -> int:
        return len(self.values)

    @overload
    def __getitem__(self, index: int) -> HistoryEntry: ...

    @overload
    def __getitem__(self, index: slice) -> list[HistoryEntry]: ...

    def __getitem__(self, index: int | slice) -> HistoryEntry | list[HistoryEntry]:
        if isinstance(index, slice):
            return [
                HistoryEntry(s, v)
                for s, v in zip(self.stamp_texts[index], self.values[index], strict=True)
            ]
        return HistoryEntry(self.stamp_texts[index], self.values[index])

    def __iter__(self) -> Iterator[HistoryEntry]:
        for s, v in zip(self.stamp_texts, self.values, strict=True):
            yield HistoryEntry(s, v)

    def stamps(self) -> list[datetime]:
        """All timestamps parsed (costly for big histories: use only when needed)."""
        return [_parse_cached(s) for s in self.stamp_texts]

    def to_pandas(self, tz: str | tzinfo = "UTC") -> pd.DataFrame:
        """The values as a ``DataFrame``: column ``value`` (float64), index ``stamp``.

        The index is timezone-aware; the path is kept in ``attrs["path"]``.  See
        :mod:`dmsproto.tables`.

        Args:
            tz: the zone of the times (default UTC; the DMS's offsets change at
                daylight saving time).

        Raises:
            MissingExtra: pandas is not installed (``pip install 'dmsproto[pandas]'``).
        """
        from .tables import history_frame

        return history_frame(self, tz)

    def to_arrow(self, tz: str | tzinfo = "UTC") -> Any:
        """The values as a ``pyarrow.Table``: ``stamp`` (``timestamp[ms, tz]``), ``value``.

        Raises:
            MissingExtra: pyarrow is not installed (``pip install 'dmsproto[pandas]'``).
        """
        from .tables import history_table

        return history_table(self, tz)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, History):
            return NotImplemented
        return (
            self.path == other.path
            and self.stamp_texts == other.stamp_texts
            and self.values == other.values
            and self.past == other.past
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"History(path={self.path!r}, entries={len(self.values)})"


@dataclass(frozen=True, slots=True)
class ChangelogEntry:
    """One changelog record; alarm datapoints fill the alarm fields.

    ``path`` is ``None`` when the log was read for one datapoint (the server
    omits it); ``state`` is occurred|left|acknowledged for alarms.
    """

    stamp_text: str
    text: str
    path: str | None = None
    state: str | None = None
    priority: int | float | None = None
    priority_bacnet: int | float | None = None
    alarm_group: int | float | None = None
    alarm_collect_group: int | float | None = None
    site_group: int | float | None = None
    screen: str | None = None

    @property
    def stamp(self) -> datetime:
        return _parse_cached(self.stamp_text)

    @property
    def is_alarm(self) -> bool:
        return self.priority is not None or self.state is not None


@dataclass(frozen=True, slots=True)
class SetResult:
    """The datapoint after a successful ``set``."""

    path: str
    value: Value
    type: str | None
    stamp_text: str | None
    tag: Any = None

    @property
    def stamp(self) -> datetime | None:
        return stamp_of(self.stamp_text)


@dataclass(frozen=True, slots=True)
class RenameResult:
    path: str
    new_path: str
    tag: Any = None


@dataclass(frozen=True, slots=True)
class DeleteResult:
    path: str
    tag: Any = None


@dataclass(frozen=True, slots=True)
class SubscribeResult:
    """The current state reported when a subscription was made (or renewed)."""

    path: str
    value: Value
    type: str | None
    stamp_text: str | None
    query: Any = None
    tag: Any = None

    @property
    def stamp(self) -> datetime | None:
        return stamp_of(self.stamp_text)


@dataclass(frozen=True, slots=True)
class ChangelogReadResult:
    """Entries of one changelog group read by ``changelogRead``."""

    group: str
    entries: list[ChangelogEntry]
    tag: Any = None


@dataclass(frozen=True, slots=True)
class ItemError:
    """A response item whose code is not ``ok`` (returned, not raised, by bulk calls).

    ``path`` is ``None`` for a fatal command error; ``raw`` is the item as received.
    """

    code: str
    path: str | None
    message: str | None
    tag: Any = None
    raw: Any = field(default=None, compare=False, repr=False)

    ok = False

    def exception(self) -> DMSError:
        """The typed exception (``NotFound``, ``NoPermission`` or ``DMSError``)."""
        return error_for(self.path, self.code, self.message)


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One operation's outcome in a ``batch``: ``value`` on ok, ``error`` otherwise.

    ``op`` is the operation as given; ``value`` is what the matching single call
    would return (``Point``, ``SetResult``, ``list[Point]`` for a query, ...: one
    of ``OpValue``, which ``isinstance`` narrows).
    """

    op: Op
    value: OpValue | None = None
    error: ItemError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def code(self) -> str:
        return "ok" if self.error is None else self.error.code

    @property
    def path(self) -> str | None:
        """The item's path (from the answer, else from the operation)."""
        if self.error is not None and self.error.path is not None:
            return self.error.path
        path = getattr(self.value, "path", None) or getattr(self.op, "path", None)
        return path if isinstance(path, str) else None

    @property
    def raw(self) -> Any:
        """The response item as received, for errors (``None`` on ok)."""
        return None if self.error is None else self.error.raw

    @property
    def message(self) -> str | None:
        return None if self.error is None else self.error.message

    def unwrap(self) -> OpValue | None:
        """The value, or raise the item's typed exception."""
        if self.error is not None:
            raise self.error.exception()
        return self.value


OpValue: TypeAlias = (
    Point
    | list[Point | ItemError]
    | list[Point]
    | History
    | HistoryDetail
    | list[ChangelogEntry]
    | SetResult
    | RenameResult
    | DeleteResult
    | list[str]
    | ChangelogReadResult
    | SubscribeResult
)
"""What an operation of ``dmsproto.protocol`` gives on success (``ItemResult.value``):
what the matching single call returns, e.g. ``Point`` for ``Get``, ``list[Point]``
for ``Query``, ``History | HistoryDetail`` for ``ReadHistory``."""
