"""The table of a verdict's stages that ``agent verify`` prints, for kernel and config verdicts alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.table import Table

from verifiers import StageStatus

STAGE_STYLES = {
    StageStatus.passed: "green",
    StageStatus.failed: "red",
    StageStatus.error: "yellow",
    StageStatus.skipped: "dim",
}


def stage_table(title: str, stages: Iterable[Any]) -> Table:
    """One row per stage result (stage, coloured status, reason, seconds, first line of feedback)."""
    table = Table(title=title)
    for column in ("stage", "status", "reason", "seconds"):
        table.add_column(column, no_wrap=True)
    table.add_column("feedback", overflow="fold")
    for result in stages:
        style = STAGE_STYLES[result.status]
        table.add_row(
            result.stage.value,
            f"[{style}]{result.status.value}[/{style}]",
            result.reason,
            f"{result.seconds:.2f}",
            result.feedback.strip().split("\n", 1)[0],
        )
    return table
