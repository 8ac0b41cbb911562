"""Node ``propose`` (fanned out with Send): one proposer call for one request."""

from __future__ import annotations

from typing import Any

from agents.graph.runtime import SolveRuntime
from agents.proposers import Elite, ProposalRequest
from verifiers import Candidate


class Propose:
    def __init__(self, runtime: SolveRuntime) -> None:
        self.runtime = runtime

    def __call__(self, payload: dict[str, Any]) -> dict[str, Any]:
        spec, round_ = payload["request"], payload["round"]
        request = ProposalRequest(
            task=self.runtime.task,
            strategy=spec.get("strategy"),
            elites=[Elite.model_validate(e) for e in spec.get("elites", [])],
            inspirations=self.runtime.inspirations,
            repair_of=Candidate.model_validate(spec["repair_of"]) if spec.get("repair_of") else None,
            feedback=spec.get("feedback"),
            sample=spec["sample"],
            temperature=spec["temperature"],
        )
        proposals = self.runtime.proposer.propose(request)
        common = {
            "round": round_,
            "generation": payload["generation"],
            "island": spec["island"],
            "parent": spec.get("parent"),
            "repair_round": spec["repair_round"],
        }
        records = [
            {
                **common,
                "candidate": p.candidate.model_dump(mode="json") if p.candidate else None,
                "digest": p.candidate.digest if p.candidate else None,
                "problem": p.problem,
                "reply": p.reply,
            }
            for p in proposals
        ]
        usage: dict[str, Any] = {}
        for proposal in proposals:
            for key, value in proposal.usage.model_dump().items():
                usage[key] = usage.get(key, 0) + value
        return {"proposals": records, "usage": usage}
