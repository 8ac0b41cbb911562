"""How numbers read in a report: one place, so the HTML and Markdown files print them alike."""

from __future__ import annotations

DASH = "—"
"""Shown for a value that is missing."""


def speedup(value: float | None) -> str:
    """``2.31x``."""
    return DASH if value is None else f"{value:.2f}x"


def speedup_interval(value: float | None, low: float | None, high: float | None) -> str:
    """``2.31x [2.10, 2.52]``, or the bare speedup when the interval is unknown."""
    if value is None or low is None or high is None:
        return speedup(value)
    return f"{value:.2f}x [{low:.2f}, {high:.2f}]"


def percent(fraction: float | None) -> str:
    """``45.0%`` for 0.45."""
    return DASH if fraction is None else f"{100 * fraction:.1f}%"


def money(value: float | None) -> str:
    """``$0.0123`` below a dollar, ``$12.34`` above."""
    if value is None:
        return DASH
    return f"${value:.4f}" if abs(value) < 1 else f"${value:,.2f}"


def count(value: float | None) -> str:
    """``12,345`` (rounded to a whole number)."""
    return DASH if value is None else f"{round(value):,}"


def truncate(text: str, limit: int = 160) -> str:
    """One line of at most ``limit`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
