"""DeepSpeed: a ``ds_config.json`` for a training layout, and its checks.

Keys and rules come from DeepSpeed 0.19.8 (PyPI sdist): ``deepspeed/runtime/config.py`` (the batch
triple ``train_batch_size == train_micro_batch_size_per_gpu * gradient_accumulation_steps * data-parallel
world size`` and the ``pipeline`` section), ``runtime/zero/config.py`` (``zero_optimization.stage``),
``runtime/activation_checkpointing/config.py``, ``runtime/tensor_parallel/config.py`` (AutoTP training:
``tensor_parallel.autotp_size``), ``module_inject/auto_ep_config.py`` and ``auto_ep_folding.py`` (AutoEP:
``expert_parallel.enabled`` and ``autoep_size``, which must divide the number of experts and the ranks
of a pipeline stage) and ``runtime/pipe/engine.py`` ("ZeRO-2
and ZeRO-3 are incompatible with pipeline parallelism").

A ds_config cannot express, and :func:`emit` raises :class:`UnsupportedLayout` for: ``cp > 1``
(DeepSpeed's sequence parallelism is Ulysses, a different algorithm wired in model code), ``vpp > 1``
(the pipeline engine runs one stage per rank), ``sequence_parallel`` (AutoTP has no Megatron-style
sequence parallelism) and ``zero_stage >= 2`` with ``pp > 1``. The data-parallel world size is not in
the file (the launcher sets it): :func:`check` needs ``world_size`` to check the batch triple exactly.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import NonNegativeInt, PositiveInt

from tasks.configs.layout import Recompute, TrainLayout
from tasks.configs.model import Framework, TrainConfigTask
from tasks.configs.specs import ModelSpec
from verifiers.configs.frameworks.base import (
    EmittedConfig,
    FrameworkOptions,
    UnsupportedLayout,
    divisibility_problem,
    dotted_name,
    micro_batches_per_replica,
    schema_problems,
)

FILENAME = "ds_config.json"


class ZeroOptimization(FrameworkOptions):
    """``zero_optimization``: what is sharded over data-parallel ranks."""

    stage: Literal[0, 1, 2, 3]


class Bf16(FrameworkOptions):
    """``bf16``: BF16 mixed precision."""

    enabled: bool


class ActivationCheckpointing(FrameworkOptions):
    """``activation_checkpointing``: how checkpoints are kept (which modules is chosen in model code)."""

    partition_activations: bool = False
    contiguous_memory_optimization: bool = False
    cpu_checkpointing: bool = False


class Pipeline(FrameworkOptions):
    """``pipeline``: the pipeline engine's stages and layer-wise checkpointing interval."""

    stages: PositiveInt
    activation_checkpoint_interval: NonNegativeInt = 0


class TensorParallel(FrameworkOptions):
    """``tensor_parallel``: AutoTP training (0 or 1 disables it)."""

    autotp_size: NonNegativeInt


class ExpertParallel(FrameworkOptions):
    """``expert_parallel``: AutoEP."""

    enabled: bool
    autoep_size: PositiveInt = 1


class DeepSpeedConfig(FrameworkOptions):
    """The ds_config keys this module writes."""

    train_batch_size: PositiveInt
    train_micro_batch_size_per_gpu: PositiveInt
    gradient_accumulation_steps: PositiveInt
    zero_optimization: ZeroOptimization = ZeroOptimization(stage=0)
    bf16: Bf16 = Bf16(enabled=False)
    activation_checkpointing: ActivationCheckpointing | None = None
    pipeline: Pipeline | None = None
    tensor_parallel: TensorParallel | None = None
    expert_parallel: ExpertParallel | None = None

    @property
    def tp(self) -> int:
        """AutoTP degree (1 when off)."""
        return max(1, self.tensor_parallel.autotp_size) if self.tensor_parallel else 1

    @property
    def pp(self) -> int:
        """Pipeline stages (1 without the pipeline engine)."""
        return self.pipeline.stages if self.pipeline else 1

    @property
    def ep(self) -> int:
        """AutoEP degree (1 when off)."""
        return self.expert_parallel.autoep_size if self.expert_parallel and self.expert_parallel.enabled else 1


def _reject_inexpressible(layout: TrainLayout) -> None:
    reasons = {
        "cp": (layout.cp > 1, "DeepSpeed's sequence parallelism (Ulysses) is not ring context parallelism"),
        "vpp": (layout.vpp > 1, "the DeepSpeed pipeline engine has no interleaved schedule"),
        "sequence_parallel": (layout.sequence_parallel, "AutoTP has no Megatron-style sequence parallelism"),
        "zero_stage": (
            layout.zero_stage >= 2 and layout.pp > 1,
            f"ZeRO-{layout.zero_stage} is incompatible with DeepSpeed pipeline parallelism (pp = {layout.pp})",
        ),
    }
    for field, (inexpressible, reason) in reasons.items():
        if inexpressible:
            raise UnsupportedLayout(Framework.deepspeed, field, reason)


def deepspeed_config(task: TrainConfigTask, layout: TrainLayout) -> DeepSpeedConfig:
    """The ds_config of ``layout`` for ``task``."""
    _reject_inexpressible(layout)
    if layout.ep > 1 and task.model.moe is None:
        raise UnsupportedLayout(Framework.deepspeed, "ep", f"ep = {layout.ep} but {task.model.name} has no experts")
    sections: dict[str, Any] = {}
    if layout.tp > 1:
        sections["tensor_parallel"] = TensorParallel(autotp_size=layout.tp)
    if layout.pp > 1:
        interval = 1 if layout.recompute is Recompute.full else 0
        sections["pipeline"] = Pipeline(stages=layout.pp, activation_checkpoint_interval=interval)
    if layout.ep > 1:
        sections["expert_parallel"] = ExpertParallel(enabled=True, autoep_size=layout.ep)
    if layout.recompute is not Recompute.none:
        sections["activation_checkpointing"] = ActivationCheckpointing()
    return DeepSpeedConfig(
        train_batch_size=task.workload.batch_sequences,
        train_micro_batch_size_per_gpu=layout.micro_batch,
        gradient_accumulation_steps=micro_batches_per_replica(Framework.deepspeed, task, layout),
        zero_optimization=ZeroOptimization(stage=layout.zero_stage),
        bf16=Bf16(enabled=True),
        **sections,
    )


def emit(task: TrainConfigTask, layout: TrainLayout) -> EmittedConfig:
    """The ds_config.json of ``layout`` for ``task``."""
    config = deepspeed_config(task, layout)
    recompute = {
        Recompute.none: "",
        Recompute.selective: " Selective recomputation: wrap the attention core in deepspeed.checkpointing.checkpoint.",
        Recompute.full: " Full recomputation: wrap every transformer layer in deepspeed.checkpointing.checkpoint"
        + (" (the pipeline engine does so with activation_checkpoint_interval 1)." if layout.pp > 1 else "."),
    }[layout.recompute]
    summary = (
        f"DeepSpeed 0.19 on tp {layout.tp} (AutoTP) x pp {layout.pp} (pipeline engine) x dp {layout.dp}, "
        f"ep {layout.ep} (AutoEP), ZeRO-{layout.zero_stage}; launch {layout.world_size} ranks."
        + (f" The model must be a PipelineModule with num_stages={layout.pp}." if layout.pp > 1 else "")
        + recompute
    )
    text = json.dumps(config.model_dump(exclude_none=True), indent=2) + "\n"
    return EmittedConfig(framework=Framework.deepspeed, filename=FILENAME, text=text, summary=summary)


def parse(text: str) -> tuple[DeepSpeedConfig | None, list[str]]:
    """Read a ds_config back: the config (``None`` if it does not validate) and every problem found."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return None, [f"not valid JSON: {error}"]
    if not isinstance(data, dict):
        return None, [f"a ds_config is a JSON object, not {type(data).__name__}"]
    return schema_problems(DeepSpeedConfig, data, dotted_name)


def _batch_problems(config: DeepSpeedConfig, world_size: int | None) -> list[str]:
    per_replica = config.train_micro_batch_size_per_gpu * config.gradient_accumulation_steps
    if world_size is None:
        return divisibility_problem(
            "train_batch_size",
            config.train_batch_size,
            "train_micro_batch_size_per_gpu x gradient_accumulation_steps",
            per_replica,
        )
    problems = divisibility_problem(
        "world size", world_size, "tensor_parallel.autotp_size x pipeline.stages", config.tp * config.pp
    )
    if problems:
        return problems
    dp = world_size // (config.tp * config.pp)
    if config.train_batch_size != per_replica * dp:
        problems.append(
            f"train_batch_size ({config.train_batch_size}) != train_micro_batch_size_per_gpu "
            f"({config.train_micro_batch_size_per_gpu}) x gradient_accumulation_steps "
            f"({config.gradient_accumulation_steps}) x data-parallel size ({dp})"
        )
    return problems


def _expert_problems(config: DeepSpeedConfig, model: ModelSpec | None, world_size: int | None) -> list[str]:
    if config.ep == 1:
        return []
    problems = []
    if world_size is not None and not world_size % config.pp:
        problems += divisibility_problem(
            "ranks per pipeline stage", world_size // config.pp, "expert_parallel.autoep_size", config.ep
        )
    if model is None:
        return problems
    if model.moe is None:
        return [*problems, f"expert_parallel is enabled but {model.name} has no experts"]
    return problems + divisibility_problem(
        "number of experts", model.moe.experts, "expert_parallel.autoep_size", config.ep
    )


def check(text: str, *, model: ModelSpec | None = None, world_size: int | None = None) -> list[str]:
    """Problems of a ds_config (empty: valid); rules on experts need ``model``, the exact batch rule ``world_size``."""
    config, problems = parse(text)
    if config is None:
        return problems
    if config.pp > 1 and config.zero_optimization.stage >= 2:
        problems.append(
            f"zero_optimization.stage {config.zero_optimization.stage} is incompatible with pipeline parallelism "
            f"(pipeline.stages {config.pp})"
        )
    return problems + _expert_problems(config, model, world_size) + _batch_problems(config, world_size)
