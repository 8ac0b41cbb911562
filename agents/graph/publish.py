"""Node ``publish``: the winner goes into the library; the run's summary is written out."""

from __future__ import annotations

from typing import Any

from agents.graph.records import candidate_of, failures_by_stage, verdict_of
from agents.graph.runtime import SolveRuntime
from agents.graph.state import SolveState
from kernels_library import Provenance
from verifiers import Candidate, Verdict


class Publish:
    def __init__(self, runtime: SolveRuntime) -> None:
        self.runtime = runtime

    def __call__(self, state: SolveState) -> dict[str, Any]:
        summary = run_summary(self.runtime, state)
        best = state.get("best")
        if best:
            winner = Candidate.model_validate(best["candidate"])
            (self.runtime.run.path / "winner.cpp").write_text(winner.source)
            records = [*state.get("finals", []), *state.get("results", [])]  # a finalist's bench verdict first
            record = next(r for r in records if r.get("digest") == winner.digest and r.get("verdict"))
            verdict = verdict_of(record)
            assert verdict is not None
            summary["stored_at"] = self.runtime.publish(winner, verdict, self._provenance(state, record))
        self.runtime.run.write_summary(summary)
        return {}

    def _provenance(self, state: SolveState, record: dict[str, Any]) -> Provenance:
        usage = state.get("usage", {})
        model = self.runtime.config.model.model if self.runtime.config.model else None
        return Provenance(
            run_id=self.runtime.run.run_id,
            origin=candidate_of(record).origin,
            model=model,
            prompt_tokens=usage.get("prompt_tokens", 0),
            completion_tokens=usage.get("completion_tokens", 0),
            cost=usage.get("cost", 0.0),
            parents=_lineage(state, record),
        )


def _lineage(state: SolveState, record: dict[str, Any]) -> list[str]:
    """Digests of the record's ancestors, nearest first."""
    parents_of = {r.get("digest"): r.get("parent") for r in state.get("results", []) if r.get("digest")}
    chain, parent = [], record.get("parent")
    while parent and parent not in chain:
        chain.append(parent)
        parent = parents_of.get(parent)
    return chain


def run_summary(runtime: SolveRuntime, state: SolveState) -> dict[str, Any]:
    """Counts, the winner and the spend of a run, as JSON-ready data."""
    results = state.get("results", [])
    best = state.get("best")
    winner = None
    if best is not None:
        timing = best["timing"]
        winner = {
            "digest": Candidate.model_validate(best["candidate"]).digest,
            "origin": best["candidate"]["origin"],
            "speedup": timing["speedup"],
            "speedup_low": timing["speedup_low"],
            "speedup_high": timing["speedup_high"],
            "threads": timing["threads"],
            "size": timing["size"],
            "source": best["candidate"]["source"],
        }
    return {
        "run_id": runtime.run.run_id,
        "run_dir": str(runtime.run.path),
        "task": runtime.task.name,
        "proposer": runtime.proposer.name,
        "generations": state.get("generation", 0),
        "proposed": len(state.get("proposals", [])),
        "verified": sum(1 for r in results if r.get("verdict")),
        "failed_by_stage": failures_by_stage(results),
        "usage": state.get("usage", {}),
        "stop_reason": state.get("stop_reason"),
        "finals": [_final_summary(record) for record in state.get("finals", [])],
        "history": [_history_entry(record) for record in results],
        "winner": winner,
    }


def _history_entry(record: dict[str, Any]) -> dict[str, Any]:
    """One verification of the run, in order: which candidate (its verdict is under the run), or the problem."""
    candidate = record.get("candidate")
    return {
        "digest": candidate_of(record).digest if candidate else None,
        "origin": candidate["origin"] if candidate else None,
        "generation": record.get("generation", 0),
        "problem": None if record.get("verdict") else record.get("problem"),
    }


def _final_summary(record: dict[str, Any]) -> dict[str, Any]:
    """A finalist's speedups at the screen size and at the bench size (or why it failed there)."""
    final, screen = verdict_of(record), Verdict.model_validate(record["screen_verdict"])
    assert final is not None and screen.timing is not None  # finalists were accepted and timed at the screen size
    failure = final.failure
    return {
        "digest": final.candidate,
        "screen_speedup": screen.timing.speedup,
        "speedup": final.timing.speedup if final.accepted and final.timing else None,
        "failure": f"{failure.stage.value}: {failure.reason}" if failure is not None else None,
    }
