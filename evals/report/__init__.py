"""Reports of evaluation runs: one self-contained HTML page and a Markdown summary.

>>> from evals.report import write_report, write_comparison
>>> files = write_report(results, Path("runs/eval-1"))           # report.html, report.md
>>> write_comparison(baseline, results, Path("runs/compare"))    # comparison.html, comparison.md

The page is built once as a format-free document (``run_page.py``, ``comparison_page.py``) and rendered to
HTML (``html.py``, with the figures of ``plots.py``) and to Markdown (``markdown.py``). matplotlib is imported
only when a figure is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evals import metrics
from evals.records import EvalResults
from evals.report.comparison_page import comparison_document
from evals.report.document import Document
from evals.report.html import render_html
from evals.report.markdown import render_markdown
from evals.report.run_page import run_document

__all__ = ["ReportFiles", "write_comparison", "write_report"]


@dataclass(frozen=True)
class ReportFiles:
    """The files a report was written to."""

    html: Path
    markdown: Path


def write_report(results: EvalResults, out_dir: Path, *, title: str | None = None) -> ReportFiles:
    """Write the report of one run: ``out_dir/report.html`` and ``out_dir/report.md``.

    Args:
        results: The run's records.
        out_dir: Where to write (created when missing).
        title: The page title; by default the suite and the run id.

    Returns:
        The two files' paths.
    """
    document = run_document(results, metrics.suite_metrics(results), title)
    return _write(document, out_dir, "report")


def write_comparison(a: EvalResults, b: EvalResults, out_dir: Path) -> ReportFiles:
    """Write two runs side by side: ``out_dir/comparison.html`` and ``out_dir/comparison.md``.

    Args:
        a: The baseline run.
        b: The run compared with it; deltas and ratios read ``b`` relative to ``a``.
        out_dir: Where to write (created when missing).

    Returns:
        The two files' paths.
    """
    document = comparison_document(
        a, b, metrics.suite_metrics(a), metrics.suite_metrics(b), metrics.compare_tasks(a, b)
    )
    return _write(document, out_dir, "comparison")


def _write(document: Document, out_dir: Path, stem: str) -> ReportFiles:
    out_dir.mkdir(parents=True, exist_ok=True)
    files = ReportFiles(out_dir / f"{stem}.html", out_dir / f"{stem}.md")
    files.html.write_text(render_html(document), encoding="utf-8")
    files.markdown.write_text(render_markdown(document, files.html.name), encoding="utf-8")
    return files
