"""Exhaustive search over training layouts, pruned by dominance, ranked by the task's objective.

For each shape of the layout (tp, cp, pp, vpp, dp, ep, micro-batch) the search tries the memory
savers from the cheapest up and keeps the first that fits: ZeRO stage 1 before 2 before 3, and for
each stage no recomputation before selective before full. Two knobs are fixed by dominance in the
models: sequence parallelism is on whenever tp > 1 (same communication volume, a tp-th of the
activations), and ZeRO stage 1 replaces stage 0 whenever there is more than one data-parallel rank
(its reduce-scatter plus all-gather move less than an all-reduce, and it holds less). ZeRO stages 2
and 3 are tried only without pipeline parallelism: they shard the gradients that the pipeline
schedule accumulates over micro-batches (DeepSpeed rejects the combination; Megatron-LM's
distributed optimizer is stage 1). Of the variants of one shape that fit, the search keeps the best.

Context parallelism is tried while every rank keeps at least ``MIN_CP_CHUNK`` tokens of a
sequence; shorter chunks leave the attention too small to hide the ring.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict

from tasks.configs.layout import Recompute, TrainLayout
from tasks.configs.model import Objective, TrainConfigTask
from verifiers.configs import (
    TrainAssumptions,
    TrainMemory,
    TrainStepPrediction,
    check_train_layout,
    gib,
    inexpressible,
    predict_train_step,
    train_memory,
)

MIN_CP_CHUNK = 1024
MICRO_BATCHES = (1, 2, 4, 8, 16)
MAX_VPP = 8
TIE = 0.001  # step times closer than this fraction are reported as a tie


class NoFeasibleLayout(Exception):
    """No layout of the task fits in GPU memory; the message names the smallest one found."""


class RankedLayout(BaseModel):
    """A layout the search kept, with its memory, its predicted step and why it lost to the best."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    layout: TrainLayout
    memory: TrainMemory
    prediction: TrainStepPrediction
    objective_value: float
    reason: str = ""
    """One line on why it lost to the best (empty for the best)."""


class RejectedLayout(BaseModel):
    """A layout that would have beaten the best but does not fit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    layout: TrainLayout
    memory: TrainMemory
    reason: str


class TrainSearchResult(BaseModel):
    """The best layout of a task, the runners-up, and the fastest layouts that do not fit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: str
    objective: Objective
    best: RankedLayout
    alternatives: list[RankedLayout]
    rejected: list[RejectedLayout]
    evaluated: int
    """Layouts checked for memory (every shape x memory saver tried)."""
    feasible: int
    seconds: float


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _shapes(task: TrainConfigTask) -> Iterator[dict[str, int]]:
    """Every (tp, cp, pp, vpp, dp, ep, micro_batch) whose sizes divide the model and the batch."""
    model, workload, cluster = task.model, task.workload, task.cluster
    batch, gpus = workload.batch_sequences, cluster.world_size
    tps = [tp for tp in _divisors(cluster.gpus_per_node) if model.query_groups % tp == 0 and model.ffn_hidden % tp == 0]
    cps = [cp for cp in _divisors(workload.seq_len // 2) if cp == 1 or workload.seq_len // cp >= MIN_CP_CHUNK]
    experts = model.moe.experts if model.moe else 1
    for tp in tps:
        for cp in cps:
            for pp in _divisors(model.layers):
                model_ranks = tp * cp * pp
                if gpus % model_ranks:
                    continue
                if task.objective is Objective.throughput:
                    dps = [gpus // model_ranks]
                else:
                    dps = [dp for dp in _divisors(batch) if dp * model_ranks <= gpus]
                for dp in dps:
                    if batch % dp:
                        continue
                    for vpp in _divisors(model.layers // pp) if pp > 1 else [1]:
                        if vpp > MAX_VPP:
                            break
                        for ep in (e for e in _divisors(experts) if (dp * cp) % e == 0):
                            for micro_batch in MICRO_BATCHES:
                                if (batch // dp) % micro_batch:
                                    continue
                                yield {"tp": tp, "cp": cp, "pp": pp, "vpp": vpp, "dp": dp, "ep": ep,
                                       "micro_batch": micro_batch}  # fmt: skip


def _memory_savers(shape: dict[str, int], assumptions: TrainAssumptions) -> list[list[tuple[int, Recompute]]]:
    """(zero stage, recompute) options per ZeRO stage, each list from the fastest to the leanest."""
    recomputes = [Recompute.none, Recompute.full]
    if not assumptions.flash_attention:  # with fused attention, selective saves nothing more than none
        recomputes.insert(1, Recompute.selective)
    sharded = [1, 2, 3] if shape["pp"] == 1 else [1]
    stages = [0] if shape["dp"] * shape["cp"] == 1 else sharded
    return [[(stage, recompute) for recompute in recomputes] for stage in stages]


def _lost_because(candidate: TrainStepPrediction, best: TrainStepPrediction, gpus: int, best_gpus: int) -> str:
    """The component that grew the most against the best, in one line."""
    if gpus == best_gpus and candidate.step_time_s <= best.step_time_s * (1 + TIE):
        return f"ties with the best (step {candidate.step_time_s:.2f} s vs {best.step_time_s:.2f} s)"
    if gpus != best_gpus:
        return f"{gpus} GPUs x {candidate.step_time_s:.2f} s vs {best_gpus} GPUs x {best.step_time_s:.2f} s per step"
    grown = max(candidate.components(), key=lambda name: candidate.components()[name] - best.components()[name])
    if grown == "bubble_s":
        return f"bubble {candidate.bubble_fraction:.0%} vs {best.bubble_fraction:.0%} of the step"
    label = grown.removesuffix("_s").replace("_", " ")
    return (
        f"{label} {candidate.components()[grown]:.2f} s vs {best.components()[grown]:.2f} s "
        f"(step {candidate.step_time_s:.2f} s vs {best.step_time_s:.2f} s)"
    )


def _better(objective: Objective, value: float, other: float) -> bool:
    return value > other if objective is Objective.throughput else value < other


def search_train_layouts(
    task: TrainConfigTask,
    keep: int = 5,
    assumptions: TrainAssumptions | None = None,
    *,
    any_framework: bool = False,
) -> TrainSearchResult:
    """The best training layout of ``task`` and up to ``keep - 1`` alternatives, each with why it lost.

    Only layouts that every framework of ``task.frameworks`` can express are considered, unless
    ``any_framework`` is set.

    Raises:
        NoFeasibleLayout: no layout fits; the message names the smallest memory per GPU found,
            the capacity and the dominating term.
    """
    started = time.perf_counter()
    assumptions = assumptions or TrainAssumptions()
    ranked: list[tuple[float, TrainLayout, TrainMemory, TrainStepPrediction]] = []
    unfit: list[tuple[TrainLayout, TrainMemory]] = []  # the fastest variant of each shape, when it does not fit
    leanest: TrainMemory | None = None
    evaluated = 0
    for shape in _shapes(task):
        variants = [
            TrainLayout(**shape, sequence_parallel=shape["tp"] > 1, recompute=recompute, zero_stage=zero_stage)
            for options in _memory_savers(shape, assumptions)
            for zero_stage, recompute in options
        ]
        if check_train_layout(task, variants[0]):
            continue
        best_variant = None
        for index, layout in enumerate(variants):
            if not any_framework and inexpressible(task, layout):
                continue
            evaluated += 1
            memory = train_memory(task, layout, assumptions)
            if leanest is None or memory.total < leanest.total:
                leanest = memory
            if not memory.fits:
                if index == 0:
                    unfit.append((layout, memory))
                continue
            prediction = predict_train_step(task, layout, assumptions)
            value = prediction.objective_value(task.objective)
            if best_variant is None or _better(task.objective, value, best_variant[0]):
                best_variant = (value, layout, memory, prediction)
            if layout.recompute is Recompute.none:
                break  # leaner ZeRO stages only add communication
        if best_variant is not None:
            ranked.append(best_variant)
    if not ranked:
        raise NoFeasibleLayout(_no_fit_message(task, leanest))
    throughput = task.objective is Objective.throughput
    ranked.sort(key=lambda entry: entry[0], reverse=throughput)
    best_value, best_layout, best_memory, best_prediction = ranked[0]
    alternatives = [
        RankedLayout(
            layout=layout,
            memory=memory,
            prediction=prediction,
            objective_value=value,
            reason=_lost_because(prediction, best_prediction, layout.world_size, best_layout.world_size),
        )
        for value, layout, memory, prediction in ranked[1:keep]
    ]
    rejected = _rejected(task, unfit, best_value, assumptions)[: max(1, keep - 1)]
    return TrainSearchResult(
        task=task.name,
        objective=task.objective,
        best=RankedLayout(
            layout=best_layout, memory=best_memory, prediction=best_prediction, objective_value=best_value
        ),
        alternatives=alternatives,
        rejected=rejected,
        evaluated=evaluated,
        feasible=len(ranked),
        seconds=time.perf_counter() - started,
    )


def _no_fit_message(task: TrainConfigTask, leanest: TrainMemory | None) -> str:
    cluster = f"{task.cluster.world_size} x {task.cluster.gpu}"
    if leanest is None:
        return f"no layout of {task.model.name} on {cluster} passes the shape checks"
    return (
        f"no layout of {task.model.name} fits on {cluster}: the smallest needs {gib(leanest.total):.1f} GiB per GPU "
        f"of {gib(leanest.capacity):.1f} GiB, dominated by {leanest.dominant} "
        f"({gib(getattr(leanest, leanest.dominant)):.1f} GiB)"
    )


def _rejected(
    task: TrainConfigTask,
    unfit: list[tuple[TrainLayout, TrainMemory]],
    best_value: float,
    assumptions: TrainAssumptions,
) -> list[RejectedLayout]:
    """The layouts that do not fit but would beat the best, the nearest to fitting first."""
    beating = []
    for layout, memory in unfit:
        value = predict_train_step(task, layout, assumptions).objective_value(task.objective)
        if _better(task.objective, value, best_value):
            beating.append((value, layout, memory))
    beating.sort(key=lambda entry: entry[2].total)  # the nearest to fitting first
    return [
        RejectedLayout(
            layout=layout,
            memory=memory,
            reason=f"does not fit: {gib(memory.total):.1f} GiB > {gib(memory.capacity):.1f} GiB "
            f"({memory.dominant} {gib(getattr(memory, memory.dominant)):.1f} GiB)",
        )
        for _, layout, memory in beating
    ]
