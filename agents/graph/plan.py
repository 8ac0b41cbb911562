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
        """Strategies, the library's entries of this task as seeds, and the first requests."""
        config = self.runtime.config
        strategies, usage = self.runtime.proposer.plan(self.runtime.task, config.population)
        first = {"generation": 1, "round": 1, "strategies": strategies, "results": []}
        seeds = [
            {"round": 1, "generation": 1, "island": index % config.islands, "parent": None, "repair_round": 0,
             "candidate": seed.model_dump(mode="json"), "digest": seed.digest, "problem": None, "reply": None}
            for index, seed in enumerate(self.runtime.seeds)
        ]  # fmt: skip
        return {
            "proposals": seeds,
            "generation": 1,
            "round": 1,
            "strategies": strategies,
            "started": time.time(),
            "usage": usage.model_dump(),
            "requests": generation_requests(self.runtime, first),
        }
