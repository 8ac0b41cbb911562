"""How ``agent solve`` shows a config run: a live panel while it runs, a table and the winner at the end."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table

from agents.configsolve.report import describe_layout, format_figure
from agents.stage_table import stage_table
from tasks.configs.model import ConfigTask
from verifiers.configs import ConfigVerdict, active_params, total_params


def config_progress(run_id: str, node: str, state: dict[str, Any]) -> Panel:
    """The live panel: step, layouts verified and rejected by stage, the current leader, tokens and cost."""
    results = state.get("results", [])
    failed: dict[str, int] = {}
    for record in results:
        verdict = record.get("verdict")
        stage = (
            "proposal"
            if verdict is None
            else next((s["stage"] for s in verdict["stages"] if s["status"] in ("failed", "error")), None)
        )
        if stage:
            failed[stage] = failed.get(stage, 0) + 1
    table = Table.grid(padding=(0, 2))
    table.add_row("run", run_id)
    table.add_row("generation", str(state.get("generation", 0)), "step", node)
    table.add_row("layouts", str(len(results)), "searched", str(state.get("search", {}).get("evaluated", "…")))
    table.add_row("rejected", ", ".join(f"{k} {v}" for k, v in sorted(failed.items())) or "none")
    ranking = state.get("ranking") or []
    if ranking:
        leader = results[ranking[0]]
        value = leader["verdict"]["objective_value"]
        table.add_row("leader", describe_layout(leader["layout"]), "objective", f"{value:.4g}")
    usage = state.get("usage", {})
    table.add_row("tokens", f"{usage.get('prompt_tokens', 0)} in / {usage.get('completion_tokens', 0)} out",
                  "cost", f"${usage.get('cost', 0.0):.4f}")  # fmt: skip
    return Panel(table, title="agent solve (config)", expand=False)


def print_config_summary(console: Console, summary: dict[str, Any]) -> None:
    """The end of a config run: counts, the winner's figures and configs, the alternatives."""
    table = Table(title=f"run {summary['run_id']} — {summary['task']} ({summary['kind']}, {summary['objective']})")
    for column in ("layouts", "verified", "rejected by stage", "stopped because"):
        table.add_column(column)
    failures = ", ".join(f"{k}: {v}" for k, v in sorted(summary["failed_by_stage"].items())) or "none"
    table.add_row(str(summary["proposed"]), str(summary["verified"]), failures, summary["stop_reason"])
    console.print(table)
    winner = summary.get("winner")
    if winner is None:
        console.print(f"[yellow]no layout passed verification[/yellow] {summary.get('error') or ''}", highlight=False)
    else:
        figures = ", ".join(f"{name.replace('_', ' ')} {format_figure(name, value)}"
                            for name, value in winner["figures"].items())  # fmt: skip
        lines = [f"[bold green]winner[/bold green] {describe_layout(winner['layout'])} (from {winner['origin']})",
                 figures]  # fmt: skip
        if winner.get("dry_run"):
            lines.append(f"dry run: {winner['dry_run']['status']} — {winner['dry_run']['summary']}")
        lines += [f"config: {path}" for path in winner["configs"]]
        console.print(Group(*lines), highlight=False)
    if summary.get("alternatives"):
        alternatives = Table(title="alternatives")
        alternatives.add_column("layout")
        alternatives.add_column("origin")
        alternatives.add_column("why it lost")
        for alt in summary["alternatives"]:
            alternatives.add_row(describe_layout(alt["layout"]), alt["origin"], alt["why"])
        console.print(alternatives)
    console.print(f"report: {summary['report']}")
    console.print(f"run directory: {summary['run_dir']}")
    if summary.get("report_html"):
        console.print(f"report: {summary['report_html']}")


def print_config_verdict(console: Console, verdict: ConfigVerdict, source: str) -> None:
    """A config verdict as a table of stages, then ACCEPTED or REJECTED with the feedback."""
    table = stage_table(f"{source}: {describe_layout(verdict.layout) or 'defaults'} for {verdict.task}", verdict.stages)
    console.print(table)
    failure = verdict.failure
    if failure is None:
        console.print(f"[green]ACCEPTED[/green] objective value {verdict.objective_value:.4g}", highlight=False)
    else:
        console.print(f"[red]REJECTED[/red] at {failure.stage.value}: {failure.reason}", highlight=False)
        console.print(failure.feedback, markup=False, highlight=False)


def print_config_task(console: Console, task: ConfigTask) -> None:
    """What a config task asks for: model (with its parameter count), cluster, workload, frameworks."""
    model = task.model
    console.rule(f"[bold]{task.name}[/bold] ({task.kind.value})")
    console.print(task.description.strip(), markup=False, highlight=False)
    table = Table.grid(padding=(0, 2))
    params = f"{total_params(model) / 1e9:.1f}B parameters" + (
        f", {active_params(model) / 1e9:.1f}B active" if model.moe else ""
    )
    shape = f"{model.layers} layers, hidden {model.hidden}, {model.heads} heads ({model.query_groups} KV)"
    table.add_row("model", f"{model.name}: {params}; {shape}, ffn {model.ffn_hidden}, vocab {model.vocab}")
    cluster = task.cluster
    table.add_row("cluster", f"{cluster.nodes} x {cluster.gpus_per_node} {cluster.gpu} ({cluster.world_size} GPUs, "
                  f"{cluster.intra_bandwidth:g} GB/s in a node, {cluster.inter_bandwidth:g} GB/s between)")  # fmt: skip
    table.add_row("workload", task.workload.model_dump_json(exclude_none=True))
    table.add_row("frameworks", ", ".join(framework.value for framework in task.frameworks))
    table.add_row("objective", task.objective.value)
    console.print(table, highlight=False)
