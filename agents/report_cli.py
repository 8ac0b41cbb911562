"""``agent report``: the HTML and Markdown report of a run, or two runs side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
err_console = Console(stderr=True)


def report_command(
    run: Annotated[Path, typer.Argument(help="An eval or solve run directory.")],
    other: Annotated[Path | None, typer.Argument(help="A second run: compare the two, task by task.")] = None,
    out: Annotated[Path | None, typer.Option(help="Where the report goes [the (first) run directory].")] = None,
) -> None:
    """Write report.html (self-contained, with plots) and report.md for a run, or comparison.* for two."""
    from evals.load import NotARunError, load_results
    from evals.report import write_comparison, write_report

    try:
        first = load_results(run)
        second = load_results(other) if other is not None else None
    except NotARunError as exc:
        err_console.print(f"[red]{escape(str(exc))}[/red]", highlight=False)
        raise typer.Exit(2) from None
    target = out or run
    target.mkdir(parents=True, exist_ok=True)
    files = write_comparison(first, second, target) if second is not None else write_report(first, target)
    console.print(f"{files.html}\n{files.markdown}")
