"""Candidates of config tasks: a parallel layout for training, an engine layout for serving."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from tasks.model import StrictModel


class Recompute(StrEnum):
    """Activation recomputation (Korthikanti et al. 2022)."""

    none = "none"
    selective = "selective"  # recompute the attention core (softmax, dropout, QK^T, AV)
    full = "full"  # keep only each layer's input; recompute the whole layer in the backward pass


class TrainLayout(StrictModel):
    """How one training step is spread over GPUs.

    ``world_size = tp * pp * cp * dp``. Expert parallelism splits the data-parallel ranks
    (``ep`` divides ``dp * cp``). ``vpp`` > 1 is the interleaved 1F1B schedule with ``vpp``
    model chunks per pipeline rank. ``zero_stage`` shards optimizer states (1), plus gradients
    (2), plus weights (3, which is what FSDP does) over the data-parallel ranks.
    """

    tp: PositiveInt = 1
    pp: PositiveInt = 1
    vpp: PositiveInt = 1
    cp: PositiveInt = 1
    dp: PositiveInt = 1
    ep: PositiveInt = 1
    micro_batch: PositiveInt = 1
    sequence_parallel: bool = False
    recompute: Recompute = Recompute.none
    zero_stage: Literal[0, 1, 2, 3] = 0
    rationale: str = Field("", description="why a proposer chose this layout (shown in reports)")

    @model_validator(mode="after")
    def _consistent(self) -> TrainLayout:
        if self.sequence_parallel and self.tp == 1:
            raise ValueError("sequence_parallel needs tp > 1")
        if self.vpp > 1 and self.pp == 1:
            raise ValueError("vpp > 1 (interleaved schedule) needs pp > 1")
        if (self.dp * self.cp) % self.ep:
            raise ValueError(f"ep ({self.ep}) must divide dp * cp ({self.dp * self.cp})")
        return self

    @property
    def world_size(self) -> int:
        """GPUs the layout occupies."""
        return self.tp * self.pp * self.cp * self.dp


class ServeLayout(StrictModel):
    """One serving deployment: ``replicas`` engines, each over ``tp * pp`` GPUs, continuous batching."""

    tp: PositiveInt = 1
    pp: PositiveInt = 1
    replicas: PositiveInt = 1
    max_num_seqs: PositiveInt = 256
    max_num_batched_tokens: PositiveInt = 8192
    gpu_memory_utilization: float = Field(0.9, gt=0.0, le=1.0)
    kv_block_size: PositiveInt = 16
    rationale: str = ""

    @property
    def world_size(self) -> int:
        """GPUs the deployment occupies."""
        return self.tp * self.pp * self.replicas
