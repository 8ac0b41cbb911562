"""``agent library``: list, show, re-verify, export, import and rebuild library kernels.

Exit codes: 0 success; 1 a verification found a problem (rejection, regression, broken entry);
2 bad input or an unusable library. The library is imported when a command runs, not when the ``agent``
command line starts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from kernels_library import Entry

library_app = typer.Typer(help="The library of evolved kernels.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)

HardwareOption = Annotated[
    str, typer.Option("--hardware", help="'any', 'this' (this machine's fingerprint) or a fingerprint digest.")
]


def _fail(message: object, code: int = 2) -> NoReturn:
    err_console.print(Text(str(message), style="red"))
    raise typer.Exit(code)


def _entries(name: str | None, hardware: str = "any") -> list[Entry]:
    import kernels_library
    from kernels_library import LibraryError

    try:
        return kernels_library.list(task=name, hardware=hardware)
    except LibraryError as exc:
        _fail(exc)


def _best(name: str) -> Entry:
    """The best entry measured on this machine, else the best measured anywhere."""
    import kernels_library
    from kernels_library import LibraryError

    try:
        return kernels_library.get(name)
    except LibraryError:
        pass
    try:
        return kernels_library.get(name, hardware="any")
    except LibraryError as exc:
        _fail(exc)


@library_app.command("list")
def list_entries(
    name: Annotated[str | None, typer.Argument(help="Only this task's entries.")] = None,
    hardware: HardwareOption = "any",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Every entry, fastest first."""
    import kernels_library

    entries = _entries(name, hardware)
    if as_json:
        rows = [
            {"id": e.record.id, "task": e.name, "task_version": e.record.task.version, "target": e.target,
             "speedup": e.speedup, "speedup_low": e.record.speedup_low, "speedup_high": e.record.speedup_high,
             "hardware": e.record.hardware, "cpu": e.record.hardware_info.get("cpu_model"),
             "origin": e.provenance.origin, "model": e.provenance.model, "run_id": e.provenance.run_id}
            for e in entries
        ]  # fmt: skip
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"library: {kernels_library.store().root}")
    for column in ("id", "task", "target", "speedup [95% CI]", "hardware", "origin", "run"):
        table.add_column(column)
    for e in entries:
        r = e.record
        cpu = f"{r.hardware_info.get('cpu_model', '?')} ({r.hardware_info.get('cores', '?')} cores)"
        table.add_row(str(r.id), f"{e.name} v{r.task.version}", e.target,
                      f"{r.speedup:.2f}x [{r.speedup_low:.2f}, {r.speedup_high:.2f}]",
                      *(escape(text) for text in (cpu, e.provenance.origin, e.provenance.run_id or "")))  # fmt: skip
    console.print(table)


@library_app.command("show")
def show_entry(name: Annotated[str, typer.Argument(help="Task name.")]) -> None:
    """The best entry of a task (measured on this machine if any is): speed, verdict, provenance and source."""
    from rich.syntax import Syntax

    entry = _best(name)
    r = entry.record
    console.rule(escape(f"{entry.name} v{r.task.version} [{entry.target}] #{r.id}"))
    console.print(f"speedup {r.speedup:.2f}x (95% CI {r.speedup_low:.2f}-{r.speedup_high:.2f})"
                  + (f", {r.roofline_fraction:.0%} of roofline" if r.roofline_fraction else ""))  # fmt: skip
    cpu = f"{r.hardware_info.get('cpu_model')}, {r.hardware_info.get('cores')} cores"
    console.print(f"hardware {cpu} ({r.hardware})", markup=False)
    console.print(f"provenance {entry.provenance.model_dump()}", markup=False)
    stages = Table("stage", "status", "reason", "seconds")
    for stage in entry.verdict.stages:
        stages.add_row(stage.stage.value, stage.status.value, escape(stage.reason), f"{stage.seconds:.1f}")
    console.print(stages)
    console.print(Syntax(entry.source, "cpp", line_numbers=True))


@library_app.command("verify")
def verify_entries(
    name: Annotated[str | None, typer.Argument(help="Only this task's entries.")] = None,
    backend: Annotated[str, typer.Option(help="Sandbox backend: auto, docker or local.")] = "auto",
) -> None:
    """Re-verify entries on this machine through the sandbox; flag rejections, regressions and broken entries."""
    from kernels_library.publish import reverify
    from sandbox import open_sandbox

    entries = _entries(name)
    try:
        sandbox = open_sandbox(backend)
    except ValueError as exc:
        _fail(exc)
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
                          f"[{colour}]{outcome.status}[/{colour}] {escape(outcome.detail)}")  # fmt: skip
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
    from kernels_library import LibraryError
    from kernels_library._export import export_entry

    entry = _best(name)
    try:
        files = export_entry(entry.record, entry.source, directory)
    except (LibraryError, OSError) as exc:
        _fail(exc)
    for path in files:
        console.print(f"wrote {path}", markup=False)


@library_app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="An exported folder, or a source file beside its task.yaml.")],
    backend: Annotated[str, typer.Option(help="Sandbox backend: auto, docker or local.")] = "auto",
) -> None:
    """Verify an exported kernel on this machine and, if it passes, add it to the library."""
    from kernels_library import LibraryError
    from kernels_library._export import read_export
    from kernels_library.publish import import_kernel
    from sandbox import open_sandbox

    try:
        task, source, facts = read_export(path)
        sandbox = open_sandbox(backend)
    except (OSError, ValueError) as exc:  # TaskFileError included
        _fail(exc)
    try:
        with console.status(f"verifying {task.name} from {path}"):
            record, verdict = import_kernel(task, source, facts, sandbox)
    except LibraryError as exc:
        _fail(f"rejected: {exc}", 1)
    finally:
        sandbox.close()
    if record is None:
        reason = verdict.feedback() or "correct, but not timed (the cascade has no timing stage), so not stored"
        _fail(f"rejected: {reason}", 1)
    console.print(f"imported {task.name} as entry #{record.id} ({record.speedup:.2f}x on this machine)")


@library_app.command("rebuild")
def rebuild_command() -> None:
    """Rebuild a damaged index from the entry records (the old index is kept beside it)."""
    import kernels_library
    from kernels_library import LibraryError

    library = kernels_library.store()
    try:
        restored = library.rebuild_index()
    except LibraryError as exc:
        _fail(exc)
    console.print(f"rebuilt {library.index} with {restored} entries")
