"""What the report reads off a run's task and candidate records: table rows and the series the plots draw."""

from __future__ import annotations

from collections import Counter

from evals.records import CandidateResult, EvalResults, TaskResult, TaskStatus
from evals.report import formatting as fmt
from evals.report.document import Cell, Table, Tone
from evals.report.plots import SpeedupPoint

STATUS_TONE: dict[TaskStatus, Tone] = {
    TaskStatus.solved: "good",
    TaskStatus.unsolved: "warn",
    TaskStatus.error: "bad",
    TaskStatus.skipped: "muted",
}


def failure_label(candidate: CandidateResult) -> str | None:
    """``stage: reason`` of a rejected candidate (None for an accepted one)."""
    if candidate.accepted:
        return None
    parts = [part for part in (candidate.failed_stage, candidate.reason) if part]
    return ": ".join(parts) or "unknown"


def failure_counts(results: EvalResults) -> dict[str, int]:
    """Rejected candidates per ``stage: reason``, the most frequent first."""
    counts = Counter(label for c in results.candidates if (label := failure_label(c)) is not None)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def failing_stage(task: TaskResult, candidates: list[CandidateResult]) -> str:
    """Why a task is not solved: its error, or the most common rejection among its candidates."""
    if task.status == TaskStatus.solved:
        return fmt.DASH
    if task.status == TaskStatus.error:
        return fmt.truncate(task.error or "error")
    if task.status == TaskStatus.skipped:
        return "not started"
    counts = Counter(label for c in candidates if (label := failure_label(c)) is not None)
    return counts.most_common(1)[0][0] if counts else "no candidates"


def task_table(results: EvalResults) -> Table:
    """One row per task: status, best speedup with its interval, roofline, why it failed, candidates, cost."""
    rows: list[list[str | Cell]] = []
    for task in results.tasks:
        candidates = results.candidates_of(task.task)
        rows.append(
            [
                task.task,
                task.family or fmt.DASH,
                Cell(str(task.status), STATUS_TONE[task.status]),
                fmt.speedup_interval(task.speedup, task.speedup_low, task.speedup_high),
                fmt.percent(task.roofline_fraction),
                failing_stage(task, candidates),
                str(len(candidates)),
                fmt.money(task.usage.cost),
            ]
        )
    headers = ["Task", "Family", "Status", "Best speedup [95% CI]", "Roofline", "Failing stage", "Candidates", "Cost"]
    return Table(headers, rows, numeric=frozenset({3, 4, 6, 7}))


def failure_table(counts: dict[str, int]) -> Table:
    """Rejected candidates per stage and reason."""
    return Table(["Stage: reason", "Candidates"], [[label, str(n)] for label, n in counts.items()], frozenset({1}))


def speedup_points(results: EvalResults) -> list[SpeedupPoint]:
    """The tasks that have a best speedup, with its interval."""
    return [
        SpeedupPoint(t.task, t.speedup, t.speedup_low, t.speedup_high)
        for t in results.tasks
        if t.speedup is not None and t.speedup > 0
    ]


def progress_curves(results: EvalResults) -> dict[str, list[float | None]]:
    """Per task with an accepted candidate, the best accepted speedup after each candidate verified."""
    curves: dict[str, list[float | None]] = {}
    for task in results.tasks:
        best: float | None = None
        curve: list[float | None] = []
        for c in results.candidates_of(task.task):
            if c.accepted and c.speedup is not None and c.speedup > 0:
                best = c.speedup if best is None else max(best, c.speedup)
            curve.append(best)
        if best is not None:
            curves[task.task] = curve
    return curves
