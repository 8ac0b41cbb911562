"""Verdicts: what each verification stage found, in a form both people and models can act on."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field


class Stage(StrEnum):
    """Verification stages, cheapest first."""

    parse = "parse"
    compile = "compile"
    correctness = "correctness"
    race = "race"
    memory = "memory"
    timing = "timing"
    anticheat = "anticheat"


class StageStatus(StrEnum):
    passed = "passed"
    failed = "failed"
    """The candidate is wrong, racy, unsafe or cheating."""
    error = "error"
    """The verifier could not decide (sandbox or toolchain trouble); the candidate is not accepted."""
    skipped = "skipped"
    """Not run: an earlier stage failed, or the stage does not apply to the target."""


class StageResult(BaseModel):
    """The outcome of one stage."""

    model_config = ConfigDict(extra="forbid")

    stage: Stage
    status: StageStatus
    reason: str = ""
    """Short machine-readable code, e.g. ``race.data_race`` or ``correctness.wrong_output``."""
    feedback: str = ""
    """What a model needs to fix the problem, pointing at the candidate's own lines."""
    logs: str | None = None
    """Path of the raw logs of this stage."""
    seconds: float = 0.0
    details: dict = Field(default_factory=dict)
    """Stage-specific data (e.g. the failing size and seed, the race's line numbers)."""


class Timing(BaseModel):
    """Speed of a candidate against the reference, measured interleaved in one sandbox job."""

    model_config = ConfigDict(extra="forbid")

    size: dict[str, int]
    threads: int
    candidate_s: float
    """Median time of one call."""
    reference_s: float
    speedup: float
    """Reference time / candidate time (ratio of medians)."""
    speedup_low: float
    """Lower end of the 95% confidence interval of the speedup."""
    speedup_high: float
    samples: int
    """Timed calls of each program."""
    roofline_fraction: float | None = None
    """Achieved fraction of the machine's roofline bound for the task's declared work."""
    best_s: float | None = None
    """Median time of the current best candidate, when one was timed alongside."""
    speedup_vs_best_low: float | None = None
    speedup_vs_best_high: float | None = None


class StagedOutcome:
    """What every verdict derives from its ``stages`` (each with a stage, status, reason and feedback)."""

    if TYPE_CHECKING:
        stages: Sequence[Any]

    @property
    def accepted(self) -> bool:
        """Every stage that ran passed, and at least one ran."""
        return all(s.status in (StageStatus.passed, StageStatus.skipped) for s in self.stages) and any(
            s.status is StageStatus.passed for s in self.stages
        )

    @property
    def failure(self) -> Any:
        """The stage result that stopped the cascade, if any."""
        return next((s for s in self.stages if s.status in (StageStatus.failed, StageStatus.error)), None)

    def feedback(self) -> str:
        """The feedback a model gets for this verdict (empty when accepted)."""
        failure = self.failure
        return f"[{failure.stage} failed: {failure.reason}]\n{failure.feedback}" if failure else ""


class Verdict(StagedOutcome, BaseModel):
    """Everything the verifiers found about one candidate for one task."""

    model_config = ConfigDict(extra="forbid")

    task: str
    task_version: int
    candidate: str
    """Content hash of the candidate's source."""
    stages: list[StageResult]
    timing: Timing | None = None
    cache_key: str = ""

    def after(self, earlier: Verdict) -> Verdict:
        """This verdict of some stages, preceded by ``earlier``'s results of every other stage (of the same
        candidate and task): a re-verification that re-ran only the stages it had to."""
        rerun = {result.stage for result in self.stages}
        kept = [result for result in earlier.stages if result.stage not in rerun]
        return self.model_copy(update={"stages": [*kept, *self.stages]})
