"""The page of one run: metadata, headline metrics, the task table, the plots and the benchmark comparison."""

from __future__ import annotations

from collections.abc import Callable

from evals.metrics import ExternalAgreement, SuiteMetrics
from evals.records import EvalResults, RunMeta
from evals.report import plots
from evals.report.document import Block, Cards, Columns, Document, Figure, Note, Section, Table
from evals.report.headline import headline_cards, headline_groups, meta_fields, proposer
from evals.report.taskdata import failure_counts, failure_table, progress_curves, speedup_points, task_table


def run_document(results: EvalResults, metrics: SuiteMetrics, title: str | None = None) -> Document:
    """Everything the report of one run shows, ready to render.

    Args:
        results: The run's records.
        metrics: Its headline metrics (``evals.metrics.suite_metrics(results)``).
        title: The page title; by default the suite and the run id.

    Returns:
        The page.
    """
    meta = results.meta
    sections = [
        Section("Run", [_meta_tables(meta)]),
        Section("Headline metrics", [Cards(headline_cards(metrics)), _headline_tables(metrics)]),
        Section("Tasks", [task_table(results)]),
        _speedup_section(results),
        _progress_section(results),
        _failure_section(results),
        _pass_at_k_section(metrics),
        _scaling_section(results),
    ]
    if metrics.external:
        sections.append(Section("External benchmarks", _external_tables(metrics.external)))
    subtitle = f"{meta.mode} run of {meta.suite} by {proposer(meta)}"
    return Document(title or f"ParaForge eval: {meta.suite} ({meta.run_id})", subtitle, sections)


def _meta_tables(meta: RunMeta) -> Columns:
    return Columns([Table([name, ""], [list(field) for field in fields]) for name, fields in meta_fields(meta).items()])


def _headline_tables(metrics: SuiteMetrics) -> Columns:
    return Columns(
        [
            Table([group.name, "Value"], [[m.label, m.text] for m in group.metrics], frozenset({1}))
            for group in headline_groups(metrics)
        ]
    )


def figure(alt: str, draw: Callable[[], bytes] | None, missing: str) -> Figure:
    """A figure drawn by ``draw``, or the note ``missing`` when there is nothing to draw (``draw`` None)."""
    return Figure(alt, draw() if draw is not None else None, missing)


def speedup_alt(points: list[plots.SpeedupPoint], what: str) -> str:
    """Alternative text of a speedup chart: what it shows and the range of its values."""
    values = [p.value for p in points]
    spread = f", from {min(values):.2f}x to {max(values):.2f}x" if values else ""
    return f"{what}: {len(values)} speedups with 95% intervals on a log axis{spread}; a dotted line marks 1x."


def _speedup_section(results: EvalResults) -> Section:
    points = speedup_points(results)
    draw = (lambda: plots.speedup_chart({"best": points})) if points else None
    alt = speedup_alt(points, "Best speedup per task")
    return Section("Speedup per task", [figure(alt, draw, "no task has a measured speedup")])


def _progress_section(results: EvalResults) -> Section:
    curves = progress_curves(results)
    draw = (lambda: plots.progress_chart(curves)) if curves else None
    longest = max((len(curve) for curve in curves.values()), default=0)
    alt = (
        f"Best speedup so far against candidates verified, one line for each of {len(curves)} tasks, "
        f"up to {longest} candidates."
    )
    missing = "no candidate was accepted, so there is no progress to draw"
    return Section("Best speedup so far", [figure(alt, draw, missing)])


def _failure_section(results: EvalResults) -> Section:
    counts = failure_counts(results)
    if not counts:
        return Section("Failures", [Note("no candidate was rejected")])
    total = sum(counts.values())
    alt = f"Rejected candidates by stage and reason: {total} in {len(counts)} kinds, the most frequent on top."
    return Section("Failures", [figure(alt, lambda: plots.failure_chart(counts), ""), failure_table(counts)])


def _pass_at_k_section(metrics: SuiteMetrics) -> Section:
    curves = {"pass@k": metrics.pass_at_k, "build@k": metrics.build_at_k}
    if not metrics.ks:
        missing = "no candidates were judged"
    elif len(metrics.ks) == 1:
        missing = f"pass@k measured at k={metrics.ks[0]} only: a curve needs several samples per task (--samples)"
    else:
        missing = ""
    draw = (lambda: plots.pass_at_k_chart(curves)) if not missing else None
    alt = f"pass@k and build@k for k in {', '.join(map(str, metrics.ks))}."
    return Section("pass@k", [figure(alt, draw, missing)])


def _scaling_section(results: EvalResults) -> Section:
    scaling = {t.task: t.scaling for t in results.tasks if t.scaling}
    draw = (lambda: plots.scaling_chart(scaling)) if scaling else None
    threads = sorted({timing.threads for timings in scaling.values() for timing in timings})
    alt = (
        f"Speedup against threads ({', '.join(map(str, threads))}) for {len(scaling)} tasks, "
        "with 95% intervals and a dashed line for ideal linear scaling."
    )
    return Section("Thread scaling", [figure(alt, draw, "no thread scaling measured: run with --threads")])


def _external_tables(agreements: list[ExternalAgreement]) -> list[Block]:
    """How often each benchmark and ParaForge agree, and why ParaForge rejected what the benchmark accepted."""
    counts = [
        [
            a.source,
            str(a.both_accept + a.benchmark_only_accepts),
            str(a.both_accept + a.paraforge_only_accepts),
            str(a.both_accept),
            str(a.both_reject),
            str(a.benchmark_only_accepts),
            str(a.paraforge_only_accepts),
        ]
        for a in agreements
    ]
    headers = ["Benchmark", "Benchmark accepts", "ParaForge accepts", "Both accept", "Both reject"]
    headers += ["Only the benchmark accepts", "Only ParaForge accepts"]
    blocks: list[Block] = [Table(headers, counts, numeric=frozenset(range(1, 7)))]
    reasons = [
        [a.source, reason, str(n)]
        for a in agreements
        for reason, n in sorted(a.rejections_by_reason.items(), key=lambda item: (-item[1], item[0]))
    ]
    if reasons:
        caption = "Why ParaForge rejected answers the benchmark scored valid"
        blocks.append(Table(["Benchmark", "ParaForge's reason", "Answers"], reasons, frozenset({2}), caption))
    return blocks
