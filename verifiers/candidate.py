"""A candidate implementation of a task's kernel."""

from __future__ import annotations

import hashlib
from functools import cached_property

from pydantic import BaseModel, ConfigDict

from tasks.model import Target


class Candidate(BaseModel):
    """Source code proposed for a task, with where it came from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    target: Target = Target.cpp_openmp
    origin: str = "user"
    """Who proposed it: ``user``, ``offline``, a model name, a file path."""

    @cached_property
    def digest(self) -> str:
        """SHA-256 of the source: the candidate's identity."""
        return hashlib.sha256(self.source.encode()).hexdigest()
