"""Shape checks of a training layout: every split divides, the sizes multiply to the GPUs, batches are whole."""

from __future__ import annotations

from tasks.configs.layout import TrainLayout
from tasks.configs.model import Objective, TrainConfigTask
from verifiers.configs.problems import LayoutProblem


def _world_size_problems(task: TrainConfigTask, layout: TrainLayout) -> list[LayoutProblem]:
    gpus, world = task.cluster.world_size, layout.world_size
    product = f"tp*pp*cp*dp = {layout.tp}*{layout.pp}*{layout.cp}*{layout.dp} = {world}"
    if task.objective is Objective.throughput and world != gpus:
        return [LayoutProblem(field="dp", message=f"{product} GPUs, but the cluster has {gpus} (objective throughput)")]
    if world > gpus:
        return [LayoutProblem(field="dp", message=f"{product} GPUs, more than the cluster's {gpus}")]
    return []


def _model_split_problems(task: TrainConfigTask, layout: TrainLayout) -> list[LayoutProblem]:
    model, problems = task.model, []
    if model.heads % layout.tp:
        problems.append(LayoutProblem(field="tp", message=f"heads ({model.heads}) not divisible by tp ({layout.tp})"))
    if model.query_groups % layout.tp:
        problems.append(
            LayoutProblem(field="tp", message=f"kv_heads ({model.query_groups}) not divisible by tp ({layout.tp})")
        )
    if model.ffn_hidden % layout.tp:
        problems.append(
            LayoutProblem(field="tp", message=f"ffn_hidden ({model.ffn_hidden}) not divisible by tp ({layout.tp})")
        )
    chunks = layout.pp * layout.vpp
    if model.layers % chunks:
        problems.append(
            LayoutProblem(
                field="pp",
                message=f"layers ({model.layers}) not divisible by pp*vpp = {layout.pp}*{layout.vpp} = {chunks}",
            )
        )
    if model.moe is None and layout.ep > 1:
        problems.append(LayoutProblem(field="ep", message=f"ep = {layout.ep} but the model has no experts"))
    if model.moe is not None and model.moe.experts % layout.ep:
        problems.append(
            LayoutProblem(field="ep", message=f"experts ({model.moe.experts}) not divisible by ep ({layout.ep})")
        )
    return problems


def _batch_problems(task: TrainConfigTask, layout: TrainLayout) -> list[LayoutProblem]:
    batch, seq, problems = task.workload.batch_sequences, task.workload.seq_len, []
    per_step = layout.dp * layout.micro_batch
    if batch % per_step:
        problems.append(
            LayoutProblem(
                field="micro_batch",
                message=f"global batch ({batch} sequences) not divisible by dp*micro_batch = "
                f"{layout.dp}*{layout.micro_batch} = {per_step}",
            )
        )
    micro_batches = batch // per_step
    if layout.vpp > 1 and micro_batches % layout.pp:
        problems.append(
            LayoutProblem(
                field="vpp",
                message=f"the interleaved schedule (vpp {layout.vpp}) needs micro-batches ({micro_batches}) "
                f"divisible by pp ({layout.pp})",
            )
        )
    if layout.cp > 1 and seq % (2 * layout.cp):
        problems.append(
            LayoutProblem(
                field="cp",
                message=f"seq_len ({seq}) not divisible by 2*cp = {2 * layout.cp} (load-balanced causal CP)",
            )
        )
    return problems


def _placement_problems(task: TrainConfigTask, layout: TrainLayout) -> list[LayoutProblem]:
    node = task.cluster.gpus_per_node
    if layout.tp <= node:
        return []
    return [
        LayoutProblem(field="tp", message=f"tp ({layout.tp}) larger than gpus_per_node ({node}): TP stays in a node")
    ]


def check_train_layout(task: TrainConfigTask, layout: TrainLayout) -> list[LayoutProblem]:
    """Every reason ``layout`` cannot run ``task`` on its cluster; empty when the shapes are consistent."""
    return [
        *_world_size_problems(task, layout),
        *_model_split_problems(task, layout),
        *_batch_problems(task, layout),
        *_placement_problems(task, layout),
    ]
