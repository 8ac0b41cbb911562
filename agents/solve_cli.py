"""``agent solve``: solve one task and show the run as it goes.

The solver (langgraph, the tasks and verifiers) is imported when the command runs, not when the
``agent`` command line starts.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

if TYPE_CHECKING:
    from agents.rundir import RunDir
    from tasks import Task

console = Console()
err_console = Console(stderr=True)


def solve_command(
    task: Annotated[str | None, typer.Argument(help="Task file or built-in task name.")] = None,
    config_file: Annotated[
        Path | None, typer.Option("--config", help="YAML file of solve settings; options given here override it.")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(help="litellm model (openai/..., anthropic/...); default $PARAFORGE_MODEL, else offline."),
    ] = None,
    api_base: Annotated[str | None, typer.Option(help="Base URL of an OpenAI-compatible server.")] = None,
    candidates: Annotated[Path | None, typer.Option(help="Evaluate and evolve candidates from this directory.")] = None,
    population: Annotated[int | None, typer.Option(help="Candidates per generation [4].")] = None,
    generations: Annotated[int | None, typer.Option(help="Generations at most [3].")] = None,
    max_cost: Annotated[float | None, typer.Option(help="US dollars of model usage at most.")] = None,
    max_candidates: Annotated[int | None, typer.Option(help="Candidates verified at most.")] = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds at most (the run stops between steps).")] = None,
    repair_rounds: Annotated[
        int | None, typer.Option(help="Repairs per failed candidate, model proposers [2].")
    ] = None,
    backend: Annotated[str | None, typer.Option(help="Sandbox backend: auto, docker or local [auto].")] = None,
    runs_dir: Annotated[Path, typer.Option(help="Where run directories go.")] = Path("runs"),
    resume: Annotated[str | None, typer.Option(help="Continue the run with this id.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON only.")] = False,
) -> None:
    """Solve a task: propose, verify, repair, select and evolve candidates, then publish the winner."""
    from pydantic import ValidationError
    from rich.live import Live

    from agents.configsolve.view import print_config_summary
    from agents.graph.recheck import EnvironmentFailure
    from agents.solve import solve
    from agents.solve_config import ProposerKind, SolveConfig
    from sandbox import SandboxUnavailable
    from tasks import TaskFileError
    from verifiers import ToolchainMissing

    config = None
    if resume is None:
        if task is None:
            err_console.print("give a task, or --resume RUN_ID")
            raise typer.Exit(2)
        settings = read_settings(config_file)
        model = model or (settings.get("model") or {}).get("model") or os.environ.get("PARAFORGE_MODEL")
        overrides = {
            "task": task,
            "population": population,
            "repair_rounds": repair_rounds,
            "backend": backend,
            "candidates_dir": candidates.resolve() if candidates else None,
        }
        budget = {"generations": generations, "max_cost": max_cost, "max_candidates": max_candidates,
                  "time_limit_s": time_limit}  # fmt: skip
        settings.update({k: v for k, v in overrides.items() if v is not None})
        settings["budget"] = {**settings.get("budget", {}), **{k: v for k, v in budget.items() if v is not None}}
        if model:
            settings["model"] = {**settings.get("model", {}), "model": model}
            if api_base:
                settings["model"]["api_base"] = api_base
        if "proposer" not in settings:
            kind = ProposerKind.directory if candidates else ProposerKind.llm if model else ProposerKind.offline
            settings["proposer"] = kind.value
        try:
            config = SolveConfig.model_validate(settings)
        except ValidationError as exc:
            err_console.print(f"[red]invalid settings: {exc}[/red]", highlight=False)
            raise typer.Exit(2) from None
    view = ProgressView()
    try:
        with Live(view.render(), console=err_console, refresh_per_second=4, transient=as_json) as live:
            summary = solve(
                config,
                runs_dir,
                resume=resume,
                on_start=view.start,
                progress=lambda node, state: live.update(view.update(node, state)),
            )
    except (TaskFileError, FileNotFoundError, NotADirectoryError) as exc:
        err_console.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    except (ToolchainMissing, SandboxUnavailable, EnvironmentFailure) as exc:  # the environment, not the task
        hint = f"\nOnce it is fixed, continue with: agent solve --resume {view.run_id}"
        err_console.print(f"[red]{escape(str(exc))}[/red]{escape(hint)}", highlight=False)
        raise typer.Exit(2) from None
    summary["report_html"] = _write_report(Path(summary["run_dir"]))
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    elif "kind" in summary:
        print_config_summary(console, summary)
    else:
        _print_summary(summary)
    raise typer.Exit(0 if summary.get("winner") else 1)


def _write_report(run_dir: Path) -> str | None:
    """The run's HTML and Markdown report (as ``agent report`` writes it); a report that fails is only a warning."""
    from evals.report import write_report
    from evals.solve_results import results_from_solve_run

    try:
        return str(write_report(results_from_solve_run(run_dir), run_dir).html)
    except (OSError, ValueError, KeyError) as exc:
        err_console.print(f"[yellow]no report written: {exc}[/yellow]", highlight=False)
        return None


def read_settings(path: Path | None) -> dict[str, Any]:
    import yaml

    if path is None:
        return {}
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        err_console.print(f"[red]cannot read settings {path}: {exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    if not isinstance(data, dict):
        err_console.print(f"[red]{path}: expected a mapping of solve settings[/red]", highlight=False)
        raise typer.Exit(2)
    return data


class ProgressView:
    """The live panel: generation, counts, failures by stage, best speedup, tokens and cost."""

    def __init__(self) -> None:
        self.run_id = "…"
        self.node = "starting"
        self.state: dict[str, Any] = {}
        self.config_task = False

    def start(self, run: RunDir, task: Task) -> None:
        from tasks.model import KernelTask

        self.run_id = run.run_id
        self.config_task = not isinstance(task, KernelTask)

    def update(self, node: str, state: dict[str, Any]) -> Panel:
        self.node, self.state = node, state
        return self.render()

    def render(self) -> Panel:
        from agents.graph.records import failures_by_stage
        from tasks.model import size_text

        if self.config_task:
            from agents.configsolve.view import config_progress

            return config_progress(self.run_id, self.node, self.state)
        state = self.state
        results = state.get("results", [])
        failures = failures_by_stage(results)
        usage = state.get("usage", {})
        best = state.get("best")
        table = Table.grid(padding=(0, 2))
        table.add_row("run", self.run_id)
        table.add_row("generation", str(state.get("generation", 0)), "step", self.node)
        table.add_row("proposed", str(len(state.get("proposals", []))), "verified",
                      str(sum(1 for r in results if r.get("verdict"))))  # fmt: skip
        table.add_row("failed", ", ".join(f"{k} {v}" for k, v in sorted(failures.items())) or "none")
        if finalists := state.get("finalists"):
            table.add_row("final", f"{len(state.get('finals', []))}/{len(finalists)} finalists timed at the bench size")
        if best:
            timing = best["timing"]
            table.add_row("best", f"{timing['speedup']:.2f}x [{timing['speedup_low']:.2f}, "
                          f"{timing['speedup_high']:.2f}] on {timing['threads']} threads "
                          f"at {size_text(timing['size'])}")  # fmt: skip
        table.add_row("tokens", f"{usage.get('prompt_tokens', 0)} in / {usage.get('completion_tokens', 0)} out",
                      "cost", f"${usage.get('cost', 0.0):.4f}")  # fmt: skip
        return Panel(table, title="agent solve", expand=False)


def _print_summary(summary: dict[str, Any]) -> None:
    from rich.syntax import Syntax

    from tasks.model import size_text

    table = Table(title=f"run {summary['run_id']} — {summary['task']}")
    for column in ("generations", "proposed", "verified", "failed by stage", "stopped because"):
        table.add_column(column)
    failures = ", ".join(f"{k}: {v}" for k, v in sorted(summary["failed_by_stage"].items())) or "none"
    table.add_row(str(summary["generations"]), str(summary["proposed"]), str(summary["verified"]), failures,
                  str(summary["stop_reason"]))  # fmt: skip
    console.print(table)
    if summary.get("finals"):
        console.print(_finals_table(summary["finals"]))
    winner = summary.get("winner")
    if winner is None and summary.get("finals"):
        console.print("[yellow]no finalist passed verification at the bench size[/yellow]")
    elif winner is None:
        console.print("[yellow]no candidate passed verification[/yellow]")
    else:
        console.print(Group(
            f"[bold green]winner[/bold green] {winner['speedup']:.2f}x "
            f"(95% CI {winner['speedup_low']:.2f}-{winner['speedup_high']:.2f}) on {winner['threads']} threads "
            f"at {size_text(winner['size'])}, "
            f"from {winner['origin']}",
            Syntax(winner["source"], "cpp", line_numbers=True),
        ))  # fmt: skip
        if summary.get("stored_at"):
            console.print(f"stored in {summary['stored_at']}")
    console.print(f"run directory: {summary['run_dir']}")
    if summary.get("report_html"):
        console.print(f"report: {summary['report_html']}")


def _finals_table(finals: list[dict[str, Any]]) -> Table:
    """The finalists' speedups at the screen size and at the bench size."""
    table = Table("finalist", "screen speedup", "bench speedup", title="final at the bench size")
    for final in finals:
        bench = f"{final['speedup']:.2f}x" if final["speedup"] is not None else f"failed ({final['failure']})"
        table.add_row(final["digest"][:12], f"{final['screen_speedup']:.2f}x", bench)
    return table
