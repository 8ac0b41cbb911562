"""Proposers: where candidate kernels come from."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict

from tasks.model import KernelTask
from verifiers.candidate import Candidate


class ProposalRequest(BaseModel):
    """What a proposer is asked for."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    task: KernelTask
    count: int
    """How many candidates are wanted (a proposer may return fewer when it has no more ideas)."""
    parents: list[Candidate] = []
    """Verified candidates to improve on, best first."""


class Proposer(Protocol):
    """Anything that turns a request into candidate sources."""

    name: str

    def propose(self, request: ProposalRequest) -> list[Candidate]:
        """New candidates for ``request.task``."""
        ...
