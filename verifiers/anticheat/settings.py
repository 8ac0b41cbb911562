"""Settings of the anti-cheat stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AntiCheatSettings(BaseModel):
    """Thresholds and sizes of the anti-cheat checks."""

    model_config = ConfigDict(extra="forbid")

    probe_size: dict[str, int] | None = None
    """Size of the probe instances; default: the task's largest test size."""
    roofline_slack: float = Field(default=2.0, ge=1.0)
    """A timed call faster than the memory bound divided by this is rejected (the slack absorbs probe error)."""
    memo_ratio: float = Field(default=0.5, gt=0, lt=1)
    """Repeats faster than this fraction of fresh calls (the fastest of each) mean memoization."""
    memo_floor_s: float = Field(default=20e-6, ge=0)
    """Below this call time the repeat-versus-fresh comparison is left out: timer noise dominates."""
    delay_ms: int = Field(default=40, ge=1)
    """Pause between calls in the delayed probe run."""
