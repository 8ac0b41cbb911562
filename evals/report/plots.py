"""The report's figures, drawn with matplotlib's Agg canvas and returned as PNG bytes.

matplotlib is imported inside the functions, so that ``import evals.report`` stays cheap. No pyplot: each
figure is a plain :class:`matplotlib.figure.Figure` on its own Agg canvas, with no global state.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from evals.records import ThreadTiming
from evals.report.formatting import truncate

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_MAX_BARS = 24
"""Failure reasons beyond this many are drawn as one ``other`` bar."""
_MAX_VALUE_LABELS = 16
"""Markers beyond this many are not labelled with their value (the labels would overlap)."""
_MAX_LEGEND = 16
"""Lines beyond this many get no legend (it would hide the plot)."""


@dataclass(frozen=True)
class SpeedupPoint:
    """One task's speedup and its interval (either end None when unknown)."""

    task: str
    value: float
    low: float | None = None
    high: float | None = None


def speedup_chart(series: dict[str, Sequence[SpeedupPoint]]) -> bytes:
    """Speedup per task with interval error bars on a log axis, a line at 1x; one marker per series per task.

    Args:
        series: Points per series name (one series for a run, two for a comparison of runs).

    Returns:
        The PNG.
    """
    tasks = list(dict.fromkeys(point.task for points in series.values() for point in points))
    position = {task: i for i, task in enumerate(tasks)}
    crowded = len(tasks) > 6
    fig = _figure(min(16.0, max(7.0, 0.4 * len(tasks) + 3)), 5.4 if crowded else 4.2)
    ax = fig.add_subplot()
    width = 0.6 / max(1, len(series))
    for i, (name, points) in enumerate(series.items()):
        offset = (i - (len(series) - 1) / 2) * width
        values = [p.value for p in points]
        below = [max(0.0, p.value - p.low) if p.low is not None else 0.0 for p in points]
        above = [max(0.0, p.high - p.value) if p.high is not None else 0.0 for p in points]
        x = [position[p.task] + offset for p in points]
        ax.errorbar(x, values, yerr=[below, above], fmt="o", capsize=4, markersize=6, label=_label(name, 40))
        for xi, value in zip(x, values, strict=True) if len(tasks) * len(series) <= _MAX_VALUE_LABELS else ():
            ax.annotate(f"{value:.2f}x", (xi, value), xytext=(7, 0), textcoords="offset points", fontsize="small")
    _speedup_axis(ax, "speedup over the reference")
    ax.set_xticks(range(len(tasks)), [_label(t, 28) for t in tasks], rotation=35 if crowded else 0)
    if crowded:
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    ax.set_xlim(-0.6, len(tasks) - 0.4)
    if len(series) > 1:
        ax.legend(loc="best", fontsize="small")
    return _png(fig)


def progress_chart(curves: dict[str, Sequence[float | None]]) -> bytes:
    """Best speedup so far against candidates verified, one line per task.

    Args:
        curves: Per task, after each candidate in order, the best accepted speedup so far (None before any).

    Returns:
        The PNG.
    """
    from matplotlib.ticker import MaxNLocator

    fig = _figure(10.0, 4.2)
    ax = fig.add_subplot()
    for task, best in curves.items():
        x = range(1, len(best) + 1)
        y = [math.nan if value is None else value for value in best]
        ax.step(x, y, where="post", marker="o", markersize=3, linewidth=1.6, label=_label(task, 32))
    _speedup_axis(ax, "best speedup so far")
    ax.set_xlabel("candidates verified")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _legend_outside(ax, len(curves))
    return _png(fig)


def failure_chart(counts: dict[str, int]) -> bytes:
    """Failed candidates per stage and reason, as horizontal bars, the most frequent on top.

    Args:
        counts: Candidates per ``stage: reason`` label.

    Returns:
        The PNG.
    """
    from matplotlib.ticker import MaxNLocator

    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if len(ranked) > _MAX_BARS:
        rest = ranked[_MAX_BARS - 1 :]
        ranked = [*ranked[: _MAX_BARS - 1], (f"other ({len(rest)} reasons)", sum(n for _, n in rest))]
    fig = _figure(10.0, 1.2 + 0.38 * len(ranked))
    ax = fig.add_subplot()
    labels = [_label(label, 56) for label, _ in ranked]
    values = [n for _, n in ranked]
    colors = ["#c8553d"] * len(ranked)
    if len(counts) > _MAX_BARS:
        colors[-1] = "#9aa0a6"
    bars = ax.barh(range(len(ranked)), values, color=colors, height=0.6)
    ax.bar_label(bars, padding=3, fontsize="small")
    ax.set_yticks(range(len(ranked)), labels)
    ax.set_ylim(len(ranked) - 0.5, -0.5)
    ax.set_xlabel("failed candidates")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.margins(x=0.08)
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def pass_at_k_chart(curves: dict[str, dict[int, float]]) -> bytes:
    """Rates against k (pass@k, build@k), on a 0-100% axis.

    Args:
        curves: Per line name, the rate at each k.

    Returns:
        The PNG.
    """
    from matplotlib.ticker import PercentFormatter

    fig = _figure(7.0, 4.2)
    ax = fig.add_subplot()
    ks: set[int] = set()
    for name, rates in curves.items():
        points = sorted(rates.items())
        ks.update(k for k, _ in points)
        ax.plot([k for k, _ in points], [r for _, r in points], marker="o", linewidth=2, label=name)
    ax.set_xticks(sorted(ks))
    ax.set_xlabel("k (candidates per task)")
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return _png(fig)


def scaling_chart(scaling: dict[str, Sequence[ThreadTiming]]) -> bytes:
    """Speedup against threads per task with interval error bars, and the ideal (linear) speedup.

    Args:
        scaling: Per task, its winner timed at each thread count.

    Returns:
        The PNG.
    """
    fig = _figure(10.0, 4.2)
    ax = fig.add_subplot()
    threads = sorted({t.threads for timings in scaling.values() for t in timings})
    ax.plot(threads, threads, linestyle="--", color="#888888", linewidth=1.2, label="ideal (linear)")
    for task, timings in scaling.items():
        ordered = sorted((t for t in timings if t.speedup > 0), key=lambda t: t.threads)
        ax.errorbar(
            [t.threads for t in ordered],
            [t.speedup for t in ordered],
            yerr=[
                [max(0.0, t.speedup - t.speedup_low) for t in ordered],
                [max(0.0, t.speedup_high - t.speedup) for t in ordered],
            ],
            marker="o",
            markersize=4,
            capsize=3,
            label=_label(task, 32),
        )
    ax.set_xscale("log", base=2)
    ax.set_xticks(threads, [str(t) for t in threads])
    ax.minorticks_off()
    ax.set_xlabel("threads")
    _speedup_axis(ax, "speedup over the reference")
    _legend_outside(ax, len(scaling) + 1)
    return _png(fig)


def _label(text: str, limit: int) -> str:
    """Untrusted text as a plain matplotlib label: shortened, and no ``$`` that would start mathtext."""
    return truncate(text, limit).replace("$", r"\$")


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()


def _speedup_axis(ax: Axes, label: str) -> None:
    """A log speedup axis labelled ``2x``, with a dashed line at 1x (as fast as the reference)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.axhline(1.0, color="#444444", linestyle=":", linewidth=1.2)
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}x"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel(label)
    ax.grid(axis="y", which="major", alpha=0.3)


def _legend_outside(ax: Axes, lines: int) -> None:
    if lines <= _MAX_LEGEND:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
