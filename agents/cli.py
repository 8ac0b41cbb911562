"""The ``agent`` command line."""

from __future__ import annotations

import typer

from agents.eval_cli import eval_command
from agents.import_cli import import_app
from agents.library_cli import library_app
from agents.report_cli import report_command
from agents.sandbox_cli import sandbox_app
from agents.solve_cli import solve_command
from agents.tasks_cli import tasks_app
from agents.verify_cli import verify_command

app = typer.Typer(
    name="agent",
    help="ParaForge: fast, verified parallel kernels from language models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(tasks_app, name="tasks")
app.add_typer(sandbox_app, name="sandbox")
app.command("solve")(solve_command)
app.command("verify")(verify_command)
app.command("eval")(eval_command)
app.command("report")(report_command)
app.add_typer(library_app, name="library")
app.add_typer(import_app, name="import")


if __name__ == "__main__":  # pragma: no cover
    app()
