"""``agent import``: problems and recorded answers from other benchmarks, as ParaForge tasks and candidates.

Exit codes: 0 imported (problems that cannot convert are listed, not errors); 2 bad input (a path
that is not a checkout, a missing prompts or outputs file, an unknown or unimportable model).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from evals.pareval import ImportReport

import_app = typer.Typer(help="Import problems and recorded answers from other benchmarks.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)


@import_app.callback()
def _group() -> None:
    """Import problems and recorded answers from other benchmarks."""


@import_app.command("pareval")
def pareval_command(
    checkout: Annotated[Path, typer.Argument(help="A ParEval checkout (github.com/parallelcodefoundry/ParEval).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for tasks/, candidates/ and the import report.")],
    model: Annotated[str, typer.Option("--model", help="ParEval execution model: omp or serial.")] = "omp",
    outputs: Annotated[
        Path | None,
        typer.Option(
            "--outputs", help="ParEval generated-outputs JSON (or run-all.py results) to turn into candidates."
        ),
    ] = None,
    prompts: Annotated[
        Path | None, typer.Option("--prompts", help="Prompts file to use instead of prompts/generation-prompts.json.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the import report as JSON.")] = False,
) -> None:
    """Convert ParEval problems into ParaForge task files (and recorded model outputs into candidates)."""
    from evals.pareval import ParEvalError, import_pareval

    try:
        report = import_pareval(checkout, model, out, outputs=outputs, prompts=prompts)
    except ParEvalError as exc:
        err_console.print(Text(str(exc), style="red"))
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    _print_report(report, out)


def _print_report(report: ImportReport, out: Path) -> None:
    from evals.pareval import CANDIDATES_DIR, REPORT_FILE, TASKS_DIR

    total = len(report.converted) + len(report.skipped)
    table = Table(title=f"ParEval {report.model} prompts -> ParaForge tasks ({total} problems)")
    for column in ("outcome", "count", "problems"):
        table.add_column(column, overflow="fold")
    converted = ", ".join(p.problem.split("_", 1)[0] for p in report.converted)  # ParEval's numbers: short
    table.add_row("[green]converted[/green]", str(len(report.converted)), converted)
    table.add_row("[yellow]skipped[/yellow]", str(len(report.skipped)), "")
    for reason, count in report.skipped_by_reason.items():
        names = ", ".join(s.problem for s in report.skipped if s.reason.value == reason)
        table.add_row(f"  {reason}", str(count), names)
    console.print(table)
    if report.candidates is not None:
        summary = report.candidates
        verdicts = sum(t.with_verdicts for t in summary.tasks)
        unmatched = sum(u.samples for u in summary.unmatched)
        console.print(
            f"candidates: {summary.written} sample(s) for {len(summary.tasks)} task(s) in {out / CANDIDATES_DIR}"
            f" ({verdicts} with ParEval's verdicts); {unmatched} sample(s) of {len(summary.unmatched)} "
            f"entr{'y' if len(summary.unmatched) == 1 else 'ies'} not used",
            markup=False,
            highlight=False,
        )
    console.print(
        f"tasks in {out / TASKS_DIR}; reasons for every skip in {out / REPORT_FILE}", markup=False, highlight=False
    )
