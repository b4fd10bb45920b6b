"""History as a pandas ``DataFrame`` or an Arrow ``Table`` (the extra ``dmsproto[pandas]``).

``History.to_pandas()``/``to_arrow()`` and the same methods of ``HistoryDetail``
call into this module; pandas and pyarrow are imported only then, so a plain
install never needs them.  Without them those methods raise ``MissingExtraError``.

The columns, in both forms:

- ``stamp``: the time of the value, timezone-aware (the pandas index; an Arrow
  ``timestamp[ms, tz]``).  The DMS writes each stamp with the offset in force then,
  which changes at daylight saving time, so the column is in UTC unless ``tz``
  names another zone (``"Europe/Zurich"``);
- ``value``: ``float64`` (the DMS sends every history value as a number);
- detail only: ``state`` and ``rec`` (categorical / dictionary-encoded text),
  ``mod`` (``modified``/``past`` or missing), ``value_original`` (``float64``, NaN
  where absent) and ``stamp_modified`` (a time, missing where absent).

The datapoint's path is kept as ``DataFrame.attrs["path"]`` and as the Arrow
schema's metadata ``path``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from .errors import MissingExtraError
from .timestamps import parse_stamp

if TYPE_CHECKING:
    import pandas as pd

    from .results import History, HistoryDetail

EXTRA = "pandas"
"""The extra that installs what tables need: ``pip install 'dmsproto[pandas]'``."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def epoch_ms(texts: Iterable[str | None]) -> list[int | None]:
    """Milliseconds since 1970 (UTC) of DMS stamps; ``None`` stays ``None``.

    ``datetime.fromisoformat`` reads the DMS's form (comma before the
    milliseconds, numeric offset) quickly; other zoned ISO 8601 text falls back to
    :func:`dmsproto.parse_stamp`.

    Args:
        texts: timestamps as the DMS wrote them, or ``None``.

    Returns:
        One integer per stamp, in order (``None`` where the stamp was ``None``).

    Raises:
        ValueError: a stamp without a zone or not ISO 8601.
    """
    out: list[int | None] = []
    for text in texts:
        if text is None:
            out.append(None)
            continue
        try:
            stamp = datetime.fromisoformat(text)
        except ValueError:
            stamp = parse_stamp(text)
        if stamp.tzinfo is None:
            stamp = parse_stamp(text)  # raises: the DMS always writes a zone
        out.append((stamp - _EPOCH) // _MS)
    return out


def _hint(feature: str, module: str) -> str:
    return f"{feature} needs {module}: pip install 'dmsproto[{EXTRA}]'"


def _pandas(feature: str) -> Any:
    try:
        import pandas
    except ImportError:
        raise MissingExtraError(_hint(feature, "pandas")) from None
    return pandas


def _pyarrow(feature: str) -> Any:
    try:
        import pyarrow
    except ImportError:
        raise MissingExtraError(_hint(feature, "pyarrow")) from None
    return pyarrow


def _zone_name(tz: str | tzinfo) -> str:
    return tz if isinstance(tz, str) else str(tz)


def _detail_columns(entries: Sequence[Any]) -> dict[str, list[Any]]:
    return {
        "state": [e.state for e in entries],
        "rec": [e.rec for e in entries],
        "mod": [e.mod for e in entries],
        "value_original": [e.value_original for e in entries],
    }


def history_frame(history: History, tz: str | tzinfo = "UTC") -> pd.DataFrame:
    """The DataFrame behind ``History.to_pandas`` (see there for the columns).

    Args:
        history: the compact history.
        tz: the zone of the times (a name or a ``tzinfo``; default UTC).

    Returns:
        The values indexed by a timezone-aware ``stamp``.

    Raises:
        MissingExtraError: pandas is not installed.
    """
    pandas = _pandas("History.to_pandas()")
    index = _times(pandas, history.stamp_texts, tz)
    frame: pd.DataFrame = pandas.DataFrame(
        {"value": pandas.array(history.values, dtype="float64")}, index=index
    )
    frame.attrs["path"] = history.path
    return frame


def detail_frame(history: HistoryDetail, tz: str | tzinfo = "UTC") -> pd.DataFrame:
    """The DataFrame behind ``HistoryDetail.to_pandas`` (see there for the columns).

    Args:
        history: the detailed history.
        tz: the zone of the times (a name or a ``tzinfo``; default UTC).

    Returns:
        The values and details indexed by a timezone-aware ``stamp``.

    Raises:
        MissingExtraError: pandas is not installed.
    """
    pandas = _pandas("HistoryDetail.to_pandas()")
    index = _times(pandas, [e.stamp_text for e in history], tz)
    columns = _detail_columns(history)
    frame: pd.DataFrame = pandas.DataFrame(
        {
            "value": pandas.array([e.value for e in history], dtype="float64"),
            "state": pandas.Categorical(columns["state"]),
            "rec": pandas.Categorical(columns["rec"]),
            "mod": pandas.Categorical(columns["mod"]),
            "value_original": pandas.array(
                [float("nan") if v is None else v for v in columns["value_original"]],
                dtype="float64",
            ),
            "stamp_modified": _times(pandas, [e.stamp_modified for e in history], tz).array,
        },
        index=index,
    )
    frame.attrs["path"] = history.path
    return frame


def _times(pandas: Any, texts: Sequence[str | None], tz: str | tzinfo) -> Any:
    ms = epoch_ms(texts)
    values = pandas.array([pandas.NA if m is None else m for m in ms], dtype="Int64")
    index = pandas.DatetimeIndex(pandas.to_datetime(values, unit="ms", utc=True), name="stamp")
    return index if _zone_name(tz) == "UTC" else index.tz_convert(tz)


def frame(history: object, tz: str | tzinfo = "UTC") -> pd.DataFrame:
    """``history.to_pandas(tz)`` of a ``History`` or ``HistoryDetail``.

    Args:
        history: the history.
        tz: the zone of the times (a name or a ``tzinfo``; default UTC).

    Returns:
        The history as a ``DataFrame``.

    Raises:
        TypeError: ``history`` is neither kind.
        MissingExtraError: pandas is not installed.
    """
    made: pd.DataFrame = _by_kind(history, detail_frame, history_frame)(history, tz)
    return made


def table(history: object, tz: str | tzinfo = "UTC") -> Any:
    """``history.to_arrow(tz)`` of a ``History`` or ``HistoryDetail``.

    Args:
        history: the history.
        tz: the zone of the times (a name or a ``tzinfo``; default UTC).

    Returns:
        The history as a ``pyarrow.Table``.

    Raises:
        TypeError: ``history`` is neither kind.
        MissingExtraError: pyarrow is not installed.
    """
    return _by_kind(history, detail_table, history_table)(history, tz)


def _by_kind(history: object, detail: Callable[..., Any],
             compact: Callable[..., Any]) -> Callable[..., Any]:
    from .results import History, HistoryDetail

    if isinstance(history, HistoryDetail):
        return detail
    if isinstance(history, History):
        return compact
    raise TypeError(f"not a history: {history!r}")


def history_table(history: History, tz: str | tzinfo = "UTC") -> Any:
    """The ``pyarrow.Table`` behind ``History.to_arrow`` (see there for the columns).

    Args:
        history: the compact history.
        tz: the zone of the times (a name or a ``tzinfo``; default UTC).

    Returns:
        The ``stamp`` and ``value`` columns, the path in the metadata.

    Raises:
        MissingExtraError: pyarrow is not installed.
    """
    pa = _pyarrow("History.to_arrow()")
    stamps = pa.array(epoch_ms(history.stamp_texts), pa.timestamp("ms", tz=_zone_name(tz)))
    values = pa.array(history.values, pa.float64())
    return pa.table({"stamp": stamps, "value": values}, metadata={"path": history.path})


def detail_table(history: HistoryDetail, tz: str | tzinfo = "UTC") -> Any:
    """The ``pyarrow.Table`` behind ``HistoryDetail.to_arrow`` (see there for the columns).

    Args:
        history: the detailed history.
        tz: the zone of the times (a name or a ``tzinfo``; default UTC).

    Returns:
        The stamps, values and details, the path in the metadata.

    Raises:
        MissingExtraError: pyarrow is not installed.
    """
    pa = _pyarrow("HistoryDetail.to_arrow()")
    kind = pa.timestamp("ms", tz=_zone_name(tz))
    columns = _detail_columns(history)
    text = pa.dictionary(pa.int32(), pa.string())
    return pa.table(
        {
            "stamp": pa.array(epoch_ms(e.stamp_text for e in history), kind),
            "value": pa.array([e.value for e in history], pa.float64()),
            "state": pa.array(columns["state"], pa.string()).cast(text),
            "rec": pa.array(columns["rec"], pa.string()).cast(text),
            "mod": pa.array(columns["mod"], pa.string()).cast(text),
            "value_original": pa.array(columns["value_original"], pa.float64()),
            "stamp_modified": pa.array(epoch_ms(e.stamp_modified for e in history), kind),
        },
        metadata={"path": history.path},
    )


__all__ = ["EXTRA", "detail_frame", "detail_table", "epoch_ms", "frame", "history_frame",
           "history_table", "table"]
