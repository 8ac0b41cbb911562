"""The page that sets two runs side by side: metadata, headline metrics with their deltas, per-task deltas."""

from __future__ import annotations

from evals.metrics import SuiteMetrics, TaskDelta
from evals.records import EvalResults, TaskResult, TaskStatus
from evals.report import formatting as fmt
from evals.report import plots
from evals.report.document import Cell, Columns, Document, Section, Table, Tone
from evals.report.headline import Metric, headline_groups, meta_fields
from evals.report.run_page import figure, speedup_alt
from evals.report.taskdata import STATUS_TONE, speedup_points


def comparison_document(
    a: EvalResults, b: EvalResults, metrics_a: SuiteMetrics, metrics_b: SuiteMetrics, deltas: list[TaskDelta]
) -> Document:
    """Everything the comparison of run ``a`` (the baseline) and run ``b`` shows, ready to render.

    Args:
        a: The baseline run.
        b: The run compared with it.
        metrics_a: ``a``'s headline metrics.
        metrics_b: ``b``'s headline metrics.
        deltas: ``evals.metrics.compare_tasks(a, b)``.

    Returns:
        The page.
    """
    points = {f"A: {a.meta.run_id}": speedup_points(a), f"B: {b.meta.run_id}": speedup_points(b)}
    draw = (lambda: plots.speedup_chart(points)) if any(points.values()) else None
    alt = speedup_alt([p for series in points.values() for p in series], "Best speedup per task, run A beside run B")
    sections = [
        Section("Runs", [_meta_table(a, b)]),
        Section("Headline metrics", [_headline_tables(metrics_a, metrics_b)]),
        Section("Tasks", [_delta_table(a, b, deltas)]),
        Section("Speedup per task, A and B", [figure(alt, draw, "neither run has a measured speedup")]),
    ]
    title = f"ParaForge comparison: {a.meta.run_id} (A) and {b.meta.run_id} (B)"
    return Document(title, f"{a.meta.suite} against {b.meta.suite}; deltas read B relative to A", sections)


def _meta_table(a: EvalResults, b: EvalResults) -> Table:
    fields_a, fields_b = (dict(f for group in meta_fields(r.meta).values() for f in group) for r in (a, b))
    labels = list(dict.fromkeys([*fields_a, *fields_b]))
    rows = [[label, fields_a.get(label, fmt.DASH), fields_b.get(label, fmt.DASH)] for label in labels]
    return Table(["Field", "A", "B"], rows)


def _headline_tables(metrics_a: SuiteMetrics, metrics_b: SuiteMetrics) -> Columns:
    tables = []
    for group_a, group_b in zip(headline_groups(metrics_a), headline_groups(metrics_b), strict=True):
        by_label_a = {m.label: m for m in group_a.metrics}
        by_label_b = {m.label: m for m in group_b.metrics}
        rows: list[list[str | Cell]] = []
        for label in dict.fromkeys([*by_label_a, *by_label_b]):
            metric_a, metric_b = by_label_a.get(label), by_label_b.get(label)
            delta = metric_a.delta(metric_b) if metric_a and metric_b else fmt.DASH
            rows.append([label, _text(metric_a), _text(metric_b), delta])
        tables.append(Table([group_a.name, "A", "B", "Δ"], rows, frozenset({1, 2, 3})))
    return Columns(tables)


def _text(metric: Metric | None) -> str:
    return metric.text if metric is not None else fmt.DASH


def _delta_table(a: EvalResults, b: EvalResults, deltas: list[TaskDelta]) -> Table:
    tasks_a = {t.task: t for t in a.tasks}
    tasks_b = {t.task: t for t in b.tasks}
    rows: list[list[str | Cell]] = []
    for d in deltas:
        ratio_tone: Tone | None = None
        if d.ratio is not None:
            ratio_tone = ("good" if d.ratio > 1 else "bad") if d.significant else "muted"
        rows.append(
            [
                d.task,
                Cell(f"{_status(d.status_a)} → {_status(d.status_b)}", _status_tone(d.status_a, d.status_b)),
                _speedup(d.speedup_a, tasks_a.get(d.task)),
                _speedup(d.speedup_b, tasks_b.get(d.task)),
                Cell(fmt.DASH if d.ratio is None else f"{d.ratio:.2f}x", ratio_tone),
                fmt.DASH if d.ratio is None else ("yes" if d.significant else "no"),
            ]
        )
    headers = ["Task", "Status A → B", "Speedup A [95% CI]", "Speedup B [95% CI]", "B / A", "Significant"]
    return Table(headers, rows, numeric=frozenset({2, 3, 4}))


def _status(status: TaskStatus | None) -> str:
    return "absent" if status is None else str(status)


def _status_tone(a: TaskStatus | None, b: TaskStatus | None) -> Tone | None:
    """Green when B solves what A did not, red when B loses a task A solved, else B's own tone."""
    if (a == TaskStatus.solved) != (b == TaskStatus.solved):
        return "good" if b == TaskStatus.solved else "bad"
    return STATUS_TONE[b] if b is not None else "muted"


def _speedup(value: float | None, task: TaskResult | None) -> str:
    if task is None:
        return fmt.speedup(value)
    return fmt.speedup_interval(value, task.speedup_low, task.speedup_high)
