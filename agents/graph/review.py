"""Node ``review``: after a round of verification, send failures back for repair or move on to selection."""

from __future__ import annotations

from typing import Any

from agents.budget import Budget, Usage, exhausted
from agents.graph.requests import repair_requests
from agents.graph.runtime import SolveRuntime
from agents.graph.state import SolveState


class Review:
    def __init__(self, runtime: SolveRuntime) -> None:
        self.runtime = runtime

    def __call__(self, state: SolveState) -> dict[str, Any]:
        budget: Budget = self.runtime.config.budget.model_copy(update={"generations": 10**9})
        verified = sum(1 for r in state.get("results", []) if r.get("verdict"))
        spent = exhausted(budget, Usage(**state.get("usage", {})), verified, 0, state["started"])
        requests = [] if spent else repair_requests(self.runtime, dict(state))
        update: dict[str, Any] = {"requests": requests}
        if requests:
            update["round"] = state["round"] + 1
        return update
