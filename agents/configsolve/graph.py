"""The config solve graph (LangGraph, checkpointed in the run's SQLite file).

    search -> [propose] -> verify -> select -> (propose again while a model has generations left)
           -> dry_run -> publish

``search`` seeds the tournament with the analytical search's best layouts; ``propose`` adds a
model's layouts (given the search's findings and the feedback on its earlier ones) or layout
files; ``verify`` runs every new layout through the config verifiers; ``select`` ranks the
accepted ones by the task's objective; ``dry_run`` trains the leader, scaled down, for real (the
next one takes its place if it fails); ``publish`` writes the framework configs and the report.
State is plain JSON-able data so checkpoints stay readable.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any, TypedDict

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agents.budget import Usage, exhausted
from agents.configsolve.proposals import (
    ConfigProposal,
    LLMConfigProposer,
    NoFeasibleConfig,
    check_proposal,
    directory_proposals,
    search_proposals,
)
from agents.configsolve.report import CONFIGS_DIR, REPORT_FILE, figures, write_configs, write_report
from agents.rundir import SUMMARY_FILE, RunDir
from agents.solve_config import ProposerKind, SolveConfig
from tasks.configs.layout import TrainLayout
from tasks.configs.model import ConfigTask, Objective, TrainConfigTask
from verifiers import StageStatus
from verifiers.configs import dry_run_stage, parse_layout, verify_layout

DRY_RUN_TRIES = 3
"""Leaders tried in turn when a dry run fails."""


class ConfigSolveState(TypedDict, total=False):
    """Everything a config run has found so far."""

    generation: int
    started: float
    searched: list[dict[str, Any]]
    """The best layouts so far with their objective values (shown to a model): the search's, then the verified ones."""
    search: dict[str, Any]
    pending: list[dict[str, Any]]
    """Proposals not verified yet."""
    results: list[dict[str, Any]]
    """Every proposal with its verdict (or the problem that kept it from one)."""
    ranking: list[int]
    """Indexes into ``results`` of accepted layouts, best first."""
    usage: dict[str, Any]
    dry_runs: list[dict[str, Any]]
    stop_reason: str
    error: str


@dataclass
class ConfigRuntime:
    """What the nodes need besides state."""

    task: ConfigTask
    config: SolveConfig
    run: RunDir
    proposer: LLMConfigProposer | None
    keep: int


def _search(runtime: ConfigRuntime, state: ConfigSolveState) -> ConfigSolveState:
    try:
        proposals, summary = search_proposals(runtime.task, runtime.keep)
    except NoFeasibleConfig as exc:
        return {"error": str(exc), "stop_reason": "no feasible layout", "pending": [], "started": time.time()}
    pending = [proposal.model_dump() for proposal in proposals]
    if runtime.config.proposer is ProposerKind.directory and runtime.config.candidates_dir is not None:
        pending += [proposal.model_dump() for proposal in directory_proposals(runtime.config.candidates_dir)]
    searched = summary.pop("ranked")
    return {"search": summary, "searched": searched, "pending": pending, "generation": 0, "started": time.time()}


def _propose(runtime: ConfigRuntime, state: ConfigSolveState) -> ConfigSolveState:
    assert runtime.proposer is not None
    feedback = [
        f"{json.dumps(r['layout'])}: {r['problem'] or r['verdict_feedback']}"
        for r in state.get("results", [])
        if r["origin"] != "search" and (r["problem"] or r["verdict_feedback"])
    ][-8:]
    proposals, usage = runtime.proposer.propose(
        runtime.task, state.get("searched", []), feedback, runtime.config.population, state.get("generation", 0)
    )
    total = Usage(**state.get("usage", {})) + usage
    pending = state.get("pending", []) + [proposal.model_dump() for proposal in proposals]
    return {"pending": pending, "usage": total.model_dump()}


def _verify(runtime: ConfigRuntime, state: ConfigSolveState) -> ConfigSolveState:
    results = list(state.get("results", []))
    seen = {r["digest"] for r in results if r["digest"]}
    for data in state.get("pending", []):
        proposal = ConfigProposal.model_validate(data)
        record: dict[str, Any] = {**proposal.model_dump(), "digest": None, "verdict": None, "verdict_feedback": ""}
        checked = check_proposal(runtime.task, proposal)
        if isinstance(checked, str):
            record["problem"] = checked
        else:
            record["digest"] = proposal.digest
            if proposal.digest in seen:
                continue
            seen.add(proposal.digest)
            verdict = verify_layout(runtime.task, checked)
            record["verdict"] = verdict.model_dump(mode="json")
            record["verdict_feedback"] = verdict.feedback()
            folder = runtime.run.path / "candidates" / proposal.digest[:16]
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "layout.json").write_text(checked.model_dump_json(indent=2))
            (folder / "verdict.json").write_text(verdict.model_dump_json(indent=2))
        results.append(record)
    return {"results": results, "pending": []}


def _value(record: dict[str, Any]) -> float | None:
    verdict = record.get("verdict")
    return None if verdict is None else verdict.get("objective_value")


def _select(runtime: ConfigRuntime, state: ConfigSolveState) -> ConfigSolveState:
    results = state.get("results", [])
    throughput = runtime.task.objective is Objective.throughput
    accepted = [i for i, record in enumerate(results) if _value(record) is not None]
    ranking = sorted(accepted, key=lambda i: _value(results[i]) or 0.0, reverse=throughput)
    searched = [{"layout": results[i]["layout"], "value": round(_value(results[i]) or 0.0, 6)} for i in ranking[:6]]
    generation = state.get("generation", 0) + 1
    usage = Usage(**state.get("usage", {}))
    stop = exhausted(runtime.config.budget, usage, len(results), generation, state.get("started", time.time()))
    if runtime.proposer is None:
        stop = "search and given layouts verified"
    if state.get("error"):
        stop = state.get("stop_reason", "")
    return {"ranking": ranking, "searched": searched, "generation": generation, "stop_reason": stop or ""}


def _after_select(state: ConfigSolveState) -> str:
    return "dry_run" if state.get("stop_reason") else "propose"


def _dry_run(runtime: ConfigRuntime, state: ConfigSolveState) -> ConfigSolveState:
    results, ranking = state.get("results", []), list(state.get("ranking", []))
    if not isinstance(runtime.task, TrainConfigTask) or not ranking:
        return {}
    dry_runs = []
    for index in ranking[:DRY_RUN_TRIES]:
        layout = parse_layout(runtime.task, results[index]["layout"])
        assert isinstance(layout, TrainLayout)
        stage = dry_run_stage(runtime.task, layout)
        dry_runs.append({"index": index, **stage.model_dump(mode="json")})
        if stage.status is not StageStatus.failed:
            break
    failed = {run["index"] for run in dry_runs if run["status"] == StageStatus.failed.value}
    return {"dry_runs": dry_runs, "ranking": [i for i in ranking if i not in failed]}


def _publish(runtime: ConfigRuntime, state: ConfigSolveState) -> ConfigSolveState:
    summary = build_summary(runtime, state)
    write_report(runtime.task, summary, runtime.run.path / REPORT_FILE)
    (runtime.run.path / SUMMARY_FILE).write_text(json.dumps(summary, indent=2))
    return {}


def build_summary(runtime: ConfigRuntime, state: ConfigSolveState) -> dict[str, Any]:
    """The run's outcome: the winner with its figures and configs, the alternatives and why they lost."""
    task, results, ranking = runtime.task, state.get("results", []), state.get("ranking", [])
    failed_by_stage: dict[str, int] = {}
    for record in results:
        stage = "proposal" if record["verdict"] is None else _failed_stage(record["verdict"])
        if stage:
            failed_by_stage[stage] = failed_by_stage.get(stage, 0) + 1
    summary: dict[str, Any] = {
        "run_id": runtime.run.run_id,
        "task": task.name,
        "kind": task.kind.value,
        "objective": task.objective.value,
        "generations": state.get("generation", 0),
        "proposed": len(results),
        "verified": sum(1 for r in results if r["verdict"] is not None),
        "failed_by_stage": failed_by_stage,
        "stop_reason": state.get("stop_reason", ""),
        "error": state.get("error"),
        "search": state.get("search", {}),
        "usage": state.get("usage", Usage().model_dump()),
        "run_dir": str(runtime.run.path),
        "report": str(runtime.run.path / REPORT_FILE),
        "winner": None,
        "alternatives": [],
    }
    if ranking:
        best = results[ranking[0]]
        layout = parse_layout(task, best["layout"])
        dry_run = next((run for run in state.get("dry_runs", []) if run["index"] == ranking[0]), None)
        summary["winner"] = {
            "layout": best["layout"],
            "origin": best["origin"],
            "rationale": best["rationale"],
            "objective_value": _value(best),
            "figures": figures(task, layout),
            "configs": write_configs(task, layout, runtime.run.path / CONFIGS_DIR),
            "dry_run": dry_run and {**dry_run, "summary": _dry_run_text(dry_run)},
        }
        summary["alternatives"] = _alternatives(task, results, ranking, state.get("dry_runs", []))
    return summary


def _failed_stage(verdict: dict[str, Any]) -> str | None:
    return next((s["stage"] for s in verdict["stages"] if s["status"] in ("failed", "error")), None)


def _dry_run_text(run: dict[str, Any]) -> str:
    details = run.get("details", {})
    if not details:
        return run.get("feedback", "")
    losses = details.get("losses") or []
    trend = f"loss {losses[0]:.3f} -> {losses[-1]:.3f}" if losses else ""
    return f"scaled to {details.get('scaled_shape')} on {details.get('world_size')} CPU ranks, {trend}"


def _alternatives(
    task: ConfigTask, results: list[dict[str, Any]], ranking: list[int], dry_runs: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    best = _value(results[ranking[0]]) or 0.0
    unit = "tokens/s" if task.objective is Objective.throughput else "GPU-s/token"
    failed_dry = {run["index"]: run for run in dry_runs if run["status"] == "failed"}
    rows = []
    for index in ranking[1:6]:
        value = _value(results[index]) or 0.0
        ratio = value / best if best else 0.0
        why = f"{value:.4g} vs {best:.4g} {unit} ({ratio:.1%} of the winner)"
        if results[index]["origin"] == "search" and results[index]["rationale"]:
            why += f"; {results[index]['rationale']}"
        rows.append({**_row(results[index]), "objective_value": value, "why": why})
    for index, run in failed_dry.items():
        why = f"dry run failed ({run['reason']}): {run['feedback'][:160]}"
        rows.append({**_row(results[index]), "objective_value": _value(results[index]), "why": why})
    rejected = [r for r in results if r["verdict"] is not None and _value(r) is None] + [
        r for r in results if r["verdict"] is None
    ]
    for record in rejected[:6]:
        rows.append({**_row(record), "objective_value": None, "why": _rejection(record)[:240]})
    return rows


def _rejection(record: dict[str, Any]) -> str:
    """``layout.bad_pp: layers (32) not divisible ...``: the failed stage's reason and first line of feedback."""
    if record["problem"]:
        return record["problem"]
    failure = next(s for s in record["verdict"]["stages"] if s["status"] in ("failed", "error"))
    detail = (failure["feedback"].strip().splitlines() or [""])[0]
    return f"{failure['reason']}: {detail}" if detail else failure["reason"]


def _row(record: dict[str, Any]) -> dict[str, Any]:
    return {"layout": record["layout"] or {}, "origin": record["origin"]}


def build_config_graph(runtime: ConfigRuntime, connection: sqlite3.Connection) -> CompiledStateGraph:
    """The config solve graph for ``runtime``, checkpointing into ``connection``."""
    graph = StateGraph(ConfigSolveState)
    graph.add_node("search", lambda state: _search(runtime, state))
    graph.add_node("propose", lambda state: _propose(runtime, state))
    graph.add_node("verify", lambda state: _verify(runtime, state))
    graph.add_node("select", lambda state: _select(runtime, state))
    graph.add_node("dry_run", lambda state: _dry_run(runtime, state))
    graph.add_node("publish", lambda state: _publish(runtime, state))
    graph.add_edge(START, "search")
    graph.add_conditional_edges(
        "search", lambda state: "verify" if runtime.proposer is None or state.get("error") else "propose"
    )
    graph.add_edge("propose", "verify")
    graph.add_edge("verify", "select")
    graph.add_conditional_edges("select", _after_select, ["propose", "dry_run"])
    graph.add_edge("dry_run", "publish")
    graph.add_edge("publish", END)
    return graph.compile(checkpointer=SqliteSaver(connection))
