"""Node ``verify`` (fanned out with Send): the verification cascade on one candidate."""

from __future__ import annotations

from typing import Any

from agents.graph.runtime import SolveRuntime
from verifiers.candidate import Candidate


class Verify:
    def __init__(self, runtime: SolveRuntime) -> None:
        self.runtime = runtime

    def __call__(self, payload: dict[str, Any]) -> dict[str, Any]:
        record = payload["record"]
        candidate = Candidate.model_validate(record["candidate"])
        best = Candidate.model_validate(payload["best"]) if payload.get("best") else None
        logs = self.runtime.run.candidate_dir(candidate) / "logs"
        verdict = self.runtime.verify(candidate, best, logs)
        self.runtime.run.record(candidate, verdict)
        timed_against = best.digest if best is not None and verdict.timing and verdict.timing.best_s else None
        result = {**record, "verdict": verdict.model_dump(mode="json"), "timed_against": timed_against}
        return {"results": [result]}
