"""What the runner hands every rank of a dry run, and what each rank hands back (plain pydantic, no torch)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, NonNegativeInt, PositiveFloat, PositiveInt

from verifiers.configs.dryrun.scale import ScaledLayout

STACK_DUMP_SIGNAL = signal.SIGUSR1
"""On this signal a rank prints its Python stack to its log: the runner sends it to ranks that hang."""


class InjectedFault(BaseModel):
    """A fault one rank raises or hangs on at its first step: how the runner's failure paths are checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rank: NonNegativeInt
    kind: Literal["raise", "hang"]


class WorkerSpec(BaseModel):
    """The job of every rank: the scaled layout, how many steps, the seed, the collective timeout."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    layout: ScaledLayout
    steps: PositiveInt
    seed: int
    learning_rate: PositiveFloat
    collective_timeout_s: PositiveFloat
    fault: InjectedFault | None = None


class WorkerReport(BaseModel):
    """One rank's outcome: its mesh coordinates, the losses it saw (last stage only), or its traceback."""

    model_config = ConfigDict(extra="forbid")

    rank: NonNegativeInt
    pp_rank: NonNegativeInt = 0
    dp_rank: NonNegativeInt = 0
    tp_rank: NonNegativeInt = 0
    losses: list[float] = []
    """Mean loss of each step over this rank's micro-batches; empty unless the rank holds the last stage."""
    reference_losses: list[float] = []
    """Rank 0 only: the same model trained in one process on the whole batch."""
    error: str = ""
    """The traceback of the exception that stopped the rank."""


def report_path(out_dir: Path, rank: int) -> Path:
    """Where rank ``rank`` writes its :class:`WorkerReport`."""
    return out_dir / f"rank{rank}.json"
