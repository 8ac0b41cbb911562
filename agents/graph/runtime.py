"""What the graph's nodes share that is not state: the task, the proposer, the sandbox, the run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agents.proposers import Elite, Proposer
from agents.rundir import RunDir
from agents.solve_config import SolveConfig
from kernels_library import Provenance
from sandbox import Sandbox
from tasks.model import KernelTask
from verifiers import Candidate, Verdict

Verify = Callable[[Candidate, Candidate | None, Path], Verdict]
"""Verifies a candidate (timing it alongside the current best when given), logging under a dir."""
Publisher = Callable[[Candidate, Verdict, Provenance], str | None]
"""Stores a winner with its verdict and provenance; returns where it went."""


@dataclass
class SolveRuntime:
    """The run's fixed parts, rebuilt from the run directory on resume."""

    config: SolveConfig
    task: KernelTask
    proposer: Proposer
    sandbox: Sandbox
    run: RunDir
    verify: Verify
    verify_final: Verify
    """Verifies a finalist with the run's settings, timed at the bench size (see ``agents.graph.finals``)."""
    inspirations: list[Elite] = field(default_factory=list)
    """Library entries of this and related tasks, shown in prompts."""
    seeds: list[Candidate] = field(default_factory=list)
    """Library entries of this task, verified again in the first generation."""
    publish: Publisher = lambda candidate, verdict, provenance: None
    """Stores the winner somewhere lasting; returns where, or None."""
    check_environment: Callable[[], None] = lambda: None
    """Checks the sandbox's toolchain afresh; raises ``ToolchainMissing`` or ``SandboxUnavailable`` if it broke."""

    @property
    def repairs(self) -> bool:
        """Whether failed candidates can be sent back (only a model can repair)."""
        return self.config.repair_rounds > 0 and self.proposer.name == "llm"
