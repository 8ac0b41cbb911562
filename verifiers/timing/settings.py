"""Settings of the timing measurement."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tasks.model import KernelTask


class TimingSettings(BaseModel):
    """How candidates are timed against the reference (and the current best)."""

    model_config = ConfigDict(extra="forbid")

    size: dict[str, int] | None = None
    """Size to time at instead of the task's first bench size (small sizes keep tests fast)."""
    screen: bool = False
    """Time at the task's screen size (``sizes.screen``, about a tenth of the bench work) instead of its bench
    size, as a tournament does for every candidate; tasks without one are timed at their bench size."""
    seed: int | None = None
    """Seed of the timed instance; default: drawn once per process and never shown anywhere."""
    warmup: int = Field(default=1, ge=0)
    """Untimed iterations (each kernel called once per iteration) before sampling."""
    min_samples: int = Field(default=10, ge=2)
    """Timed iterations at least (the bootstrap interval is unreliable below about 10)."""
    screen_min_samples: int = Field(default=6, ge=2)
    """... or at least this many when timing at the screen size, where the looser ``screen_target`` is met long
    before ten: an A/A comparison at reduce-sum's screen size stayed at 2.5% false positives (2 of 80)."""
    max_samples: int = Field(default=200, ge=2)
    target: float = Field(default=0.05, gt=0)
    """Sampling stops once the speedup's interval has a relative half-width below this..."""
    screen_target: float = Field(default=0.10, gt=0)
    """... or below this when timing at the screen size: a screen ranks candidates, and differences finer
    than this are settled in the bench-size final at ``target``."""
    budget_s: float = Field(default=8.0, gt=0)
    """... or once sampling has taken this many seconds (whichever comes first, after ``min_samples``)."""
    resamples: int = Field(default=4000, ge=100)
    """Bootstrap resamples for the confidence intervals."""

    def timed_size(self, task: KernelTask) -> dict[str, int]:
        """The size ``task`` is timed at under these settings."""
        return self.size or task.sizes.timed(self.screen)

    def screening(self, task: KernelTask) -> bool:
        """Whether ``task`` is timed at its screen size (smaller than its bench size)."""
        return self.size is None and self.screen and bool(task.sizes.screen)

    def sample_floor(self, task: KernelTask) -> int:
        """The timed iterations ``task`` gets at least under these settings."""
        return self.screen_min_samples if self.screening(task) else self.min_samples

    def precision(self, task: KernelTask) -> float:
        """The relative half-width at which sampling ``task`` stops."""
        return self.screen_target if self.screening(task) else self.target
