"""Megatron-LM: a ``torchrun ... pretrain_gpt.py`` script for a training layout, and its checks.

Option names, choices and the rules checked come from Megatron-LM ``megatron/training/arguments.py``
(NVIDIA/Megatron-LM main, commit 000c4ac2, 2025: ``_add_distributed_args``, ``_add_training_args``,
``_add_network_size_args``, ``_add_moe_args``, ``_add_checkpointing_args`` and ``validate_args``),
Megatron-Core's micro-batch calculator (global batch divisible by micro batch x data-parallel size)
and its attention (query groups divided over tensor-parallel ranks).

ZeRO stages map as follows: 1 -> ``--use-distributed-optimizer`` (optimizer states and fp32 main
weights sharded over data-parallel ranks); 2 and 3 -> Megatron-FSDP (``--use-megatron-fsdp
--data-parallel-sharding-strategy optim_grads`` or ``optim_grads_params``), which Megatron documents
with tensor, context and expert parallelism but not with pipeline parallelism: ``zero_stage >= 2``
with ``pp > 1`` raises :class:`UnsupportedLayout`. The interleaved schedule is written as
``--num-virtual-stages-per-pipeline-rank`` (exact for any layer count); a script using
``--num-layers-per-virtual-pipeline-stage`` instead is read as well.
"""

from __future__ import annotations

from math import gcd
from pathlib import PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, PositiveInt

from tasks.configs.layout import Recompute, TrainLayout
from tasks.configs.model import Framework, TrainConfigTask
from tasks.configs.specs import ModelSpec
from verifiers.configs.frameworks.base import (
    EmittedConfig,
    FrameworkOptions,
    UnsupportedLayout,
    divisibility_problem,
    micro_batches_per_replica,
)
from verifiers.configs.frameworks.command_line import command_tokens, parse_options, render_command

FILENAME = "megatron_args.sh"
ENTRY_POINT = "pretrain_gpt.py"


class TorchrunArgs(FrameworkOptions):
    """The launcher options that fix the world size."""

    nnodes: PositiveInt
    nproc_per_node: PositiveInt


class MegatronArgs(FrameworkOptions):
    """The ``pretrain_gpt.py`` options this module writes (Megatron-LM names, ``-`` spelled ``_``)."""

    tensor_model_parallel_size: PositiveInt = 1
    pipeline_model_parallel_size: PositiveInt = 1
    num_virtual_stages_per_pipeline_rank: PositiveInt | None = None
    num_layers_per_virtual_pipeline_stage: PositiveInt | None = None
    context_parallel_size: PositiveInt = 1
    expert_model_parallel_size: PositiveInt = 1
    sequence_parallel: bool = False
    recompute_granularity: Literal["full", "selective"] | None = None
    recompute_method: Literal["uniform", "block"] | None = None
    recompute_num_layers: PositiveInt | None = None
    use_distributed_optimizer: bool = False
    use_megatron_fsdp: bool = False
    data_parallel_sharding_strategy: Literal["no_shard", "optim", "optim_grads", "optim_grads_params"] = "no_shard"
    no_gradient_accumulation_fusion: bool = False
    ckpt_format: Literal["torch", "torch_dist", "zarr", "torch_dcp", "fsdp_dtensor"] = "torch_dist"
    overlap_grad_reduce: bool = False
    overlap_param_gather: bool = False
    micro_batch_size: PositiveInt
    global_batch_size: PositiveInt
    seq_length: PositiveInt
    max_position_embeddings: PositiveInt
    num_layers: PositiveInt
    hidden_size: PositiveInt
    ffn_hidden_size: PositiveInt
    num_attention_heads: PositiveInt
    group_query_attention: bool = False
    num_query_groups: PositiveInt = 1
    num_experts: PositiveInt | None = None
    moe_router_topk: PositiveInt = 2
    moe_ffn_hidden_size: PositiveInt | None = None
    moe_token_dispatcher_type: Literal["allgather", "alltoall", "flex"] = "allgather"
    swiglu: bool = False
    untie_embeddings_and_output_weights: bool = False
    bf16: bool = False

    @property
    def model_parallel_size(self) -> int:
        """GPUs of one model replica: tensor x pipeline x context parallel."""
        return self.tensor_model_parallel_size * self.pipeline_model_parallel_size * self.context_parallel_size

    @property
    def virtual_stages(self) -> int:
        """Model chunks per pipeline rank (1 without the interleaved schedule)."""
        if self.num_virtual_stages_per_pipeline_rank is not None:
            return self.num_virtual_stages_per_pipeline_rank
        if self.num_layers_per_virtual_pipeline_stage is not None:
            per_stage = self.num_layers // self.pipeline_model_parallel_size
            return max(1, per_stage // self.num_layers_per_virtual_pipeline_stage)
        return 1


class MegatronLaunch(BaseModel):
    """A parsed script: the launcher (``None`` when the script runs ``pretrain_gpt.py`` directly) and its args."""

    launcher: TorchrunArgs | None
    args: MegatronArgs

    @property
    def world_size(self) -> int | None:
        """GPUs the launcher starts, if the script has one."""
        return self.launcher.nnodes * self.launcher.nproc_per_node if self.launcher else None


def _pipeline_options(layout: TrainLayout) -> dict[str, Any]:
    if layout.vpp > 1:
        return {"num_virtual_stages_per_pipeline_rank": layout.vpp}
    return {}


def _recompute_options(layout: TrainLayout) -> dict[str, Any]:
    if layout.recompute is Recompute.selective:
        return {"recompute_granularity": "selective"}
    if layout.recompute is Recompute.full:
        # Every layer keeps only its input and is recomputed whole: Korthikanti et al.'s full recomputation.
        return {"recompute_granularity": "full", "recompute_method": "uniform", "recompute_num_layers": 1}
    return {}


def _sharding_options(layout: TrainLayout) -> dict[str, Any]:
    if layout.zero_stage == 1:
        overlap = {"overlap_param_gather": True} if layout.dp > 1 else {}
        return {"use_distributed_optimizer": True, **overlap}
    if layout.zero_stage >= 2:
        if layout.pp > 1:
            raise UnsupportedLayout(
                Framework.megatron,
                "zero_stage",
                f"ZeRO-{layout.zero_stage} needs Megatron-FSDP, which Megatron-LM supports with TP, CP and EP "
                f"but not with pipeline parallelism (pp = {layout.pp}); use zero_stage 1 (distributed optimizer)",
            )
        strategy = "optim_grads" if layout.zero_stage == 2 else "optim_grads_params"
        return {
            "use_megatron_fsdp": True,
            "data_parallel_sharding_strategy": strategy,
            "use_distributed_optimizer": True,
            "no_gradient_accumulation_fusion": True,
            "ckpt_format": "fsdp_dtensor",
        }
    return {}


def _model_options(model: ModelSpec, layout: TrainLayout) -> dict[str, Any]:
    options: dict[str, Any] = {
        "num_layers": model.layers,
        "hidden_size": model.hidden,
        "ffn_hidden_size": model.ffn_hidden,
        "num_attention_heads": model.heads,
    }
    if model.query_groups < model.heads:
        options |= {"group_query_attention": True, "num_query_groups": model.query_groups}
    if model.moe is not None:
        options |= {"num_experts": model.moe.experts, "moe_router_topk": model.moe.top_k}
        if model.moe.expert_ffn_hidden is not None:
            options["moe_ffn_hidden_size"] = model.moe.expert_ffn_hidden
        if layout.ep > 1:
            options["moe_token_dispatcher_type"] = "alltoall"  # recommended with expert parallelism
    flags = {"swiglu": model.gated_mlp, "untie_embeddings_and_output_weights": not model.tied_embeddings, "bf16": True}
    return options | {name: True for name, on in flags.items() if on}


def megatron_args(task: TrainConfigTask, layout: TrainLayout) -> MegatronArgs:
    """The ``pretrain_gpt.py`` options of ``layout`` for ``task``."""
    micro_batches_per_replica(Framework.megatron, task, layout)
    if layout.ep > 1 and task.model.moe is None:
        raise UnsupportedLayout(Framework.megatron, "ep", f"ep = {layout.ep} but {task.model.name} has no experts")
    parallel: dict[str, Any] = {
        "tensor_model_parallel_size": layout.tp,
        "pipeline_model_parallel_size": layout.pp,
        "context_parallel_size": layout.cp,
        "expert_model_parallel_size": layout.ep,
    }
    if layout.sequence_parallel:
        parallel["sequence_parallel"] = True
    if layout.dp > 1:
        parallel["overlap_grad_reduce"] = True
    batch: dict[str, Any] = {
        "micro_batch_size": layout.micro_batch,
        "global_batch_size": task.workload.batch_sequences,
        "seq_length": task.workload.seq_len,
        "max_position_embeddings": task.workload.seq_len,
    }
    return MegatronArgs(
        **parallel,
        **_pipeline_options(layout),
        **_recompute_options(layout),
        **_sharding_options(layout),
        **batch,
        **_model_options(task.model, layout),
    )


def _launcher(task: TrainConfigTask, layout: TrainLayout) -> TorchrunArgs:
    per_node = gcd(layout.world_size, task.cluster.gpus_per_node)
    return TorchrunArgs(nnodes=layout.world_size // per_node, nproc_per_node=per_node)


def emit(task: TrainConfigTask, layout: TrainLayout) -> EmittedConfig:
    """The Megatron-LM launch script of ``layout`` for ``task``."""
    args = megatron_args(task, layout)
    launcher = _launcher(task, layout)
    shape = f"tp {layout.tp} x pp {layout.pp} x cp {layout.cp} x dp {layout.dp} = {layout.world_size} GPUs"
    notes = [
        f"{task.name}: {task.model.name} with {shape} (vpp {layout.vpp}, ep {layout.ep}).",
        "Option names: Megatron-LM megatron/training/arguments.py (main, 2025).",
        "Data, tokenizer, optimizer and checkpoint options are not part of the layout: add them.",
    ]
    torchrun = ["torchrun", f"--nnodes {launcher.nnodes}", f"--nproc-per-node {launcher.nproc_per_node}", ENTRY_POINT]
    sharding = {0: "plain data parallelism", 1: "the distributed optimizer"}.get(layout.zero_stage, "Megatron-FSDP")
    summary = (
        f"Megatron-LM on {shape}, {micro_batches_per_replica(Framework.megatron, task, layout)} micro-batches of "
        f"{layout.micro_batch} per replica and step, ZeRO-{layout.zero_stage} as {sharding}. Norm and position-"
        "embedding types are not in the model spec; Megatron's defaults (LayerNorm, learned absolute) apply."
    )
    text = render_command(torchrun, args, notes)
    return EmittedConfig(framework=Framework.megatron, filename=FILENAME, text=text, summary=summary)


def parse(text: str) -> tuple[MegatronLaunch | None, list[str]]:
    """Read a script back: the launch (``None`` if its options do not validate) and every problem found."""
    tokens = command_tokens(text)
    entry = next((i for i, token in enumerate(tokens) if PurePosixPath(token).name == ENTRY_POINT), None)
    if entry is None:
        return None, [f"no {ENTRY_POINT} command in the script"]
    launcher_tokens, arg_tokens = tokens[:entry], tokens[entry + 1 :]
    args, problems = parse_options(MegatronArgs, arg_tokens)
    launcher = None
    if launcher_tokens[:1] == ["torchrun"]:
        launcher, launcher_problems = parse_options(TorchrunArgs, launcher_tokens[1:])
        problems = [f"torchrun {problem}" for problem in launcher_problems] + problems
    elif launcher_tokens and launcher_tokens[:1] != ["python"]:
        problems.insert(0, f"unknown launcher {launcher_tokens[0]!r} (use torchrun)")
    if args is None:
        return None, problems
    return MegatronLaunch(launcher=launcher, args=args), problems


def _parallel_problems(args: MegatronArgs, world: int | None) -> list[str]:
    if world is None:
        return []
    problems = divisibility_problem("world size", world, "tp x pp x cp", args.model_parallel_size)
    if problems:
        return problems
    dp = world // args.model_parallel_size
    per_pass = args.micro_batch_size * dp
    problems += divisibility_problem("--global-batch-size", args.global_batch_size, "--micro-batch-size x dp", per_pass)
    if args.expert_model_parallel_size > 1:
        problems += divisibility_problem(
            "data-parallel x context-parallel size",
            dp * args.context_parallel_size,
            "--expert-model-parallel-size",
            args.expert_model_parallel_size,
        )
    return problems


def _pipeline_problems(args: MegatronArgs) -> list[str]:
    pp = args.pipeline_model_parallel_size
    if args.num_virtual_stages_per_pipeline_rank and args.num_layers_per_virtual_pipeline_stage:
        return ["set only one of --num-virtual-stages-per-pipeline-rank and --num-layers-per-virtual-pipeline-stage"]
    problems = divisibility_problem("--num-layers", args.num_layers, "--pipeline-model-parallel-size", pp)
    if args.num_layers_per_virtual_pipeline_stage is not None and not problems:
        problems += divisibility_problem(
            "layers per pipeline stage",
            args.num_layers // pp,
            "--num-layers-per-virtual-pipeline-stage",
            args.num_layers_per_virtual_pipeline_stage,
        )
    if args.num_virtual_stages_per_pipeline_rank is not None:
        problems += divisibility_problem(
            "--num-layers", args.num_layers, "pp x --num-virtual-stages-per-pipeline-rank", pp * args.virtual_stages
        )
    if args.virtual_stages > 1 and pp == 1:
        problems.append("the interleaved schedule (virtual pipeline stages) needs --pipeline-model-parallel-size > 1")
    return problems


def _attention_problems(args: MegatronArgs) -> list[str]:
    tp = args.tensor_model_parallel_size
    problems = divisibility_problem(
        "--num-attention-heads", args.num_attention_heads, "--tensor-model-parallel-size", tp
    )
    if args.group_query_attention:
        problems += divisibility_problem(
            "--num-query-groups", args.num_query_groups, "--tensor-model-parallel-size", tp
        )
        problems += divisibility_problem(
            "--num-attention-heads", args.num_attention_heads, "--num-query-groups", args.num_query_groups
        )
    if args.context_parallel_size > 1:
        problems += divisibility_problem(
            "--seq-length", args.seq_length, "2 x --context-parallel-size", 2 * args.context_parallel_size
        )
    if args.max_position_embeddings < args.seq_length:
        problems.append(
            f"--max-position-embeddings ({args.max_position_embeddings}) is below --seq-length ({args.seq_length})"
        )
    return problems


def _recompute_problems(args: MegatronArgs) -> list[str]:
    if args.recompute_granularity == "selective" and args.recompute_method is not None:
        return ["--recompute-method is not supported with --recompute-granularity selective"]
    if args.recompute_granularity == "full" and (args.recompute_method is None or args.recompute_num_layers is None):
        return ["--recompute-granularity full needs --recompute-method and --recompute-num-layers"]
    if args.recompute_granularity is None and args.recompute_method is not None:
        return ["--recompute-method has no effect without --recompute-granularity full"]
    return []


def _sharding_problems(args: MegatronArgs) -> list[str]:
    problems = []
    if args.overlap_param_gather and not (args.use_distributed_optimizer or args.use_megatron_fsdp):
        problems.append("--overlap-param-gather needs --use-distributed-optimizer or --use-megatron-fsdp")
    if args.overlap_param_gather and not args.overlap_grad_reduce:
        problems.append("--overlap-param-gather needs --overlap-grad-reduce")
    if args.use_megatron_fsdp and args.ckpt_format != "fsdp_dtensor":
        problems.append(f"--use-megatron-fsdp needs --ckpt-format fsdp_dtensor (got {args.ckpt_format})")
    return problems


def _moe_problems(args: MegatronArgs) -> list[str]:
    ep = args.expert_model_parallel_size
    if args.num_experts is None:
        return [f"--expert-model-parallel-size {ep} needs --num-experts"] if ep > 1 else []
    problems = divisibility_problem("--num-experts", args.num_experts, "--expert-model-parallel-size", ep)
    if args.moe_router_topk > args.num_experts:
        problems.append(f"--moe-router-topk ({args.moe_router_topk}) exceeds --num-experts ({args.num_experts})")
    return problems


def check(text: str, *, model: ModelSpec | None = None, world_size: int | None = None) -> list[str]:
    """Problems of a Megatron-LM script (empty: valid). The world size comes from its torchrun line or ``world_size``.

    ``model`` is not needed: the script carries the model's shapes.
    """
    launch, problems = parse(text)
    if launch is None:
        return problems
    world = launch.world_size or world_size
    if launch.world_size and world_size and launch.world_size != world_size:
        problems.append(f"torchrun starts {launch.world_size} processes but the layout needs {world_size} GPUs")
    args = launch.args
    for rules in (_pipeline_problems, _attention_problems, _recompute_problems, _sharding_problems, _moe_problems):
        problems += rules(args)
    return problems + _parallel_problems(args, world)
