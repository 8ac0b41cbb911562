"""Proposers: where candidate kernels come from."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict

from agents.budget import Usage
from tasks.model import KernelTask
from verifiers import Candidate


class Elite(BaseModel):
    """A verified candidate shown to a proposer, with its measured speed."""

    model_config = ConfigDict(extra="forbid")

    candidate: Candidate
    speedup: float
    speedup_low: float
    speedup_high: float


class ProposalRequest(BaseModel):
    """What a proposer is asked for."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    task: KernelTask
    count: int = 1
    """How many candidates are wanted (a proposer may return fewer when it has no more ideas)."""
    strategy: str | None = None
    """A plan in plain words to follow."""
    elites: list[Elite] = []
    """The best verified candidates so far, best first."""
    inspirations: list[Elite] = []
    """Library entries of this or related tasks."""
    repair_of: Candidate | None = None
    """A failed candidate to fix, with ``feedback`` saying what failed."""
    feedback: str | None = None
    sample: int = 0
    """Index of this request among identical ones (diversity, and cache keys)."""
    temperature: float = 0.7


class Proposal(BaseModel):
    """One proposer answer: a candidate, or the reason none could be taken (feedback for a repair)."""

    model_config = ConfigDict(extra="forbid")

    candidate: Candidate | None = None
    problem: str | None = None
    reply: str | None = None
    """The raw reply, kept when it could not be used, so that a repair can show it."""
    usage: Usage = Usage()


class Proposer(Protocol):
    """Anything that turns a request into candidate sources."""

    name: str

    def plan(self, task: KernelTask, count: int) -> tuple[list[str], Usage]:
        """Up to ``count`` diverse strategies, in plain words."""
        ...

    def propose(self, request: ProposalRequest) -> list[Proposal]:
        """New candidates for ``request.task``."""
        ...
