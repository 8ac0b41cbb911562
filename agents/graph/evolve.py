"""Node ``evolve``: stop when a budget is spent, else request the next generation from the elites."""

from __future__ import annotations

from typing import Any

from agents.budget import Usage, exhausted
from agents.graph.requests import generation_requests
from agents.graph.runtime import SolveRuntime
from agents.graph.state import SolveState


class Evolve:
    def __init__(self, runtime: SolveRuntime) -> None:
        self.runtime = runtime

    def __call__(self, state: SolveState) -> dict[str, Any]:
        verified = sum(1 for r in state.get("results", []) if r.get("verdict"))
        usage = Usage(**state.get("usage", {}))
        reason = exhausted(self.runtime.config.budget, usage, verified, state["generation"], state["started"])
        if reason is not None:
            return {"stop_reason": reason, "requests": []}
        following = {**state, "generation": state["generation"] + 1}
        requests = generation_requests(self.runtime, following)
        if not requests:
            return {"stop_reason": "the proposer has nothing new", "requests": []}
        return {"generation": following["generation"], "round": state["round"] + 1, "requests": requests}
