"""torchtitan: a job-config TOML for a training layout, and its checks.

Sections and keys come from torchtitan 0.2.2 (PyPI wheel; the last release configured by TOML, 0.3.0
moved to Python config objects): ``torchtitan/config/job_config.py`` ([model], [training],
[parallelism], [activation_checkpoint]). Rules come from ``distributed/parallel_dims.py`` (the degrees
multiply to the world size; expert parallelism borrows ranks from dp_shard x cp x tp and expert tensor
parallelism is tp or 1), ``train.py`` (global batch a multiple of local batch x data-parallel degree),
``distributed/pipeline_parallel.py`` (local batch a multiple of the pipeline micro-batch; single-stage
schedules run one stage per rank, looped ones two or more) and ``models/llama3/infra/parallelize.py``
(seq_len divisible by tp x 2 x cp; DDP only as the sole parallelism).

Mapping of ZeRO stages: 3 -> FSDP2 (``data_parallel_shard_degree = dp``); 2 -> FSDP2 with
``fsdp_reshard_after_forward = "never"`` (parameters stay gathered from forward to backward while
gradients and optimizer states stay sharded, as in ZeRO-2); 0 -> DDP (``data_parallel_replicate_degree
= dp``), which torchtitan runs only without other parallelism; 1 -> :class:`UnsupportedLayout` (FSDP2
has no optimizer-only sharding). torchtitan's tensor-parallel plans always include sequence
parallelism. ``recompute: selective`` becomes per-op selective checkpointing (``"op"``), which saves
matmul and attention outputs and recomputes the rest: not Korthikanti's attention-core recomputation,
and the summary says so.
"""

from __future__ import annotations

import json
import tomllib
from math import ceil
from typing import Any, Literal

from pydantic import Field, NonNegativeInt, PositiveInt, field_validator

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

FILENAME = "torchtitan.toml"
SINGLE_STAGE_SCHEDULES = ("1F1B", "GPipe")
LOOPED_SCHEDULES = ("Interleaved1F1B", "LoopedBFS", "InterleavedZeroBubble", "ZBVZeroBubble", "DualPipeV")
LLAMA3_FLAVORS = {"llama3-8b": "8B", "llama3-70b": "70B", "llama3-405b": "405B"}
"""Our presets that torchtitan 0.2.2 ships as ``models/llama3`` flavors."""

Schedule = Literal[
    "1F1B", "GPipe", "Interleaved1F1B", "LoopedBFS", "InterleavedZeroBubble", "ZBVZeroBubble", "DualPipeV"
]


class TitanModel(FrameworkOptions):
    """``[model]``: which registered model and flavor to build."""

    name: str
    flavor: str


class TitanTraining(FrameworkOptions):
    """``[training]``: batch and sequence length."""

    local_batch_size: PositiveInt
    global_batch_size: int = Field(-1, ge=-1)
    seq_len: PositiveInt
    mixed_precision_param: Literal["bfloat16", "float32"] = "bfloat16"


class TitanParallelism(FrameworkOptions):
    """``[parallelism]``: the device mesh and the pipeline schedule."""

    data_parallel_replicate_degree: PositiveInt = 1
    data_parallel_shard_degree: int = -1
    fsdp_reshard_after_forward: Literal["default", "always", "never"] = "default"
    tensor_parallel_degree: PositiveInt = 1
    pipeline_parallel_degree: PositiveInt = 1
    pipeline_parallel_schedule: Schedule = "1F1B"
    pipeline_parallel_layers_per_stage: PositiveInt | None = None
    pipeline_parallel_first_stage_less_layers: NonNegativeInt = 1
    pipeline_parallel_last_stage_less_layers: NonNegativeInt = 1
    pipeline_parallel_microbatch_size: PositiveInt = 1
    context_parallel_degree: PositiveInt = 1
    expert_parallel_degree: PositiveInt = 1
    expert_tensor_parallel_degree: PositiveInt = 1

    @field_validator("data_parallel_shard_degree")
    @classmethod
    def _shard_degree(cls, value: int) -> int:
        if value == 0 or value < -1:
            raise ValueError("must be -1 (the leftover ranks) or at least 1")
        return value


class TitanActivationCheckpoint(FrameworkOptions):
    """``[activation_checkpoint]``."""

    mode: Literal["selective", "full", "memory_budget", "none"] = "selective"
    selective_ac_option: str = "2"


class TorchtitanJobConfig(FrameworkOptions):
    """The job-config sections this module writes."""

    model: TitanModel
    training: TitanTraining
    parallelism: TitanParallelism = TitanParallelism()
    activation_checkpoint: TitanActivationCheckpoint = TitanActivationCheckpoint()


def _data_parallel(layout: TrainLayout) -> dict[str, Any]:
    if layout.zero_stage == 1:
        raise UnsupportedLayout(
            Framework.torchtitan, "zero_stage", "FSDP2 shards parameters too; use zero_stage 2 or 3 (or 0 alone)"
        )
    if layout.zero_stage == 0:
        if layout.world_size != layout.dp:
            raise UnsupportedLayout(
                Framework.torchtitan,
                "zero_stage",
                f"torchtitan runs DDP (zero_stage 0) only without tp/pp/cp (here {layout.world_size} GPUs for "
                f"dp {layout.dp}); use zero_stage 3 (FSDP2)",
            )
        if layout.ep > 1:
            raise UnsupportedLayout(
                Framework.torchtitan, "ep", "expert parallelism borrows FSDP-sharded ranks; use zero_stage 3"
            )
        return {"data_parallel_replicate_degree": layout.dp, "data_parallel_shard_degree": 1}
    policy = "never" if layout.zero_stage == 2 else "default"
    return {"data_parallel_shard_degree": layout.dp, "fsdp_reshard_after_forward": policy}


def _pipeline(task: TrainConfigTask, layout: TrainLayout) -> dict[str, Any]:
    if layout.pp == 1:
        return {}
    stages = layout.pp * layout.vpp
    per_stage = ceil(task.model.layers / stages)
    if ceil(task.model.layers / per_stage) != stages:
        raise UnsupportedLayout(
            Framework.torchtitan, "vpp", f"{task.model.layers} layers cannot be split into {stages} pipeline stages"
        )
    return {
        "pipeline_parallel_degree": layout.pp,
        "pipeline_parallel_schedule": "1F1B" if layout.vpp == 1 else "Interleaved1F1B",
        "pipeline_parallel_layers_per_stage": per_stage,
        "pipeline_parallel_first_stage_less_layers": 0,
        "pipeline_parallel_last_stage_less_layers": 0,
        "pipeline_parallel_microbatch_size": layout.micro_batch,
    }


def _expert_parallel(layout: TrainLayout) -> dict[str, Any]:
    # Expert tensor parallelism equal to tp: experts borrow only data-parallel (and cp) ranks, as in the layout.
    return {"expert_parallel_degree": layout.ep, "expert_tensor_parallel_degree": layout.tp} if layout.ep > 1 else {}


def _activation_checkpoint(layout: TrainLayout) -> TitanActivationCheckpoint:
    if layout.recompute is Recompute.selective:
        return TitanActivationCheckpoint(mode="selective", selective_ac_option="op")
    return TitanActivationCheckpoint(mode="full" if layout.recompute is Recompute.full else "none")


def torchtitan_config(task: TrainConfigTask, layout: TrainLayout) -> TorchtitanJobConfig:
    """The job config of ``layout`` for ``task``."""
    if layout.ep > 1 and task.model.moe is None:
        raise UnsupportedLayout(Framework.torchtitan, "ep", f"ep = {layout.ep} but {task.model.name} has no experts")
    micro_batches = micro_batches_per_replica(Framework.torchtitan, task, layout)
    # With a pipeline, one step runs every micro-batch through the schedule; without, they are accumulated.
    local_batch = layout.micro_batch * (micro_batches if layout.pp > 1 else 1)
    parallelism = TitanParallelism(
        **_data_parallel(layout),
        tensor_parallel_degree=layout.tp,
        context_parallel_degree=layout.cp,
        **_pipeline(task, layout),
        **_expert_parallel(layout),
    )
    return TorchtitanJobConfig(
        model=TitanModel(name="llama3", flavor=LLAMA3_FLAVORS.get(task.model.name, task.model.name)),
        training=TitanTraining(
            local_batch_size=local_batch, global_batch_size=task.workload.batch_sequences, seq_len=task.workload.seq_len
        ),
        parallelism=parallelism,
        activation_checkpoint=_activation_checkpoint(layout),
    )


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)  # ints, and strings as TOML basic strings


def render_toml(config: TorchtitanJobConfig, comments: list[str]) -> str:
    """The TOML text of ``config``: only the keys set when it was built."""
    lines = [f"# {line}" for line in comments]
    for section, values in config.model_dump(exclude_unset=True, exclude_none=True).items():
        lines += ["", f"[{section}]", *(f"{key} = {_toml_value(value)}" for key, value in values.items())]
    return "\n".join(lines) + "\n"


def _model_notes(model: ModelSpec) -> list[str]:
    if model.name in LLAMA3_FLAVORS:
        return [f"{model.name} is torchtitan's llama3 flavor {LLAMA3_FLAVORS[model.name]}."]
    architecture = (
        "a llama3 flavor fits this SwiGLU model" if model.gated_mlp else "llama3 is SwiGLU, this model is not"
    )
    return [
        f"torchtitan ships no {model.name!r} model: register one ({architecture}) with dim={model.hidden}, "
        f"n_layers={model.layers}, n_heads={model.heads}, n_kv_heads={model.query_groups}, vocab_size={model.vocab}.",
        "The parallel layout below does not depend on that registration.",
    ]


def _approximations(layout: TrainLayout) -> list[str]:
    approximations = []
    if layout.tp > 1 and not layout.sequence_parallel:
        approximations.append("torchtitan always adds sequence parallelism to tensor parallelism")
    if layout.zero_stage == 2:
        approximations.append("ZeRO-2 runs as FSDP2 without resharding after forward")
    if layout.recompute is Recompute.selective:
        approximations.append("selective recomputation is torchtitan's per-op checkpointing, not attention-core only")
    return approximations


def emit(task: TrainConfigTask, layout: TrainLayout) -> EmittedConfig:
    """The torchtitan job-config TOML of ``layout`` for ``task``."""
    config = torchtitan_config(task, layout)
    shape = (
        f"{task.name}: {layout.world_size} GPUs (tp {layout.tp}, pp {layout.pp}, vpp {layout.vpp}, cp {layout.cp}, "
        f"dp {layout.dp}, ep {layout.ep}, ZeRO-{layout.zero_stage})."
    )
    model_notes = _model_notes(task.model)
    comments = [shape, "Keys: torchtitan 0.2.2 torchtitan/config/job_config.py.", *model_notes]
    approximations = _approximations(layout)
    summary = " ".join([shape, *model_notes])
    if approximations:
        summary += f" Approximations: {'; '.join(approximations)}."
    text = render_toml(config, comments)
    return EmittedConfig(framework=Framework.torchtitan, filename=FILENAME, text=text, summary=summary)


def parse(text: str) -> tuple[TorchtitanJobConfig | None, list[str]]:
    """Read a job config back: the config (``None`` if it does not validate) and every problem found."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return None, [f"not valid TOML: {error}"]
    return schema_problems(TorchtitanJobConfig, data, dotted_name)


def _mesh_problems(p: TitanParallelism, world_size: int | None) -> tuple[list[str], int | None]:
    """Problems of the device mesh, and the data-parallel degree once resolved."""
    others = p.data_parallel_replicate_degree * p.context_parallel_degree * p.tensor_parallel_degree
    others *= p.pipeline_parallel_degree
    shard = p.data_parallel_shard_degree
    if shard == -1:
        if world_size is None:
            return [], None
        problems = divisibility_problem("world size", world_size, "replicate x cp x tp x pp", others)
        if problems:
            return problems, None
        shard = world_size // others
    problems = []
    if world_size is not None and shard * others != world_size:
        problems.append(f"parallelism degrees multiply to {shard * others} GPUs, not the world size {world_size}")
    ep, etp, tp = p.expert_parallel_degree, p.expert_tensor_parallel_degree, p.tensor_parallel_degree
    if ep > 1:
        if etp not in (1, tp):
            problems.append(f"parallelism.expert_tensor_parallel_degree ({etp}) must be 1 or tensor_parallel_degree")
        problems += divisibility_problem(
            "data_parallel_shard_degree x context_parallel_degree x tensor_parallel_degree",
            shard * p.context_parallel_degree * tp,
            "expert_parallel_degree x expert_tensor_parallel_degree",
            ep * etp,
        )
    if p.data_parallel_replicate_degree > 1 and shard == 1 and others != p.data_parallel_replicate_degree:
        problems.append(
            "parallelism.data_parallel_replicate_degree without sharding (DDP) cannot combine with tp/pp/cp"
        )
    return problems, p.data_parallel_replicate_degree * shard


def _batch_problems(config: TorchtitanJobConfig, dp: int | None) -> list[str]:
    training, p = config.training, config.parallelism
    problems = []
    if dp is not None and training.global_batch_size != -1:
        problems += divisibility_problem(
            "training.global_batch_size",
            training.global_batch_size,
            "training.local_batch_size x dp",
            training.local_batch_size * dp,
        )
    if p.pipeline_parallel_degree > 1:
        problems += divisibility_problem(
            "training.local_batch_size",
            training.local_batch_size,
            "parallelism.pipeline_parallel_microbatch_size",
            p.pipeline_parallel_microbatch_size,
        )
    divisor = p.tensor_parallel_degree * 2 * p.context_parallel_degree
    return problems + divisibility_problem("training.seq_len", training.seq_len, "tp x 2 x cp", divisor)


def _stage_problems(p: TitanParallelism, model: ModelSpec) -> list[str]:
    if p.pipeline_parallel_degree == 1 or p.pipeline_parallel_layers_per_stage is None:
        return []
    weighted = model.layers + p.pipeline_parallel_first_stage_less_layers + p.pipeline_parallel_last_stage_less_layers
    stages = ceil(weighted / p.pipeline_parallel_layers_per_stage)
    problems = divisibility_problem(
        "pipeline stages", stages, "parallelism.pipeline_parallel_degree", p.pipeline_parallel_degree
    )
    per_rank = stages // p.pipeline_parallel_degree
    schedule = p.pipeline_parallel_schedule
    if schedule in SINGLE_STAGE_SCHEDULES and per_rank != 1:
        problems.append(f"parallelism.pipeline_parallel_schedule {schedule} runs 1 stage per rank, not {per_rank}")
    if schedule in LOOPED_SCHEDULES and per_rank < 2:
        problems.append(
            f"parallelism.pipeline_parallel_schedule {schedule} needs 2 or more stages per rank, not {per_rank}"
        )
    return problems


def _model_problems(p: TitanParallelism, model: ModelSpec) -> list[str]:
    tp = p.tensor_parallel_degree
    problems = divisibility_problem("attention heads", model.heads, "parallelism.tensor_parallel_degree", tp)
    problems += divisibility_problem("key/value heads", model.query_groups, "parallelism.tensor_parallel_degree", tp)
    if p.expert_parallel_degree > 1:
        if model.moe is None:
            problems.append(f"parallelism.expert_parallel_degree > 1 but {model.name} has no experts")
        else:
            problems += divisibility_problem(
                "number of experts", model.moe.experts, "parallelism.expert_parallel_degree", p.expert_parallel_degree
            )
    return problems + _stage_problems(p, model)


def check(text: str, *, model: ModelSpec | None = None, world_size: int | None = None) -> list[str]:
    """Problems of a job config (empty: valid); head, expert and stage rules need ``model``."""
    config, problems = parse(text)
    if config is None:
        return problems
    mesh_problems, dp = _mesh_problems(config.parallelism, world_size)
    problems += mesh_problems + _batch_problems(config, dp)
    return problems + (_model_problems(config.parallelism, model) if model is not None else [])
