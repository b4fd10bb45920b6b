"""Trend charts as PNG files; needs the optional extra ``dmsproto[plot]`` (matplotlib).

matplotlib is imported only here and only when a chart is asked for, so the
command stays quick and a plain install works; a missing extra is a clear
message with its own exit code, not a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def plot_trend(file: str | Path, stamps: Sequence[datetime], values: Sequence[float], *,
               title: str, unit: str | None) -> Path:
    """Draw ``values`` over ``stamps`` into ``file`` (PNG); returns the path written."""
    plt, mdates = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 4), dpi=100)
    try:
        ax.plot(list(stamps), list(values), linewidth=1.4, color="#c0392b")
        ax.set_title(title)
        ax.set_ylabel(unit or "value")
        ax.set_xlabel(f"time ({stamps[0].tzname() or 'UTC'})" if stamps else "time")
        if stamps:
            locator = mdates.AutoDateLocator(tz=stamps[0].tzinfo)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator,
                                                                     tz=stamps[0].tzinfo))
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
