"""Verdicts of config candidates: one result per stage, in the same shape as kernel verdicts."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from verifiers.verdict import StageStatus


class ConfigStage(StrEnum):
    """Stages of a config candidate, cheapest first."""

    layout = "layout"  # shapes divide, sizes multiply to the GPUs, batch sizes are consistent
    memory = "memory"  # bytes per GPU fit
    performance = "performance"  # predicted step time / latency, and the serving targets
    framework = "framework"  # emitted framework configs pass their schema checks
    dry_run = "dry_run"  # the scaled-down layout really runs with torch.distributed


class ConfigStageResult(BaseModel):
    """The outcome of one stage; ``details`` holds the numbers (bytes, seconds) it was decided on."""

    model_config = ConfigDict(extra="forbid")

    stage: ConfigStage
    status: StageStatus
    reason: str = ""
    """Short machine-readable code, e.g. ``memory.does_not_fit`` or ``layout.heads_not_divisible``."""
    feedback: str = ""
    """What a proposer needs to fix the problem, with the numbers."""
    seconds: float = 0.0
    details: dict = Field(default_factory=dict)


class ConfigVerdict(BaseModel):
    """Everything the config verifiers found about one layout for one task."""

    model_config = ConfigDict(extra="forbid")

    task: str
    layout: dict
    stages: list[ConfigStageResult]
    objective_value: float | None = None
    """What the tournament ranks by: tokens/s (throughput) or GPU-seconds per token (cost)."""

    @property
    def accepted(self) -> bool:
        """Every stage that ran passed, and at least one ran."""
        return all(s.status in (StageStatus.passed, StageStatus.skipped) for s in self.stages) and any(
            s.status is StageStatus.passed for s in self.stages
        )

    @property
    def failure(self) -> ConfigStageResult | None:
        """The stage that stopped the cascade, if any."""
        return next((s for s in self.stages if s.status in (StageStatus.failed, StageStatus.error)), None)

    def feedback(self) -> str:
        """The feedback a proposer gets for this verdict (empty when accepted)."""
        failure = self.failure
        return f"[{failure.stage} failed: {failure.reason}]\n{failure.feedback}" if failure else ""
