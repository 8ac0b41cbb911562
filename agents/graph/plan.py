"""Node ``plan``: a few diverse strategies in plain words, then the first generation's requests."""

from __future__ import annotations

import time
from typing import Any

from agents.graph.requests import generation_requests
from agents.graph.runtime import SolveRuntime
from agents.graph.state import SolveState


class Plan:
    def __init__(self, runtime: SolveRuntime) -> None:
        self.runtime = runtime

    def __call__(self, state: SolveState) -> dict[str, Any]:
        config = self.runtime.config
        strategies, usage = self.runtime.proposer.plan(self.runtime.task, config.population)
        first = {"generation": 1, "round": 1, "strategies": strategies, "results": []}
        return {
            "generation": 1,
            "round": 1,
            "strategies": strategies,
            "started": time.time(),
            "usage": usage.model_dump(),
            "requests": generation_requests(self.runtime, first),
        }
