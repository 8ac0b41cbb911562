"""Config task files: ``kind: train_config`` and ``kind: serve_config``.

Example (``train_config``)::

    kind: train_config
    name: gpt3-175b-a100
    model: gpt3-175b
    cluster: {gpu: a100-80gb, gpus_per_node: 8, nodes: 8}
    workload: {seq_len: 2048, global_batch_sequences: 64}
    frameworks: [megatron]
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt, field_validator, model_validator

from tasks.configs.specs import ClusterSpec, ModelField
from tasks.model import StrictModel, TaskKind


class Framework(StrEnum):
    """A framework whose config a solve emits."""

    megatron = "megatron"
    deepspeed = "deepspeed"
    torchtitan = "torchtitan"
    vllm = "vllm"


TRAIN_FRAMEWORKS = (Framework.megatron, Framework.deepspeed, Framework.torchtitan)
SERVE_FRAMEWORKS = (Framework.vllm,)


class Objective(StrEnum):
    """What the tournament ranks configs by."""

    throughput = "throughput"  # highest tokens/s on the whole cluster
    cost = "cost"  # fewest GPU-seconds per token; a config may leave GPUs unused


class TrainWorkload(StrictModel):
    """One training step: the sequence length and the global batch, in sequences or in tokens."""

    seq_len: PositiveInt
    global_batch_sequences: PositiveInt | None = None
    global_batch_tokens: PositiveInt | None = None

    @model_validator(mode="after")
    def _one_batch_size(self) -> TrainWorkload:
        given = [self.global_batch_sequences, self.global_batch_tokens]
        if given.count(None) != 1:
            raise ValueError("give exactly one of global_batch_sequences and global_batch_tokens")
        if self.global_batch_tokens is not None and self.global_batch_tokens % self.seq_len:
            raise ValueError(
                f"global_batch_tokens ({self.global_batch_tokens}) is not a multiple of seq_len ({self.seq_len})"
            )
        return self

    @property
    def batch_sequences(self) -> int:
        """The global batch in sequences."""
        return self.global_batch_sequences or (self.global_batch_tokens or 0) // self.seq_len


class LengthDistribution(StrictModel):
    """Token lengths of requests: fixed, uniform in [low, high], or lognormal around a mean."""

    kind: Literal["fixed", "uniform", "lognormal"] = "fixed"
    mean: PositiveFloat
    low: PositiveInt | None = None
    high: PositiveInt | None = None
    sigma: NonNegativeFloat = 0.5
    max: PositiveInt | None = Field(None, description="hard cap on one request's length")

    @model_validator(mode="after")
    def _bounds(self) -> LengthDistribution:
        if self.kind == "uniform" and (self.low is None or self.high is None or not self.low <= self.mean <= self.high):
            raise ValueError("a uniform length needs low <= mean <= high")
        return self


class ServeWorkload(StrictModel):
    """Serving traffic and its latency targets (time to first token, time per output token)."""

    prompt_tokens: LengthDistribution
    output_tokens: LengthDistribution
    arrival_rate: PositiveFloat = Field(description="requests per second, Poisson arrivals")
    ttft_ms: PositiveFloat = Field(description="target time to first token (p50), milliseconds")
    tpot_ms: PositiveFloat = Field(description="target time per output token (p50), milliseconds")


def _only(frameworks: list[Framework], allowed: tuple[Framework, ...], purpose: str) -> list[Framework]:
    wrong = [framework.value for framework in frameworks if framework not in allowed]
    if wrong:
        names = ", ".join(framework.value for framework in allowed)
        raise ValueError(f"not a {purpose} framework: {', '.join(wrong)} (use {names})")
    return frameworks


class _ConfigTaskBase(StrictModel):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    description: str = ""
    model: ModelField
    cluster: ClusterSpec
    objective: Objective = Objective.throughput
    dry_run: bool = Field(True, description="run the scaled-down layout with torch.distributed (gloo, CPU)")


class TrainConfigTask(_ConfigTaskBase):
    """Find the fastest training layout of ``model`` on ``cluster`` for ``workload``."""

    kind: Literal[TaskKind.train_config] = TaskKind.train_config
    workload: TrainWorkload
    frameworks: list[Framework] = Field(default_factory=lambda: [Framework.megatron], min_length=1)

    @field_validator("frameworks")
    @classmethod
    def _training_frameworks(cls, frameworks: list[Framework]) -> list[Framework]:
        return _only(frameworks, TRAIN_FRAMEWORKS, "training")


class ServeConfigTask(_ConfigTaskBase):
    """Find the serving layout of ``model`` on ``cluster`` that meets the latency targets at the most throughput."""

    kind: Literal[TaskKind.serve_config] = TaskKind.serve_config
    workload: ServeWorkload
    frameworks: list[Framework] = Field(default_factory=lambda: [Framework.vllm], min_length=1)

    @field_validator("frameworks")
    @classmethod
    def _serving_frameworks(cls, frameworks: list[Framework]) -> list[Framework]:
        return _only(frameworks, SERVE_FRAMEWORKS, "serving")


ConfigTask = TrainConfigTask | ServeConfigTask
