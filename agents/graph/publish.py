"""Node ``publish``: the winner and the run's summary are written out (and stored in the library)."""

from __future__ import annotations

from typing import Any

from agents.graph.records import failed_stage
from agents.graph.runtime import SolveRuntime
from agents.graph.state import SolveState
from verifiers.candidate import Candidate


class Publish:
    def __init__(self, runtime: SolveRuntime) -> None:
        self.runtime = runtime

    def __call__(self, state: SolveState) -> dict[str, Any]:
        summary = run_summary(self.runtime, state)
        if state.get("best"):
            winner = state["best"]
            (self.runtime.run.path / "winner.cpp").write_text(winner["candidate"]["source"])
            summary["stored_at"] = self.runtime.publish(summary)
        self.runtime.run.write_summary(summary)
        return {}


def run_summary(runtime: SolveRuntime, state: SolveState) -> dict[str, Any]:
    """Counts, the winner and the spend of a run, as JSON-ready data."""
    results = state.get("results", [])
    failures: dict[str, int] = {}
    for record in results:
        stage = failed_stage(record)
        if stage is not None:
            failures[stage] = failures.get(stage, 0) + 1
    best = state.get("best")
    return {
        "run_id": runtime.run.run_id,
        "run_dir": str(runtime.run.path),
        "task": runtime.task.name,
        "proposer": runtime.proposer.name,
        "generations": state.get("generation", 0),
        "proposed": len(state.get("proposals", [])),
        "verified": sum(1 for r in results if r.get("verdict")),
        "failed_by_stage": failures,
        "usage": state.get("usage", {}),
        "stop_reason": state.get("stop_reason"),
        "winner": None
        if best is None
        else {
            "digest": Candidate.model_validate(best["candidate"]).digest,
            "origin": best["candidate"]["origin"],
            "speedup": best["timing"]["speedup"],
            "speedup_low": best["timing"]["speedup_low"],
            "speedup_high": best["timing"]["speedup_high"],
            "threads": best["timing"]["threads"],
            "source": best["candidate"]["source"],
        },
    }
