"""The LLM proposer: prompts from templates, diverse sampling, code extraction, all through litellm."""

from __future__ import annotations

import re

from agents.budget import Usage
from agents.hardware_facts import describe_hardware
from agents.model_client import ModelClient, ModelError
from agents.prompts import render
from agents.proposers import Elite, Proposal, ProposalRequest
from agents.proposers.extract import ExtractionError, extract_source
from tasks.model import KernelTask, Target
from verifiers import Candidate

PLAN_TEMPERATURE = 0.9
_BULLET = re.compile(r"^\s*(?:[-*]|\d+[.)])\s+(.+)$")


class LLMProposer:
    """Candidates written by a model."""

    name = "llm"

    def __init__(self, client: ModelClient, hardware: str | None = None) -> None:
        self.client = client
        self.hardware = hardware or describe_hardware()

    def plan(self, task: KernelTask, count: int) -> tuple[list[str], Usage]:
        """Ask for ``count`` diverse strategies; an unreachable model gives none (proposals go on unplanned)."""
        prompt = render(Target.cpp_openmp, "plan", count=count, **self._task_fields(task))
        try:
            reply = self.client.complete(self._messages(prompt), temperature=PLAN_TEMPERATURE)
        except ModelError:
            return [], Usage()
        strategies = [m.group(1).strip() for line in reply.text.splitlines() if (m := _BULLET.match(line))]
        return strategies[:count], reply.usage

    def propose(self, request: ProposalRequest) -> list[Proposal]:
        """One candidate per request (a repair when ``request.repair_of`` is set)."""
        task = request.task
        if request.repair_of is not None:
            prompt = render(
                Target.cpp_openmp,
                "repair",
                source=request.repair_of.source,
                feedback=request.feedback or "(no details)",
                **self._task_fields(task),
            )
        else:
            prompt = render(
                Target.cpp_openmp,
                "propose",
                elites=_elites_text("Best verified versions so far", request.elites),
                inspirations=_elites_text("Related kernels from the library", request.inspirations),
                strategy=request.strategy or "your best idea",
                **self._task_fields(task),
            )
        try:
            reply = self.client.complete(self._messages(prompt), temperature=request.temperature, sample=request.sample)
        except ModelError as exc:
            return [Proposal(problem=f"model call failed: {exc}")]
        parent = request.repair_of.source if request.repair_of is not None else None
        try:
            source = extract_source(reply.text, task.signature.function, parent=parent)
        except ExtractionError as exc:
            return [Proposal(problem=str(exc), reply=reply.text, usage=reply.usage)]
        origin = f"{self.client.config.model}" + (" (repair)" if parent else "")
        return [Proposal(candidate=Candidate(source=source, origin=origin), usage=reply.usage)]

    def _task_fields(self, task: KernelTask) -> dict[str, object]:
        return {
            "name": task.name,
            "description": task.description.strip(),
            "prototype": task.signature.prototype() + ";",
            "function": task.signature.function,
            "reference": task.reference.cpp.strip(),
            "hardware": self.hardware,
        }

    def _messages(self, prompt: str) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": render(Target.cpp_openmp, "system")},
            {"role": "user", "content": prompt},
        ]


def _elites_text(title: str, elites: list[Elite]) -> str:
    if not elites:
        return ""
    parts = [f"{title}:"]
    for elite in elites:
        parts.append(
            f"\nspeedup {elite.speedup:.2f}x (95% CI {elite.speedup_low:.2f}-{elite.speedup_high:.2f}):\n"
            f"```cpp\n{elite.candidate.source.strip()}\n```"
        )
    return "\n".join(parts) + "\n"
