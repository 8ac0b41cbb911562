"""``agent library``: list, show, re-verify, export and import library kernels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table

import kernels_library
from kernels_library import Entry, LibraryError
from kernels_library._export import export_entry, read_export
from kernels_library.publish import import_kernel, reverify
from sandbox import open_sandbox
from tasks import TaskFileError

library_app = typer.Typer(help="The library of evolved kernels.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


def _entries(name: str | None) -> list[Entry]:
    try:
        return kernels_library.list(task=name)
    except LibraryError as exc:
        err_console.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None


@library_app.command("list")
def list_entries(
    name: Annotated[str | None, typer.Argument(help="Only this task's entries.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Every entry, fastest first."""
    entries = _entries(name)
    if as_json:
        rows = [
            {"id": e.record.id, "task": e.name, "target": e.target, "speedup": e.speedup,
             "hardware": e.record.hardware_info.get("cpu_model"), "model": e.provenance.model,
             "run_id": e.provenance.run_id}
            for e in entries
        ]  # fmt: skip
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"library: {kernels_library.store().root}")
    for column in ("id", "task", "target", "speedup [95% CI]", "hardware", "origin", "run"):
        table.add_column(column)
    for e in entries:
        r = e.record
        table.add_row(str(r.id), e.name, e.target, f"{r.speedup:.2f}x [{r.speedup_low:.2f}, {r.speedup_high:.2f}]",
                      f"{r.hardware_info.get('cpu_model', '?')} ({r.hardware_info.get('cores', '?')} cores)",
                      e.provenance.origin, e.provenance.run_id or "")  # fmt: skip
    console.print(table)


@library_app.command("show")
def show_entry(name: Annotated[str, typer.Argument(help="Task name.")]) -> None:
    """The best entry of a task on this hardware: speed, verdict, provenance and source."""
    try:
        entry = kernels_library.get(name, hardware="any")
        source = entry.source
    except LibraryError as exc:
        err_console.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    r = entry.record
    console.rule(f"{entry.name} [{entry.target}] #{r.id}")
    console.print(f"speedup {r.speedup:.2f}x (95% CI {r.speedup_low:.2f}-{r.speedup_high:.2f})"
                  + (f", {r.roofline_fraction:.0%} of roofline" if r.roofline_fraction else ""))  # fmt: skip
    console.print(f"hardware {r.hardware_info}")
    console.print(f"provenance {entry.provenance.model_dump()}")
    stages = Table("stage", "status", "reason", "seconds")
    for stage in entry.verdict.stages:
        stages.add_row(stage.stage.value, stage.status.value, stage.reason, f"{stage.seconds:.1f}")
    console.print(stages)
    console.print(Syntax(source, "cpp", line_numbers=True))


@library_app.command("verify")
def verify_entries(
    name: Annotated[str | None, typer.Argument(help="Only this task's entries.")] = None,
    backend: Annotated[str, typer.Option(help="Sandbox backend: auto, docker or local.")] = "auto",
) -> None:
    """Re-verify entries on this machine through the sandbox; flag rejections and speed regressions."""
    entries = _entries(name)
    sandbox = open_sandbox(backend)
    problems = 0
    table = Table("id", "task", "recorded", "now", "status")
    try:
        for entry in entries:
            with console.status(f"verifying {entry.name} #{entry.record.id}"):
                outcome = reverify(entry, sandbox)
            problems += outcome.status != "ok"
            now = f"{outcome.speedup:.2f}x" if outcome.speedup is not None else "-"
            colour = "green" if outcome.status == "ok" else "red"
            table.add_row(str(entry.record.id), entry.name, f"{entry.speedup:.2f}x", now,
                          f"[{colour}]{outcome.status}[/{colour}] {outcome.detail}")  # fmt: skip
    finally:
        sandbox.close()
    console.print(table)
    raise typer.Exit(1 if problems else 0)


@library_app.command("export")
def export_command(
    name: Annotated[str, typer.Argument(help="Task name.")],
    directory: Annotated[Path, typer.Argument(help="Folder to write.")],
) -> None:
    """Write standalone C++ source, a header and a CMakeLists.txt that build without ParaForge."""
    try:
        entry = kernels_library.get(name, hardware="any")
        files = export_entry(entry.record, entry.source, directory)
    except LibraryError as exc:
        err_console.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    for path in files:
        console.print(f"wrote {path}")


@library_app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="An exported folder, or a source file beside its task.yaml.")],
    backend: Annotated[str, typer.Option(help="Sandbox backend: auto, docker or local.")] = "auto",
) -> None:
    """Verify an exported kernel on this machine and, if it passes, add it to the library."""
    try:
        task, source, facts = read_export(path)
    except (TaskFileError, FileNotFoundError, ValueError) as exc:
        err_console.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    sandbox = open_sandbox(backend)
    try:
        with console.status(f"verifying {task.name} from {path}"):
            record, verdict = import_kernel(task, source, facts, sandbox)
    finally:
        sandbox.close()
    if record is None:
        err_console.print(f"[red]rejected:[/red] {verdict.feedback()}", highlight=False)
        raise typer.Exit(1)
    console.print(f"imported {task.name} as entry #{record.id} ({record.speedup:.2f}x on this machine)")
