"""A verified candidate with the timing it was selected on."""

from __future__ import annotations

import re
from functools import cached_property

from pydantic import BaseModel, ConfigDict

from verifiers import Candidate, Timing

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+|\S")
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


class Scored(BaseModel):
    """A candidate that passed verification, and its measured speed against the reference."""

    model_config = ConfigDict(extra="forbid")

    candidate: Candidate
    timing: Timing
    generation: int = 0
    parent: str | None = None
    """Digest of the candidate it was derived from."""
    timed_against: str | None = None
    """Digest of the best candidate that was timed in the same job, if any."""

    @cached_property
    def size(self) -> int:
        """Code size in tokens, comments excluded: the measure of simplicity."""
        return len(_TOKEN.findall(_COMMENT.sub(" ", self.candidate.source)))

    @property
    def digest(self) -> str:
        return self.candidate.digest
