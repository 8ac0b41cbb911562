"""Node ``gather``: the round's new candidates go to verification; unusable replies become results."""

from __future__ import annotations

from typing import Any

from agents.graph.runtime import SolveRuntime
from agents.graph.state import SolveState


class Gather:
    def __init__(self, runtime: SolveRuntime) -> None:
        self.runtime = runtime

    def __call__(self, state: SolveState) -> dict[str, Any]:
        current = state["round"]
        results = state.get("results", [])
        seen = {r["digest"] for r in results if r.get("digest")}
        budget = self.runtime.config.budget.max_candidates
        room = None if budget is None else max(0, budget - sum(1 for r in results if r.get("verdict")))
        to_verify, problems = [], []
        for record in (p for p in state.get("proposals", []) if p["round"] == current):
            if record["candidate"] is None:
                problems.append({**record, "verdict": None})
            elif record["digest"] not in seen and (room is None or len(to_verify) < room):
                seen.add(record["digest"])
                to_verify.append(record)
        return {"to_verify": to_verify, "results": problems}
