"""Verdicts of config candidates: one result per stage, in the same shape as kernel verdicts."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from verifiers.verdict import StagedOutcome, StageStatus


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


class ConfigVerdict(StagedOutcome, BaseModel):
    """Everything the config verifiers found about one layout for one task."""

    model_config = ConfigDict(extra="forbid")

    task: str
    layout: dict
    stages: list[ConfigStageResult]
    objective_value: float | None = None
    """What the tournament ranks by: tokens/s (throughput) or GPU-seconds per token (cost)."""
