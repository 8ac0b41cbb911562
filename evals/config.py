"""The settings of one evaluation run, stored in its run directory so that a second run can resume it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agents.model_config import ModelConfig
from evals.records import EvalMode
from verifiers import VerifyConfig, verify_workers


class SolveSettings(BaseModel):
    """How each task is solved in ``--solve`` mode (a subset of ``agent solve``'s settings)."""

    model_config = ConfigDict(extra="forbid")

    population: int = Field(default=4, ge=1)
    generations: int = Field(default=2, ge=1)
    """Generations per task; fewer than ``agent solve``'s 3, so a whole suite fits an afternoon."""
    repair_rounds: int = Field(default=2, ge=0)
    finalists: int = Field(default=2, ge=1)
    max_candidates: int | None = Field(default=None, ge=1)
    """Candidates verified per task at most."""


class EvalConfig(BaseModel):
    """What to evaluate and how."""

    model_config = ConfigDict(extra="forbid")

    suite: str
    """``builtin``, ``configs``, or a folder of task files (an imported benchmark's ``tasks/`` too)."""
    mode: EvalMode = EvalMode.samples
    samples: int = Field(default=1, ge=1)
    """Independent candidates per task in samples mode (the n of pass@k)."""
    model: ModelConfig | None = None
    """The model proposing candidates; None: the offline proposer (or recorded candidates)."""
    candidates_dir: str | None = None
    """Per-task subfolders of recorded candidates (candidates mode)."""
    threads: list[int] = Field(default_factory=list)
    """Thread counts the winners are timed at, beside the cascade's own timing."""
    workers: int = Field(default_factory=verify_workers, ge=1)
    """Candidate verifications at once (local executor)."""
    executor: str = "local"
    """``local`` (a thread pool in this process) or ``ray``."""
    ray_address: str | None = None
    """``auto``, ``ray://HOST:PORT`` or ``HOST:PORT`` of an existing cluster; None starts a local one."""
    backend: str = "auto"
    """Sandbox backend: auto, docker or local."""
    max_cost: float | None = Field(default=None, ge=0)
    """US dollars of model usage for the whole run; tasks not started when it is spent are skipped."""
    time_limit_s: float | None = Field(default=None, gt=0)
    """Seconds for this invocation; work not started by then is skipped (and taken up by a resumed run)."""
    screen: bool = True
    """Time each candidate at its task's screen size (about a tenth of the bench work, as a tournament does),
    then time each task's winner at the bench size, where its reported speedup comes from."""
    temperature: float = Field(default=0.8, ge=0)
    """Sampling temperature of model proposals in samples mode."""
    solve: SolveSettings = Field(default_factory=SolveSettings)
    verify: VerifyConfig = Field(default_factory=VerifyConfig)

    @model_validator(mode="after")
    def _mode_has_what_it_needs(self) -> EvalConfig:
        if self.mode is EvalMode.candidates and not self.candidates_dir:
            raise ValueError("candidates mode needs a candidates directory (--candidates)")
        if self.threads and min(self.threads) < 1:
            raise ValueError("thread counts must be at least 1")
        return self

    def candidate_verify(self) -> VerifyConfig:
        """Verification settings of every candidate (timed at the screen size when ``screen``)."""
        timing = self.verify.timing.model_copy(update={"screen": self.screen})
        return self.verify.model_copy(update={"timing": timing})

    def winner_verify(self, threads: int | None = None) -> VerifyConfig:
        """Settings of a winner's bench-size timing (at ``threads``, default the cores available)."""
        timing = self.verify.timing.model_copy(update={"screen": False})
        return self.verify.model_copy(update={"timing": timing, "timing_threads": threads})

    def identity(self) -> dict[str, object]:
        """The settings a resumed run must share with the run it continues (results would not mix otherwise)."""
        return {
            "suite": self.suite,
            "mode": self.mode.value,
            "samples": self.samples,
            "model": self.model.model if self.model else None,
            "candidates_dir": self.candidates_dir,
        }
