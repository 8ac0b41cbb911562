"""``agent eval``: a batch evaluation over a task suite, with a live display and a report at the end.

The evaluation is imported when the command runs, not when the ``agent`` command line starts.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

if TYPE_CHECKING:
    from evals.config import EvalConfig
    from evals.progress import EvalProgress
    from evals.records import EvalResults

console = Console()
err_console = Console(stderr=True)


def eval_command(
    suite: Annotated[str, typer.Argument(help="builtin, configs, or a folder of task files.")],
    samples: Annotated[int | None, typer.Option(help="Independent candidates per task, for pass@k [1].")] = None,
    solve: Annotated[bool, typer.Option("--solve", help="A full solve per task (generations, tournament).")] = False,
    model: Annotated[
        str | None, typer.Option(help="litellm model; default $PARAFORGE_MODEL, else the offline proposer.")
    ] = None,
    api_base: Annotated[str | None, typer.Option(help="Base URL of an OpenAI-compatible server.")] = None,
    candidates: Annotated[
        Path | None, typer.Option(help="Judge recorded candidates: one subfolder of sources per task.")
    ] = None,
    threads: Annotated[str | None, typer.Option(help="Thread counts to time the winners at, e.g. 1,2,4.")] = None,
    workers: Annotated[int | None, typer.Option(help="Candidate verifications at once [cores + 1].")] = None,
    executor: Annotated[str, typer.Option(help="local or ray.")] = "local",
    ray_address: Annotated[
        str | None, typer.Option(help="Ray cluster: auto (this node's), HOST:PORT or ray://HOST:PORT.")
    ] = None,
    backend: Annotated[str, typer.Option(help="Sandbox backend: auto, docker or local.")] = "auto",
    out: Annotated[Path | None, typer.Option(help="Run directory; an existing one is resumed.")] = None,
    max_cost: Annotated[float | None, typer.Option(help="US dollars of model usage at most.")] = None,
    time_limit: Annotated[
        float | None, typer.Option(help="Seconds at most; unstarted work is left for a resume.")
    ] = None,
    config_file: Annotated[
        Path | None, typer.Option("--config", help="YAML of eval settings (solve:, verify:, ...).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON only.")] = False,
) -> None:
    """Evaluate a suite: judge every task's candidates, compute pass@k, speedups and fast_p, write a report."""
    from rich.live import Live

    from agents.rundir import new_run_id
    from evals.executors import ExecutorUnavailable
    from evals.progress import EvalProgress
    from evals.records import TaskStatus
    from evals.runner import RunMismatch, prepare_run_dir, run_eval
    from evals.suites import SuiteError, load_suite
    from verifiers import ToolchainMissing

    config = _config(suite, samples, solve, model, api_base, candidates, threads, workers, executor, ray_address,
                     backend, max_cost, time_limit, config_file)  # fmt: skip
    run_dir = out or Path("runs") / f"eval-{new_run_id()}"
    progress = EvalProgress()
    try:
        load_suite(config.suite)
        prepare_run_dir(config, run_dir)
        with Live(console=err_console, refresh_per_second=2, transient=as_json,
                  get_renderable=lambda: _progress_panel(run_dir, progress)):  # fmt: skip
            results = run_eval(config, run_dir, progress=progress)
    except (SuiteError, RunMismatch, ExecutorUnavailable, ToolchainMissing, ValueError) as exc:
        err_console.print(f"[red]{escape(str(exc))}[/red]", highlight=False)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        resume = f"run again with --out {escape(str(run_dir))} to resume"
        err_console.print(f"interrupted; what was judged is kept: {resume}")
        raise typer.Exit(130) from None
    report = write_run_report(results, run_dir)
    if as_json:
        typer.echo(json.dumps(_json_summary(results, run_dir, report, progress), indent=2))
    else:
        print_results(results, progress)
        console.print(f"report: {report}\nrun directory: {run_dir} (run again with --out {run_dir} to resume)")
    unfinished = [t for t in results.tasks if t.status in (TaskStatus.error, TaskStatus.skipped)]
    raise typer.Exit(1 if unfinished else 0)


def _config(
    suite: str, samples: int | None, solve: bool, model: str | None, api_base: str | None, candidates: Path | None,
    threads: str | None, workers: int | None, executor: str, ray_address: str | None, backend: str,
    max_cost: float | None, time_limit: float | None, config_file: Path | None,
) -> EvalConfig:  # fmt: skip
    from pydantic import ValidationError

    from agents.solve_cli import read_settings
    from evals.config import EvalConfig
    from evals.records import EvalMode

    settings = read_settings(config_file)
    model = model or (settings.get("model") or {}).get("model") or os.environ.get("PARAFORGE_MODEL")
    if solve and candidates:
        err_console.print("[red]--solve and --candidates exclude each other[/red]")
        raise typer.Exit(2)
    mode = EvalMode.solve if solve else EvalMode.candidates if candidates else EvalMode.samples
    try:
        thread_counts = [int(part) for part in threads.split(",")] if threads else None
    except ValueError:
        err_console.print(f"[red]--threads: expected comma-separated integers, got {threads!r}[/red]")
        raise typer.Exit(2) from None
    overrides = {
        "suite": suite, "mode": mode.value, "samples": samples, "threads": thread_counts, "workers": workers,
        "executor": executor, "ray_address": ray_address, "backend": backend, "max_cost": max_cost,
        "time_limit_s": time_limit, "candidates_dir": str(candidates.resolve()) if candidates else None,
    }  # fmt: skip
    settings.update({key: value for key, value in overrides.items() if value is not None})
    if model and not candidates:
        settings["model"] = {**settings.get("model", {}), "model": model}
        if api_base:
            settings["model"]["api_base"] = api_base
    try:
        return EvalConfig.model_validate(settings)
    except ValidationError as exc:
        err_console.print(f"[red]invalid settings: {escape(str(exc))}[/red]", highlight=False)
        raise typer.Exit(2) from None


def _progress_panel(run_dir: Path, progress: EvalProgress) -> Panel:
    grid = Table.grid(padding=(0, 2))
    minutes, seconds = divmod(int(progress.elapsed_s), 60)
    grid.add_row("run", escape(str(run_dir)), "elapsed", f"{minutes}m{seconds:02d}s")
    grid.add_row("tasks", f"{progress.done}/{progress.total} done", "solved", str(progress.solved))
    grid.add_row("failed", str(progress.failed), "skipped", str(progress.skipped))
    grid.add_row("candidates", f"{progress.verified} verified", "reused", str(progress.reused))
    grid.add_row("running", escape(", ".join(progress.running[:6]) or "-"), "cost", f"${progress.cost:.4f}")
    return Panel(grid, title="agent eval", expand=False)


def write_run_report(results: EvalResults, run_dir: Path) -> Path:
    """Write the run's HTML and Markdown report into ``run_dir``; the HTML file's path."""
    from evals.report import write_report

    return write_report(results, run_dir).html


def print_results(results: EvalResults, progress: EvalProgress | None = None) -> None:
    """The per-task table and the headline metrics."""
    from evals.metrics import suite_metrics
    from evals.report.taskdata import failing_stage

    table = Table(title=f"{results.meta.suite}: {results.meta.mode.value}")
    for column in ("task", "status", "best speedup [95% CI]", "roofline", "failed at / why", "candidates"):
        table.add_column(column)
    for task in results.tasks:
        rows = results.candidates_of(task.task)
        speedup = f"{task.speedup:.2f}x [{task.speedup_low:.2f}, {task.speedup_high:.2f}]" if task.speedup else "-"
        roofline = f"{task.roofline_fraction:.0%}" if task.roofline_fraction is not None else "-"
        why = task.summary or failing_stage(task, rows)
        table.add_row(escape(task.task), task.status.value, speedup, roofline, escape(why), str(len(rows)))
    console.print(table)
    metrics = suite_metrics(results)
    lines = [f"solved {metrics.solved}/{metrics.tasks}"]
    lines += [f"pass@{k} {value:.2f}" for k, value in metrics.pass_at_k.items()]
    lines += [f"fast_{p:g} {value:.2f}" for p, value in metrics.verified_fast_p.items()]
    if metrics.geomean_speedup is not None:
        g = metrics.geomean_speedup
        lines.append(f"geomean speedup {g.value:.2f}x [{g.low:.2f}, {g.high:.2f}]")
    lines.append(f"cost ${metrics.cost:.4f}")
    console.print(" · ".join(lines))
    if progress is not None:
        console.print(f"{progress.verified} candidates verified now, {progress.reused} reused from earlier")


def _json_summary(results: EvalResults, run_dir: Path, report: Path, progress: EvalProgress) -> dict[str, Any]:
    from evals.metrics import suite_metrics

    return {
        "run_dir": str(run_dir),
        "report": str(report),
        "verified_now": progress.verified,
        "reused": progress.reused,
        "metrics": suite_metrics(results).model_dump(mode="json"),
        "tasks": [task.model_dump(mode="json") for task in results.tasks],
    }
