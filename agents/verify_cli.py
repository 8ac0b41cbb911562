"""``agent verify``: run the verification cascade on one candidate file and print its verdict.

Exit codes: 0 accepted, 1 rejected (or the verifier could not decide), 2 bad input. The verifiers are
imported when the command runs, not when the ``agent`` command line starts.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from tasks.configs.model import ConfigTask
    from verifiers import Verdict

console = Console()
err_console = Console(stderr=True)


def verify_command(
    task: Annotated[str, typer.Argument(help="Built-in task name or path to a task file.")],
    candidate_file: Annotated[
        Path, typer.Argument(help="C++ source defining the task's function; for a config task, a layout (JSON/YAML).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
    backend: Annotated[str, typer.Option(help="Sandbox backend: auto, docker or local.")] = "auto",
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Verify again even if a verdict is cached.")] = False,
    logs_dir: Annotated[Path | None, typer.Option(help="Where the stages' raw logs go (default: a temp dir).")] = None,
) -> None:
    """Verify a candidate: parse, compile, correctness, race and memory checks (then timing, anti-cheat).

    For a train_config or serve_config task the candidate is a layout file, checked for its shape,
    memory per GPU, predicted speed and framework configs (and, for training, a dry run).
    """
    from sandbox import open_sandbox
    from tasks import TaskFileError, resolve_task
    from tasks.model import KernelTask
    from verifiers import Candidate, ToolchainMissing, VerdictCache, default_cache_path, evaluate, preflight

    try:
        kernel_task = resolve_task(task)
    except TaskFileError as exc:
        err_console.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from None
    if not isinstance(kernel_task, KernelTask):
        raise typer.Exit(_verify_layout_file(kernel_task, candidate_file, as_json))
    try:
        source = candidate_file.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        err_console.print(f"cannot read {candidate_file}: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    try:
        sandbox = open_sandbox(backend)
    except ValueError as exc:
        err_console.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from None
    try:
        preflight(sandbox, kernel_task.targets)
    except ToolchainMissing as exc:
        sandbox.close()
        err_console.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from None
    logs = logs_dir or Path(tempfile.mkdtemp(prefix=f"paraforge-verify-{kernel_task.name}-"))
    cache = None if no_cache else VerdictCache(default_cache_path())
    try:
        with err_console.status(f"verifying {candidate_file.name} for {kernel_task.name}"):
            verdict = evaluate(
                kernel_task, Candidate(source=source, origin=str(candidate_file)), sandbox, logs_dir=logs, cache=cache
            )
    finally:
        sandbox.close()
        if cache is not None:
            cache.close()
    cached = cache is not None and cache.hits > 0
    if as_json:
        payload = {"accepted": verdict.accepted, "cached": cached, **verdict.model_dump(mode="json")}
        typer.echo(json.dumps(payload, indent=2))
    else:
        _print(verdict, candidate_file, cached)
    raise typer.Exit(0 if verdict.accepted else 1)


def _print(verdict: Verdict, candidate_file: Path, cached: bool) -> None:
    from agents.stage_table import stage_table

    table = stage_table(f"{candidate_file.name} for {verdict.task} v{verdict.task_version}", verdict.stages)
    console.print(table)
    if verdict.timing is not None:
        timing = verdict.timing
        console.print(
            f"speedup {timing.speedup:.2f}x (95% CI {timing.speedup_low:.2f}-{timing.speedup_high:.2f}) "
            f"with {timing.threads} threads on {timing.size}"
        )
    failure = verdict.failure
    if failure is None:
        console.print("[green]ACCEPTED[/green]")
    else:
        console.print(f"[red]REJECTED[/red] at {failure.stage.value}: {failure.reason}", highlight=False)
        console.print(failure.feedback, markup=False, highlight=False)
    logs = next((r.logs for r in verdict.stages if r.logs), None)
    if cached:
        console.print("(verdict from the cache; --no-cache verifies again)")
    elif logs:
        console.print(f"logs: {Path(logs).parent}", highlight=False)


def _verify_layout_file(task: ConfigTask, path: Path, as_json: bool) -> int:
    """Verify the layout in ``path`` for a config task; the exit code."""
    import yaml

    from agents.configsolve.view import print_config_verdict
    from tasks.configs.layout import TrainLayout
    from tasks.configs.model import TrainConfigTask
    from verifiers import StageStatus
    from verifiers.configs import LayoutError, dry_run_stage, parse_layout, verify_layout

    try:
        layout = parse_layout(task, yaml.safe_load(path.read_text()))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, LayoutError) as exc:
        err_console.print(f"{path}: {exc}", markup=False, highlight=False)
        return 2
    with err_console.status(f"verifying {path.name} for {task.name}"):
        verdict = verify_layout(task, layout)
        if verdict.accepted and isinstance(task, TrainConfigTask) and isinstance(layout, TrainLayout):
            dry_run = dry_run_stage(task, layout)
            verdict = verdict.model_copy(update={"stages": [*verdict.stages, dry_run]})
            if dry_run.status is StageStatus.failed:
                verdict = verdict.model_copy(update={"objective_value": None})
    if as_json:
        typer.echo(json.dumps({"accepted": verdict.accepted, **verdict.model_dump(mode="json")}, indent=2))
    else:
        print_config_verdict(console, verdict, path.name)
    return 0 if verdict.accepted else 1
