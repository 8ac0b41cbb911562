"""Shape checks of a serving layout against its task, each problem naming the field and the numbers.

The engine is vLLM-like: attention heads and MLP columns split over ``tp`` ranks inside one node,
layers over ``pp`` stages (a remainder is spread over stages), ``replicas`` independent engines.
Chunked prefill is on (vLLM V1's default): a prompt longer than ``max_num_batched_tokens`` is split
into chunks of at most that many tokens, so the token budget need not cover the longest prompt; it
must cover one decode token for each of ``max_num_seqs`` running sequences (vLLM refuses less).
KV heads may be fewer than ``tp`` when ``tp`` is a multiple of them: each head is then replicated
``tp / kv_heads`` times, one per rank, as vLLM does.
"""

from __future__ import annotations

from tasks.configs.layout import ServeLayout
from tasks.configs.model import Objective, ServeConfigTask
from verifiers.configs.problems import LayoutProblem

KV_BLOCK_SIZES = (1, 8, 16, 32, 64, 128)
"""Block sizes vLLM's ``CacheConfig.block_size`` accepts."""


def _head_problems(task: ServeConfigTask, layout: ServeLayout) -> list[LayoutProblem]:
    model, tp = task.model, layout.tp
    problems = []
    if model.heads % tp:
        problems.append(
            LayoutProblem(field="tp", message=f"tp ({tp}) does not divide the {model.heads} attention heads")
        )
    kv = model.query_groups
    if tp <= kv and kv % tp:
        problems.append(LayoutProblem(field="tp", message=f"tp ({tp}) does not divide the {kv} KV heads"))
    if tp > kv and tp % kv:
        problems.append(
            LayoutProblem(
                field="tp",
                message=f"tp ({tp}) exceeds the {kv} KV heads but is not a multiple of them, "
                f"so KV heads cannot be replicated evenly (use a multiple of {kv} or a divisor of it)",
            )
        )
    widths = {"ffn_hidden": model.ffn_hidden}
    if model.moe is not None and model.moe.expert_ffn_hidden is not None:
        widths["expert_ffn_hidden"] = model.moe.expert_ffn_hidden
    problems += [
        LayoutProblem(field="tp", message=f"tp ({tp}) does not divide the model's {name} ({width})")
        for name, width in widths.items()
        if width % tp
    ]
    return problems


def _placement_problems(task: ServeConfigTask, layout: ServeLayout) -> list[LayoutProblem]:
    cluster, problems = task.cluster, []
    if layout.pp > task.model.layers:
        problems.append(
            LayoutProblem(field="pp", message=f"pp ({layout.pp}) exceeds the model's {task.model.layers} layers")
        )
    if cluster.gpus_per_node % layout.tp:
        problems.append(
            LayoutProblem(
                field="tp",
                message=f"tp ({layout.tp}) must divide gpus_per_node ({cluster.gpus_per_node}): "
                "a tensor-parallel group stays inside one node"
                + (", and this one is larger than a node" if layout.tp > cluster.gpus_per_node else ""),
            )
        )
    if layout.world_size > cluster.world_size:
        problems.append(
            LayoutProblem(
                field="replicas",
                message=f"tp * pp * replicas = {layout.tp} * {layout.pp} * {layout.replicas} = {layout.world_size} "
                f"GPUs, more than the cluster's {cluster.world_size}",
            )
        )
    engine = layout.tp * layout.pp
    spare = cluster.world_size - layout.world_size
    if task.objective is Objective.throughput and engine <= spare:
        problems.append(
            LayoutProblem(
                field="replicas",
                message=f"objective throughput: {layout.world_size} of {cluster.world_size} GPUs used, "
                f"{spare} idle GPUs could run {spare // engine} more replica(s) of {engine} GPUs",
            )
        )
    return problems


def _engine_problems(layout: ServeLayout) -> list[LayoutProblem]:
    problems = []
    if layout.max_num_batched_tokens < layout.max_num_seqs:
        problems.append(
            LayoutProblem(
                field="max_num_batched_tokens",
                message=f"max_num_batched_tokens ({layout.max_num_batched_tokens}) is below max_num_seqs "
                f"({layout.max_num_seqs}): one step must hold a decode token of every running sequence",
            )
        )
    if layout.kv_block_size not in KV_BLOCK_SIZES:
        problems.append(
            LayoutProblem(
                field="kv_block_size",
                message=f"kv_block_size {layout.kv_block_size} is not one of {', '.join(map(str, KV_BLOCK_SIZES))}",
            )
        )
    return problems


def check_serve_layout(task: ServeConfigTask, layout: ServeLayout) -> list[LayoutProblem]:
    """Every reason ``layout`` cannot serve ``task`` (empty when the shapes are consistent)."""
    return [*_head_problems(task, layout), *_placement_problems(task, layout), *_engine_problems(layout)]
