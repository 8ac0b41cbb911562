"""A solve run (``agent solve``) read back as evaluation records, so that it gets the same report as a batch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agents.budget import Usage
from evals.judged import best_of, judged, no_candidate
from evals.records import CandidateResult, EvalMode, EvalResults, RunMeta, TaskResult, TaskStatus
from verifiers import Candidate, Verdict

SUMMARY_FILE = "summary.json"
CANDIDATES_DIR = "candidates"


def is_solve_run(path: Path) -> bool:
    """Whether ``path`` is a finished solve run directory."""
    return (path / SUMMARY_FILE).is_file()


def solve_task_records(
    summary: dict[str, Any], *, family: str | None = None
) -> tuple[TaskResult, list[CandidateResult]]:
    """The task result and candidate rows of a finished solve, from its summary and its run directory."""
    run_dir = Path(summary["run_dir"])
    task = summary["task"]
    usage = Usage.model_validate(summary.get("usage") or {})
    if "kind" in summary:  # a config task: its winner is a layout, judged by the config cascade
        return _config_task_result(summary, usage), []
    candidates = _kernel_candidates(task, run_dir, summary.get("history", []))
    winner = summary.get("winner")
    best = next((c for c in candidates if winner and c.digest == winner["digest"]), None) or best_of(candidates)
    result = TaskResult(
        task=task,
        family=family,
        status=TaskStatus.solved if winner else TaskStatus.unsolved,
        winner=winner["digest"] if winner else None,
        speedup=winner["speedup"] if winner else None,
        speedup_low=winner["speedup_low"] if winner else None,
        speedup_high=winner["speedup_high"] if winner else None,
        roofline_fraction=best.roofline_fraction if best and winner else None,
        usage=usage,
        solve_run=str(run_dir),
    )
    return result, candidates


def results_from_solve_run(path: Path) -> EvalResults:
    """A solve run directory as evaluation records of one task."""
    summary = json.loads((path / SUMMARY_FILE).read_text())
    config = json.loads((path / "config.json").read_text())
    task, candidates = solve_task_records(summary)
    model = (config.get("model") or {}).get("model")
    meta = RunMeta(run_id=summary["run_id"], suite=summary["task"], mode=EvalMode.solve, model=model)
    return EvalResults(meta=meta, tasks=[task], candidates=candidates)


def _kernel_candidates(task: str, run_dir: Path, history: list[dict[str, Any]]) -> list[CandidateResult]:
    rows = []
    for index, entry in enumerate(history):
        generation = entry.get("generation", 0)
        if entry.get("digest") is None:
            rows.append(no_candidate(task, index, entry.get("problem") or "no candidate", generation=generation))
            continue
        folder = run_dir / CANDIDATES_DIR / entry["digest"][:16]
        verdict_file = folder / "verdict.json"
        if not verdict_file.is_file():
            continue
        candidate = Candidate(source=(folder / "source.cpp").read_text(), origin=entry.get("origin") or "")
        verdict = Verdict.model_validate_json(verdict_file.read_text())
        rows.append(judged(task, index, candidate, verdict, generation=generation, verdict_path=str(verdict_file)))
    return rows


def _config_task_result(summary: dict[str, Any], usage: Usage) -> TaskResult:
    winner = summary.get("winner")
    line = None
    if winner:
        figures = winner.get("figures", {})
        line = ", ".join(f"{name} {value:.4g}" for name, value in figures.items())
    return TaskResult(
        task=summary["task"],
        kind=summary["kind"],
        status=TaskStatus.solved if winner else TaskStatus.unsolved,
        error=None if winner else (summary.get("error") or summary.get("stop_reason") or None),
        usage=usage,
        solve_run=summary.get("run_dir"),
        summary=line,
    )
