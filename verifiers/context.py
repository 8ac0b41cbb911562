"""What every verification stage sees: the task, the candidate, the sandbox and shared build products."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sandbox import Sandbox
from tasks.model import KernelTask
from verifiers.anticheat.settings import AntiCheatSettings
from verifiers.build import Build, build_kernel
from verifiers.candidate import Candidate
from verifiers.timing.bundle import build_candidate
from verifiers.timing.settings import TimingSettings
from verifiers.toolchain import Flavour


class VerifyConfig(BaseModel):
    """Settings of the verification cascade."""

    model_config = ConfigDict(extra="forbid")

    seeds: list[int] = Field(default_factory=lambda: [0, 1])
    """Seeds every test size runs with (seeds a prompt may show)."""
    hidden_seeds: int = 2
    """Extra seeds drawn fresh for every verification and never shown in any prompt."""
    thread_counts: list[int] = Field(default_factory=lambda: [1, 2, 4])
    """OpenMP thread counts for correctness (4 oversubscribes a 2-core machine on purpose)."""
    race_threads: int = 4
    run_s: float | None = Field(default=None, gt=0)
    """Wall-clock limit of one test run of the kernel; default: the task's ``limits.test_s``."""
    max_source_bytes: int = 64_000
    timing_threads: int | None = None
    """Threads for timing; default: the cores available."""
    confidence: float = 0.95
    timing: TimingSettings = Field(default_factory=TimingSettings)
    """Sizes, seeds, sample counts and budgets of the timing measurement."""
    anticheat: AntiCheatSettings = Field(default_factory=AntiCheatSettings)
    """Probe size and thresholds of the anti-cheat checks."""


@dataclass
class StageContext:
    """Shared state of one candidate's verification; stages read it and add build products."""

    task: KernelTask
    candidate: Candidate
    sandbox: Sandbox
    config: VerifyConfig
    logs_dir: Path
    best: Candidate | None = None
    """The current best candidate, timed alongside when given."""
    builds: dict[Flavour, Build] = field(default_factory=dict)
    """Builds made so far, by flavour, so that later stages reuse them."""
    artifacts: dict[str, Any] = field(default_factory=dict)
    """Other products later stages reuse, by name (e.g. the kernel bundle and the timing measurement)."""

    def build(self, flavour: Flavour) -> Build:
        """The candidate built as ``flavour``: built on first use, then reused (failed builds too)."""
        if flavour not in self.builds:
            if flavour is Flavour.release:  # its object also becomes the library that timing loads
                self.builds[flavour] = build_candidate(self.task, self.candidate.source, self.sandbox)
            else:
                self.builds[flavour] = build_kernel(self.task, self.candidate.source, self.sandbox, flavour)
        return self.builds[flavour]

    @property
    def run_s(self) -> float:
        """Wall-clock limit of one test run."""
        return self.config.run_s or self.task.limits.test_s

    def log_path(self, name: str) -> Path:
        """A file under the candidate's log dir (created on demand)."""
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        return self.logs_dir / name
