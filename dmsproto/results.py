"""Typed results of DMS calls: small immutable objects, cheap to build in bulk.

Every class is a frozen ``msgspec.Struct`` (``ItemError`` a frozen dataclass: its
``raw`` stays out of comparison and ``repr``, which a struct cannot express).
Structs cost little to define, so importing the package stays fast, and little
to make (their ``__init__`` is msgspec's C code), so the decoder builds ``Point``
and ``Event`` directly.  ``msgspec.structs.fields``, ``replace`` and ``asdict``
work on them.  Timestamps are kept as the server's text (``stamp_text``) and
parsed into an aware ``datetime`` only when ``stamp`` is read (cached per text),
so decoding a 10,000-item response or 610,000 history entries costs little more
than parsing the JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, get_args, overload

from msgspec import Struct

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
    """Parse a server timestamp, cached per text (a trend repeats few distinct stamps).

    Args:
        text: the timestamp as the server sent it, or ``None``.

    Returns:
        An aware ``datetime``; ``None`` stays ``None``.

    Raises:
        ValueError: ``text`` is not a zoned ISO 8601 timestamp.
    """
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
    """The typed exception for a non-ok item code.

    Args:
        path: the item's path (``None`` for a fatal command error).
        code: the item's code (``not found``, ``no perm``, ``error``).
        message: the server's message, if any.

    Returns:
        ``NotFound`` or ``NoPermission`` for their codes, ``DMSError`` for any other.
    """
    return _CODE_CLASSES.get(code, DMSError)(path, code, message)


class ExtInfos(Struct, frozen=True):
    """Extra information about a datapoint, asked for with ``ext_infos=`` (``showExtInfos``).

    Every attribute is ``None`` when it was not asked for or the DMS did not send it.

    Attributes:
        state: the datapoint's state (``ok``, ``error``, ...; protocol 1.4 and later).
        acc_type: the access type (``double64``, ``uint32``, ...).
        name: the datapoint's display name.
        template: the template the node was made from.
        unit: the engineering unit (``°C``).
        comment: the free-text comment.
        changelog_group: the change-log group it writes to (1.4 and later).
    """

    state: str | None = None
    acc_type: str | None = None
    name: str | None = None
    template: str | None = None
    unit: str | None = None
    comment: str | None = None
    changelog_group: str | None = None


class Point(Struct, frozen=True):
    """One datapoint as read by ``get``, ``get_many`` or ``query``.

    Attributes:
        path: the datapoint's path.
        value: its value (``None`` on a node without value).
        type: ``int``, ``double``, ``string``, ``bool`` or ``none``.
        stamp_text: the timestamp as the server wrote it; ``None`` after a DMS
            restart and on nodes of type ``none`` (``stamp`` parses it).
        has_child: whether the datapoint has children.
        ext_infos: the extra information asked for, else ``None``.
        tag: the per-item tag echoed by the server (``None`` when not sent).
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
        """The timestamp as an aware ``datetime`` (parsed on first use), or ``None``."""
        return stamp_of(self.stamp_text)


def _event_wire_names() -> dict[str, str]:
    """``Event``'s attributes as the generated ``EventItem`` spells them on the wire.

    With them the client decodes event frames straight into ``Event``.
    """
    item = get_version().event.EventItem
    wire = dict(zip(item.__struct_fields__, item.__struct_encode_fields__, strict=True))
    ours = {"stamp_text": "stamp"}  # our attribute -> the generated one, where they differ
    return {name: wire[ours.get(name, name)] for name in _EVENT_FIELDS}


_EVENT_FIELDS = ("code", "path", "new_path", "trigger", "value", "type", "stamp_text", "tag")


class Event(Struct, frozen=True, rename=_event_wire_names()):
    """A change reported by the server for a subscription.

    Attributes:
        code: ``onChange``, ``onSet``, ``onCreate``, ``onRename`` or ``onDelete``.
        path: the datapoint that changed.
        new_path: its new path, for ``onRename`` only.
        trigger: who wrote (the writer's ``whois``; ``<SYS>`` for the DMS itself).
        value: the value after the change (before it, for ``onDelete``).
        type: the value's type.
        stamp_text: the timestamp as the server wrote it (``stamp`` parses it).
        tag: the subscription's tag.
    """

    code: str
    path: str
    new_path: str | None = None
    trigger: str | None = None
    value: Value = None
    type: str | None = None
    stamp_text: str | None = None
    tag: Any = None

    @property
    def stamp(self) -> datetime | None:
        """The timestamp as an aware ``datetime``, or ``None``."""
        return stamp_of(self.stamp_text)


class Gap(Struct, frozen=True):
    """Marker: events were lost at this point of a subscription's stream.

    Subscriptions opened with ``gaps="yield"`` yield it among the events; with
    ``gaps="raise"`` the loss is raised as ``EventGap`` or ``SubscriptionOverflow``.

    Attributes:
        reason: ``"reconnect"`` (the connection dropped; the subscription was
            renewed on a new connection) or ``"overflow"`` (the consumer fell
            behind and the bounded buffer was full).
        dropped: how many events were discarded on overflow; ``None`` for a
            reconnect, where the count is unknowable.
    """

    reason: Literal["reconnect", "overflow"]
    dropped: int | None = None


class HistoryEntry(Struct, frozen=True):
    """One compact history value.

    Attributes:
        stamp_text: the timestamp as the server wrote it (``stamp`` parses it).
        value: the recorded value.
    """

    stamp_text: str
    value: float

    @property
    def stamp(self) -> datetime:
        """The timestamp as an aware ``datetime``."""
        return _parse_cached(self.stamp_text)


class HistoryDetailEntry(Struct, frozen=True):
    """One detailed history value (``history(..., format="detail")``).

    Attributes:
        stamp_text: the timestamp as the server wrote it (``stamp`` parses it).
        value: the recorded value.
        state: ``ok``, ``comErr`` or ``inv``.
        rec: why it was recorded: ``cycle``, ``change``, ``diff`` or ``unknown``.
        mod: protocol 1.5: ``modified`` or ``past`` when the value was changed or
            inserted afterwards, else ``None``.
        value_original: protocol 1.5 with ``show_original``: the value before it
            was modified.
        stamp_modified: protocol 1.5: when it was modified.
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
        """The timestamp as an aware ``datetime``."""
        return _parse_cached(self.stamp_text)

    @property
    def stamp_modified_at(self) -> datetime | None:
        """``stamp_modified`` parsed (``None`` when absent)."""
        return stamp_of(self.stamp_modified)


class _Tables:
    """``to_pandas()`` and ``to_arrow()`` of a history (the extra ``dmsproto[pandas]``)."""

    __slots__ = ()

    def to_pandas(self, tz: str | tzinfo = "UTC") -> pd.DataFrame:
        """The values as a ``DataFrame`` indexed by a timezone-aware ``stamp``.

        Column ``value`` (float64); a ``HistoryDetail`` adds ``state``, ``rec``,
        ``mod`` (categorical), ``value_original`` (float64, NaN where absent) and
        ``stamp_modified``.  The path is in ``attrs["path"]``.  See
        :mod:`dmsproto.tables`.

        Args:
            tz: the zone of the times (default UTC; the DMS's offsets change at
                daylight saving time).

        Returns:
            One row per entry, in the history's order.

        Raises:
            MissingExtraError: pandas is not installed (``pip install 'dmsproto[pandas]'``).
        """
        from .tables import frame

        return frame(self, tz)

    def to_arrow(self, tz: str | tzinfo = "UTC") -> Any:
        """The values as a ``pyarrow.Table``, ready for Parquet or Arrow IPC.

        Args:
            tz: the zone of the times (default UTC).

        Returns:
            A table with ``stamp`` (``timestamp[ms, tz]``) and the columns of
            ``to_pandas``; the path in the schema's metadata.

        Raises:
            MissingExtraError: pyarrow is not installed (``pip install 'dmsproto[pandas]'``).
        """
        from .tables import table

        return table(self, tz)


class HistoryDetail(_Tables, list[HistoryDetailEntry]):
    """Detailed history of one datapoint: a list of ``HistoryDetailEntry``.

    Args:
        path: the datapoint's path.
        entries: the entries, oldest first.
        past: the ``histDataPast`` entries, if read.

    Attributes:
        path: the datapoint's path.
        past: protocol 1.5 with ``show_past``: the ``histDataPast`` entries (values
            changed or inserted in the past), else ``None``.
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


class History(_Tables, Sequence[HistoryEntry]):
    """Compact history of one datapoint, stored column-wise.

    Column-wise because a trend can hold hundreds of thousands of values: two
    plain lists are cheap to build and ready for numpy or pandas.  Indexing or
    iterating yields ``HistoryEntry`` objects built on demand.

    Attributes:
        path: the datapoint's path.
        stamp_texts: the timestamps as the server wrote them.
        values: the values, in the same order.
        past: protocol 1.5 with ``show_past``: the ``histDataPast`` entries (values
            changed or inserted in the past), else ``None``.
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
        """Build from the compact wire form, split into two columns.

        Args:
            path: the datapoint's path.
            items: the ``histData`` array, ``[{stamp: value}, ...]``.

        Returns:
            The history, in the order of ``items``.
        """
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
        """All timestamps parsed (costly for big histories: use only when needed).

        Returns:
            One aware ``datetime`` per entry, in order.
        """
        return [_parse_cached(s) for s in self.stamp_texts]

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


class ChangelogEntry(Struct, frozen=True):
    """One change-log record; alarm datapoints fill the alarm fields.

    Attributes:
        stamp_text: the timestamp as the server wrote it (``stamp`` parses it).
        text: the log text.
        path: the datapoint; ``None`` when the log was read for one datapoint
            (the server omits it then).
        state: for alarms: ``occurred``, ``left`` or ``acknowledged``.
        priority: the alarm priority.
        priority_bacnet: the alarm priority on the BACnet scale.
        alarm_group: the alarm group.
        alarm_collect_group: the alarm collect group.
        site_group: the site group.
        screen: the screen the alarm belongs to.
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
        """The timestamp as an aware ``datetime``."""
        return _parse_cached(self.stamp_text)

    @property
    def is_alarm(self) -> bool:
        """Whether the record carries alarm fields (a priority or a state)."""
        return self.priority is not None or self.state is not None


class SetResult(Struct, frozen=True):
    """The datapoint after a successful ``set``.

    Attributes:
        path: the datapoint's path.
        value: the value now stored.
        type: its type.
        stamp_text: the timestamp of the write as the server wrote it.
        tag: the per-item tag echoed by the server.
    """

    path: str
    value: Value
    type: str | None
    stamp_text: str | None
    tag: Any = None

    @property
    def stamp(self) -> datetime | None:
        """The timestamp as an aware ``datetime``, or ``None``."""
        return stamp_of(self.stamp_text)


class RenameResult(Struct, frozen=True):
    """A successful ``rename``.

    Attributes:
        path: the old path.
        new_path: the new path (children moved with it).
        tag: the per-item tag echoed by the server.
    """

    path: str
    new_path: str
    tag: Any = None


class DeleteResult(Struct, frozen=True):
    """A successful ``delete``.

    Attributes:
        path: the deleted datapoint.
        tag: the per-item tag echoed by the server.
    """

    path: str
    tag: Any = None


class SubscribeResult(Struct, frozen=True):
    """The current state reported when a subscription was made (or renewed).

    Attributes:
        path: the subscribed path.
        value: its value at that moment.
        type: its type.
        stamp_text: its timestamp as the server wrote it.
        query: the query echoed by the server, if one was sent.
        tag: the subscription's tag.
    """

    path: str
    value: Value
    type: str | None
    stamp_text: str | None
    query: Any = None
    tag: Any = None

    @property
    def stamp(self) -> datetime | None:
        """The timestamp as an aware ``datetime``, or ``None``."""
        return stamp_of(self.stamp_text)


class ChangelogReadResult(Struct, frozen=True):
    """Entries of one change-log group, read by ``changelog_read`` (``changelogRead``).

    Attributes:
        group: the group's name.
        entries: its records, as the server ordered them.
        tag: the per-item tag echoed by the server.
    """

    group: str
    entries: list[ChangelogEntry]
    tag: Any = None


@dataclass(frozen=True, slots=True)
class ItemError:
    """A response item whose code is not ``ok`` (returned, not raised, by bulk calls).

    Attributes:
        code: ``not found``, ``no perm`` or ``error``.
        path: the item's path; ``None`` for a fatal command error.
        message: the server's message, if any.
        tag: the per-item tag echoed by the server.
        raw: the item as received.
        ok: always False (``ItemResult.ok`` and this read alike).
    """

    code: str
    path: str | None
    message: str | None
    tag: Any = None
    raw: Any = field(default=None, compare=False, repr=False)

    ok = False

    def exception(self) -> DMSError:
        """The typed exception a single call would raise for this item.

        Returns:
            ``NotFound``, ``NoPermission`` or ``DMSError``.
        """
        return error_for(self.path, self.code, self.message)


class ItemResult(Struct, frozen=True):
    """One operation's outcome in a ``batch``: ``value`` on ok, ``error`` otherwise.

    Attributes:
        op: the operation as given.
        value: on ok, what the matching single call would return (``Point``,
            ``SetResult``, ``list[Point]`` for a query, ...: one of ``OpValue``,
            which ``isinstance`` narrows); else ``None``.
        error: the item's error, else ``None``.
    """

    op: Op
    value: OpValue | None = None
    error: ItemError | None = None

    @property
    def ok(self) -> bool:
        """Whether the item's code is ``ok``."""
        return self.error is None

    @property
    def code(self) -> str:
        """The item's code (``ok`` on success)."""
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
        """The server's message for an error (``None`` on ok)."""
        return None if self.error is None else self.error.message

    def unwrap(self) -> OpValue | None:
        """The value, or raise the item's typed exception.

        Returns:
            ``value``.

        Raises:
            DMSError: the item failed (``NotFound`` and ``NoPermission`` for their codes).
        """
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
