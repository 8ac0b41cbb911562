"""What a config solve leaves behind: the winner's framework configs, a Markdown report, the summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tasks.configs.layout import ServeLayout, TrainLayout
from tasks.configs.model import ConfigTask, Objective, TrainConfigTask
from verifiers.configs import (
    UnsupportedLayout,
    emit_config,
    gib,
    predict_serving,
    predict_train_step,
    serve_memory,
    train_memory,
)

CONFIGS_DIR = "configs"
REPORT_FILE = "report.md"


def figures(task: ConfigTask, layout: TrainLayout | ServeLayout) -> dict[str, float]:
    """The headline numbers of an accepted layout (predictions of the verifiers' models)."""
    if isinstance(task, TrainConfigTask):
        assert isinstance(layout, TrainLayout)
        memory = train_memory(task, layout)
        step = predict_train_step(task, layout)
        return {
            "step_time_s": step.step_time_s,
            "mfu": step.mfu,
            "tokens_per_s": step.tokens_per_s,
            "bubble_fraction": step.bubble_fraction,
            "memory_gib": gib(memory.total),
            "capacity_gib": gib(memory.capacity),
        }
    assert isinstance(layout, ServeLayout)
    memory = serve_memory(task, layout)
    serving = predict_serving(task, layout, memory)
    return {
        "ttft_ms": serving.ttft_ms,
        "tpot_ms": serving.tpot_ms,
        "goodput_output_tokens_per_s": serving.goodput_output_tokens_per_s,
        "max_request_rate": serving.max_request_rate,
        "memory_gib": gib(memory.required_bytes),
        "capacity_gib": gib(memory.capacity_bytes),
    }


def write_configs(task: ConfigTask, layout: TrainLayout | ServeLayout, folder: Path) -> list[str]:
    """Every framework config the task asks for, written under ``folder``; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for framework in task.frameworks:
        try:
            config = emit_config(framework, task, layout)
        except UnsupportedLayout:  # the framework stage accepted the winner, so this does not happen
            continue
        path = folder / config.filename
        path.write_text(config.text)
        paths.append(str(path))
    return paths


_DEGREES = frozenset({"tp", "pp", "vpp", "cp", "dp", "ep", "replicas"})


def describe_layout(layout: dict[str, Any]) -> str:
    """``tp 8 · pp 8 · micro_batch 1 · sequence_parallel · recompute selective``: what differs from plain."""
    parts = []
    for name, value in layout.items():
        if name == "rationale" or value in (None, False) or (name in _DEGREES and value == 1):
            continue
        parts.append(name if value is True else f"{name} {value}")
    return " · ".join(parts)


_FORMATS = {
    "step_time_s": "{:.2f} s",
    "mfu": "{:.1%}",
    "tokens_per_s": "{:,.0f}",
    "bubble_fraction": "{:.1%}",
    "memory_gib": "{:.1f} GiB",
    "capacity_gib": "{:.1f} GiB",
    "ttft_ms": "{:.0f} ms",
    "tpot_ms": "{:.1f} ms",
    "goodput_output_tokens_per_s": "{:,.0f}",
    "max_request_rate": "{:.2f} req/s",
}


def format_figure(name: str, value: float) -> str:
    """``value`` of the figure ``name`` with its unit."""
    return _FORMATS.get(name, "{:g}").format(value)


def _figure_lines(numbers: dict[str, float]) -> list[str]:
    return [f"| {name.replace('_', ' ')} | {format_figure(name, value)} |" for name, value in numbers.items()]


def write_report(task: ConfigTask, summary: dict[str, Any], path: Path) -> None:
    """The Markdown report of a finished solve."""
    lines = [f"# {task.name}: {task.kind.value}", "", task.description.strip(), ""]
    lines += [f"- model: {task.model.name}", f"- cluster: {task.cluster.world_size} x {task.cluster.gpu}",
              f"- objective: {task.objective.value}", ""]  # fmt: skip
    winner = summary.get("winner")
    if winner is None:
        lines += ["**No layout passed verification.**", "", summary.get("error") or summary.get("stop_reason", "")]
    else:
        lines += ["## Winner", "", f"`{describe_layout(winner['layout'])}` (from {winner['origin']})", ""]
        if winner.get("rationale"):
            lines += [f"> {winner['rationale']}", ""]
        lines += ["| figure | predicted |", "| --- | --- |", *_figure_lines(winner["figures"]), ""]
        dry_run = winner.get("dry_run")
        if dry_run:
            reason = f" ({dry_run['reason']})" if dry_run.get("reason") else ""
            lines += [f"Dry run: {dry_run['status']}{reason}: {dry_run['summary']}", ""]
        lines += ["Framework configs:", *[f"- `{config}`" for config in winner["configs"]], ""]
    if summary.get("alternatives"):
        better = "higher" if task.objective is Objective.throughput else "lower"
        lines += ["## Alternatives and why they lost", "", f"Objective value: {better} is better.", "",
                  "| layout | origin | objective | why it lost |", "| --- | --- | ---: | --- |"]  # fmt: skip
        for alt in summary["alternatives"]:
            value = "-" if alt["objective_value"] is None else f"{alt['objective_value']:.4g}"
            lines.append(f"| `{describe_layout(alt['layout'])}` | {alt['origin']} | {value} | {alt['why']} |")
        lines.append("")
    path.write_text("\n".join(lines) + "\n")
