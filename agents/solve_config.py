"""The configuration of one solve run, stored in its run directory so that it can be resumed."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agents.budget import Budget
from agents.model_config import ModelConfig
from verifiers import VerifyConfig, verify_workers


class ProposerKind(StrEnum):
    offline = "offline"
    """OpenMP rewrites of the reference; needs no model."""
    llm = "llm"
    directory = "directory"
    """Candidates from files written elsewhere."""


class SolveConfig(BaseModel):
    """How to solve one task."""

    model_config = ConfigDict(extra="forbid")

    task: str
    """Path of the task file, or the name of a built-in task."""
    proposer: ProposerKind = ProposerKind.offline
    model: ModelConfig | None = None
    """The model, for the llm proposer."""
    candidates_dir: Path | None = None
    """The directory, for the directory proposer."""
    budget: Budget = Budget()
    population: int = Field(default=4, ge=1)
    """Candidates proposed per generation."""
    repair_rounds: int = Field(default=2, ge=0)
    """Times a failed candidate is sent back with its feedback (model proposers only)."""
    islands: int = Field(default=2, ge=1)
    migration_every: int = Field(default=2, ge=1)
    """Generations between migrations of island champions."""
    workers: int = Field(default_factory=verify_workers, ge=1)
    """Candidates verified at once."""
    backend: str = "auto"
    """Sandbox backend: auto, docker or local."""
    verify: VerifyConfig = Field(default_factory=VerifyConfig)
    screen: bool = True
    """Time the tournament's candidates at the task's screen size, then decide the winner in a final at the
    bench size (see ``agents.graph.finals``)."""
    finalists: int = Field(default=3, ge=1)
    """Best candidates of a screened run timed again at the bench size, where the winner is decided."""
    seed: int = 0

    @model_validator(mode="after")
    def _proposer_has_what_it_needs(self) -> SolveConfig:
        if self.proposer is ProposerKind.llm and self.model is None:
            raise ValueError("the llm proposer needs a model (--model)")
        if self.proposer is ProposerKind.directory and self.candidates_dir is None:
            raise ValueError("the directory proposer needs a candidates directory (--candidates)")
        return self

    def verify_settings(self, *, final: bool = False) -> VerifyConfig:
        """The verification settings of the tournament (timed at the screen size when ``screen``) or of the
        final (timed at the bench size)."""
        screen = self.screen and not final
        return self.verify.model_copy(update={"timing": self.verify.timing.model_copy(update={"screen": screen})})
