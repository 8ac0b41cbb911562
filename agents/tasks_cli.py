"""``agent tasks``: list, show and check tasks.

Tasks, sandboxes and verifiers are imported when a command runs, not when the ``agent`` command line starts.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from tasks import Task
    from verifiers import TaskCheck

tasks_app = typer.Typer(help="List, show and check tasks.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


def _load(name: str) -> Task:
    from tasks import TaskFileError, resolve_task

    try:
        return resolve_task(name)
    except TaskFileError as exc:
        _plain(err_console, str(exc), style="red")
        raise typer.Exit(2) from None


@tasks_app.command("list")
def list_tasks(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the built-in suite: kernel tasks, then training and serving configuration tasks."""
    from tasks import config_suite_tasks, suite_tasks

    tasks = suite_tasks()
    if as_json:
        rows = [{"name": t.name, "kind": t.kind.value, "family": t.family.value, "targets": t.targets, "tags": t.tags}
                for t in tasks]  # fmt: skip
        rows += [{"name": t.name, "kind": t.kind.value, "model": t.model.name, "gpus": t.cluster.world_size,
                  "gpu": t.cluster.gpu, "frameworks": t.frameworks} for t in config_suite_tasks()]  # fmt: skip
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"Built-in suite ({len(tasks)} tasks)")
    for column in ("name", "family", "targets", "tags", "signature"):
        table.add_column(column)
    for task in tasks:
        table.add_row(
            task.name,
            task.family.value,
            ", ".join(task.targets),
            escape(", ".join(task.tags)),
            task.signature.prototype(),
        )
    console.print(table)
    configs = Table(title="Training and serving configuration tasks")
    for column in ("name", "kind", "model", "cluster", "frameworks"):
        configs.add_column(column)
    for task in config_suite_tasks():
        cluster = f"{task.cluster.world_size} x {task.cluster.gpu}"
        frameworks = ", ".join(framework.value for framework in task.frameworks)
        configs.add_row(task.name, task.kind.value, task.model.name, cluster, frameworks)
    console.print(configs)


@tasks_app.command("show")
def show_task(
    name: Annotated[str, typer.Argument(help="Built-in task name or path to a task file.")],
    driver: Annotated[bool, typer.Option("--driver", help="Also print the generated C++ driver.")] = False,
) -> None:
    """Show a task: description, signature, sizes and reference (model, cluster and workload for configs)."""
    from rich.syntax import Syntax

    from tasks.harness import driver_source
    from tasks.model import KernelTask

    task = _load(name)
    if not isinstance(task, KernelTask):
        from agents.configsolve.view import print_config_task

        print_config_task(console, task)
        return
    console.rule(f"[bold]{task.name}[/bold] v{task.version} ({task.family.value})")
    console.print(task.description.strip(), markup=False, highlight=False)
    console.print(f"\n[bold]signature[/bold]  {task.signature.prototype()}")
    table = Table("param", "dtype", "role", "shape / value")
    for p in task.signature.params:
        table.add_row(p.name, p.dtype.value, p.role.value, str(p.shape or p.value or ""))
    console.print(table)
    console.print(f"[bold]test sizes[/bold]   {task.sizes.test}")
    console.print(f"[bold]bench sizes[/bold]  {task.sizes.bench}")
    if task.sizes.screen:
        console.print(f"[bold]screen sizes[/bold] {task.sizes.screen}")
    console.print(f"[bold]work[/bold]         bytes = {task.work.bytes}, flops = {task.work.flops}")
    console.print("[bold]reference[/bold]")
    console.print(Syntax(task.reference.cpp, "cpp", line_numbers=True))
    if driver:
        console.print("[bold]generated driver[/bold]")
        console.print(Syntax(driver_source(task.signature), "cpp", line_numbers=True))


@tasks_app.command("check")
def check_tasks(
    names: Annotated[list[str] | None, typer.Argument(help="Task names or task files.")] = None,
    all_tasks: Annotated[bool, typer.Option("--all", help="Check the whole built-in suite.")] = False,
    bench: Annotated[bool, typer.Option(help="Also time the reference on the benchmark sizes.")] = True,
    backend: Annotated[str, typer.Option(help="Sandbox backend: auto, docker or local.")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Validate tasks end to end: generate inputs, build and run the reference, compare with the oracle, and size
    every job of a verification against the sandbox's work dir and memory."""
    from sandbox import open_sandbox
    from tasks import suite_tasks
    from tasks.model import KernelTask
    from verifiers import ToolchainMissing, check_reference, preflight

    if all_tasks == bool(names):
        err_console.print("give task names/paths, or --all (not both)")
        raise typer.Exit(2)
    loaded = suite_tasks() if all_tasks else [_load(name) for name in names or []]
    tasks = [task for task in loaded if isinstance(task, KernelTask)]
    for task in loaded:
        if not isinstance(task, KernelTask):
            console.print(f"{task.name}: a {task.kind.value} task; it loaded, and `agent solve` verifies its layouts")
    sandbox = open_sandbox(backend)
    try:
        preflight(sandbox, sorted({target for task in tasks for target in task.targets}))
    except ToolchainMissing as exc:
        sandbox.close()
        _plain(err_console, str(exc), style="red")
        raise typer.Exit(2) from None
    reports: list[TaskCheck] = []
    try:
        with console.status("") as status:
            for task in tasks:
                reports.append(
                    check_reference(
                        task, sandbox, bench=bench, on_step=lambda s, t=task: status.update(f"{t.name}: {s}")
                    )
                )
                if not as_json:
                    _print_check(reports[-1])
    finally:
        sandbox.close()
    failed = [r.task.name for r in reports if not r.ok]
    if as_json:
        typer.echo(json.dumps([_check_json(r) for r in reports], indent=2))
    else:
        verdict = f"[red]{len(failed)} failed: {', '.join(failed)}[/red]" if failed else "[green]all passed[/green]"
        console.print(f"\n{len(reports)} task(s) checked, {verdict}")
    raise typer.Exit(1 if failed else 0)


def _print_check(report: TaskCheck) -> None:
    from tasks.model import size_text

    mark = "[green]PASS[/green]" if report.ok else "[red]FAIL[/red]"
    bench = ", ".join(f"{size_text(b.size)}: {b.median_s:.3f} s" for b in report.benches if b.median_s is not None)
    console.print(
        f"{mark} {report.task.name:<24} tests {sum(t.ok for t in report.tests)}/{len(report.tests)}"
        + (f"  reference {bench}" if bench else "")
    )
    for problem in report.problems:
        _plain(console, f"     {problem}", style="red")
    for check in report.tests + report.benches:
        if not check.ok:
            _plain(console, f"     {size_text(check.size)}: {check.message}", style="red")


def _plain(target: Console, text: str, style: str = "") -> None:
    """Print ``text`` as it is: no markup (file paths, regexes and compiler logs hold brackets), no wrapping."""
    target.print(text, style=style, markup=False, highlight=False, soft_wrap=True)


def _check_json(report: TaskCheck) -> dict:
    return {
        "task": report.task.name,
        "ok": report.ok,
        "problems": report.problems,
        "tests": [{"size": c.size, "ok": c.ok, "message": c.message} for c in report.tests],
        "bench": [{"size": c.size, "ok": c.ok, "median_s": c.median_s, "message": c.message} for c in report.benches],
        "jobs": [
            {
                "job": job.job,
                "fits": job.fits,
                "disk_bytes": job.disk.total,
                "workdir_bytes": job.disk.limit,
                "memory_bytes": job.memory.total,
                "memory_limit_bytes": job.memory.limit,
            }
            for job in report.jobs
        ],
    }
