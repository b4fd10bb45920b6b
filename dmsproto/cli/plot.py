"""Trend charts as PNG files; needs the optional extra ``dmsproto[plot]`` (matplotlib).

matplotlib is imported only here and only when a chart is asked for, so the
command stays quick and a plain install works; a missing extra is a clear
message with its own exit code, not a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .exits import MISSING_EXTRA, CliError

INSTALL_HINT = "plotting needs matplotlib: pip install 'dmsproto[plot]'"


def available() -> bool:
    """Whether matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise CliError(INSTALL_HINT, MISSING_EXTRA) from None
    matplotlib.use("Agg")  # files only: no display needed on a server or in CI
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    return plt, mdates


@dataclass(frozen=True, slots=True)
class Series:
    """One line of a chart.

    Attributes:
        label: the legend text (the path).
        stamps: the times.
        values: the values.
        unit: the unit, for the axis label.
        steps: hold each value until the next (bool and int datapoints: a pump is on or
            off, never in between); otherwise straight lines between the values.
    """

    label: str
    stamps: Sequence[datetime]
    values: Sequence[float]
    unit: str | None = None
    steps: bool = False


COLOURS = ("#c0392b", "#2471a3", "#229954", "#b7950b", "#7d3c98", "#566573")


def plot_trend(file: str | Path, stamps: Sequence[datetime], values: Sequence[float], *,
               title: str, unit: str | None, steps: bool = False) -> Path:
    """Draw ``values`` over ``stamps`` into ``file`` (PNG); returns the path written."""
    return plot_series(file, [Series(title, stamps, values, unit, steps)], title=title)


def plot_series(file: str | Path, series: Sequence[Series], *, title: str) -> Path:
    """Draw one or more series into ``file`` (PNG, one axis); returns the path written.

    A legend names the series when there are several; the axis is labelled with
    their unit when they share one.
    """
    plt, mdates = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 4), dpi=100)
    try:
        for n, line in enumerate(series):
            ax.plot(list(line.stamps), list(line.values), linewidth=1.4,
                    color=COLOURS[n % len(COLOURS)], label=line.label,
                    drawstyle="steps-post" if line.steps else "default")
        units = {line.unit for line in series}
        ax.set_title(title)
        ax.set_ylabel((units.pop() if len(units) == 1 else None) or "value")
        first = next((line.stamps[0] for line in series if line.stamps), None)
        ax.set_xlabel(f"time ({first.tzname() or 'UTC'})" if first else "time")
        if first is not None:
            locator = mdates.AutoDateLocator(tz=first.tzinfo)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=first.tzinfo))
        if len(series) > 1:
            ax.legend(loc="best", fontsize="small")
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        target = Path(file)
        try:
            fig.savefig(target, format="png")
        except OSError as exc:
            raise CliError(f"cannot write {target}: {exc.strerror}") from None
    finally:
        plt.close(fig)
    return target
