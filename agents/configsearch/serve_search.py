"""Exhaustive search over serving layouts: engine shapes and engine knobs, pruned by the verifiers' models.

Shapes are ``tp`` (a divisor of ``gpus_per_node``), ``pp`` (a divisor of the GPUs left per engine) and
``replicas`` (all that fit for the throughput objective; any count for cost); knobs are ``max_num_seqs``
and ``max_num_batched_tokens`` from vLLM's usual ranges, with vLLM's defaults for memory utilization
and block size. A layout is kept when its shapes are valid, it fits in memory and it meets the TTFT and
TPOT targets at the task's arrival rate; the best is ranked by the task's objective (throughput: output
tokens/s within the targets on the whole cluster; cost: GPU-seconds per output token at the task's rate).
"""

from __future__ import annotations

import itertools
import math

from pydantic import BaseModel, ConfigDict

from tasks.configs.layout import ServeLayout
from tasks.configs.model import Objective, ServeConfigTask
from tasks.configs.specs import BYTES_PER_GB
from verifiers.configs import ServeMemory, ServingPrediction, check_serve_layout, predict_serving, serve_memory

MAX_NUM_SEQS = (64, 128, 256, 512)
MAX_NUM_BATCHED_TOKENS = (2048, 8192, 16384)


class NoFeasibleServeLayout(Exception):
    """No layout fits in memory, or none that fits meets the latency targets; the message has the numbers."""


class ServeAlternative(BaseModel):
    """A layout that lost to the best one, with its objective value (when it met the targets) and why it lost."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    layout: ServeLayout
    objective_value: float | None
    reason: str


class ServeSearchResult(BaseModel):
    """The best serving layout, its predictions, and the best layout of each other shape with why it lost."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: str
    objective: Objective
    best: ServeLayout
    objective_value: float
    memory: ServeMemory
    prediction: ServingPrediction
    alternatives: list[ServeAlternative]
    considered: int
    invalid: int
    too_large: int
    missed_targets: int


class _Evaluated(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    layout: ServeLayout
    memory: ServeMemory
    prediction: ServingPrediction

    def shape(self) -> tuple[int, int, int]:
        return self.layout.tp, self.layout.pp, self.layout.replicas

    def value(self, objective: Objective) -> float:
        return self.prediction.objective_value(objective)


def _divisors(number: int) -> list[int]:
    return [d for d in range(1, number + 1) if number % d == 0]


def candidate_layouts(task: ServeConfigTask) -> list[ServeLayout]:
    """Every layout the search considers, before any check."""
    cluster = task.cluster
    layouts = []
    for tp in _divisors(cluster.gpus_per_node):
        for pp in _divisors(cluster.world_size // tp):
            most = cluster.world_size // (tp * pp)
            replica_counts = [most] if task.objective is Objective.throughput else range(1, most + 1)
            for replicas, seqs, tokens in itertools.product(replica_counts, MAX_NUM_SEQS, MAX_NUM_BATCHED_TOKENS):
                if tokens >= seqs:
                    layouts.append(
                        ServeLayout(tp=tp, pp=pp, replicas=replicas, max_num_seqs=seqs, max_num_batched_tokens=tokens)
                    )
    return layouts


def _ranked(evaluated: list[_Evaluated], objective: Objective) -> list[_Evaluated]:
    """Best first; ties on the objective go to the lower TPOT (throughput) or the higher goodput (cost)."""

    def key(entry: _Evaluated) -> tuple[float, float]:
        prediction = entry.prediction
        if objective is Objective.throughput:
            return -entry.value(objective), prediction.tpot_ms
        return entry.value(objective), -prediction.goodput_output_tokens_per_s

    return sorted(evaluated, key=key)


def _best_per_shape(ranked: list[_Evaluated]) -> list[_Evaluated]:
    seen: set[tuple[int, int, int]] = set()
    firsts = []
    for entry in ranked:
        if entry.shape() not in seen:
            seen.add(entry.shape())
            firsts.append(entry)
    return firsts


def _describe(layout: ServeLayout) -> str:
    return (
        f"tp={layout.tp} pp={layout.pp} replicas={layout.replicas} max_num_seqs={layout.max_num_seqs} "
        f"max_num_batched_tokens={layout.max_num_batched_tokens}"
    )


def _objective_text(value: float, objective: Objective) -> str:
    if objective is Objective.throughput:
        return f"{value:.0f} output tok/s within targets"
    return f"{value:.3g} GPU-s per output token"


def _lost(entry: _Evaluated, winner: _Evaluated, objective: Objective) -> str:
    value, best = entry.value(objective), winner.value(objective)
    if not math.isclose(value, best, rel_tol=1e-9):
        return f"{_objective_text(value, objective)} vs best {_objective_text(best, objective)}"
    if objective is Objective.throughput:
        return f"ties on throughput; TPOT {entry.prediction.tpot_ms:.1f} ms vs best {winner.prediction.tpot_ms:.1f} ms"
    return (
        f"ties on cost; {entry.prediction.goodput_output_tokens_per_s:.0f} output tok/s within targets vs best "
        f"{winner.prediction.goodput_output_tokens_per_s:.0f}"
    )


def _miss_reason(prediction: ServingPrediction) -> str:
    if not prediction.stable:
        return f"unstable at {prediction.arrival_rate:g} req/s: {prediction.instability}"
    misses = []
    if not prediction.meets_ttft:
        misses.append(f"TTFT {prediction.ttft_ms:.0f} ms > {prediction.ttft_target_ms:g} ms")
    if not prediction.meets_tpot:
        misses.append(f"TPOT {prediction.tpot_ms:.1f} ms > {prediction.tpot_target_ms:g} ms")
    return "misses " + ", ".join(misses)


def _memory_reason(memory: ServeMemory) -> str:
    return (
        f"does not fit: needs {memory.required_bytes / BYTES_PER_GB:.1f} GB per GPU > budget "
        f"{memory.budget_bytes / BYTES_PER_GB:.1f} GB, dominated by {memory.dominant_term}"
    )


def _no_fit_error(task: ServeConfigTask, smallest: ServeMemory, layout: ServeLayout) -> NoFeasibleServeLayout:
    terms = {
        "weights": smallest.weights_bytes,
        "activations": smallest.activation_bytes,
        "non_torch": smallest.non_torch_bytes,
    }
    terms["KV cache"] = smallest.required_bytes - sum(terms.values())
    parts = ", ".join(f"{name} {value / BYTES_PER_GB:.1f} GB" for name, value in terms.items())
    return NoFeasibleServeLayout(
        f"no layout of {task.model.name} fits on {task.cluster.world_size} x {task.cluster.gpu}: the smallest "
        f"memory per GPU found is {smallest.required_bytes / BYTES_PER_GB:.1f} GB ({_describe(layout)}; {parts} "
        f"for one {smallest.max_context_tokens}-token sequence) against a budget of "
        f"{smallest.budget_bytes / BYTES_PER_GB:.1f} GB of {smallest.capacity_bytes / BYTES_PER_GB:.1f} GB, "
        f"dominated by {smallest.dominant_term}"
    )


def _missed_error(task: ServeConfigTask, fitting: list[_Evaluated]) -> NoFeasibleServeLayout:
    workload = task.workload
    stable = [e for e in fitting if e.prediction.stable]
    if not stable:
        fastest = max(fitting, key=lambda e: e.prediction.max_request_rate)
        return NoFeasibleServeLayout(
            f"every layout that fits is unstable at {workload.arrival_rate:g} req/s: the highest sustainable rate "
            f"is {fastest.prediction.max_request_rate:.2f} req/s ({_describe(fastest.layout)})"
        )
    best_ttft = min(stable, key=lambda e: e.prediction.ttft_ms)
    best_tpot = min(stable, key=lambda e: e.prediction.tpot_ms)
    return NoFeasibleServeLayout(
        f"no layout meets the targets at {workload.arrival_rate:g} req/s: best TTFT "
        f"{best_ttft.prediction.ttft_ms:.0f} ms vs target {workload.ttft_ms:g} ms ({_describe(best_ttft.layout)}), "
        f"best TPOT {best_tpot.prediction.tpot_ms:.1f} ms vs target {workload.tpot_ms:g} ms "
        f"({_describe(best_tpot.layout)})"
    )


def _alternatives(
    task: ServeConfigTask,
    winner: _Evaluated,
    feasible: list[_Evaluated],
    losers: list[tuple[ServeLayout, str]],
    keep: int,
) -> list[ServeAlternative]:
    objective = task.objective
    alternatives = [
        ServeAlternative(
            layout=entry.layout, objective_value=entry.value(objective), reason=_lost(entry, winner, objective)
        )
        for entry in _best_per_shape(feasible)
        if entry.shape() != winner.shape()
    ]
    seen = {winner.shape(), *((a.layout.tp, a.layout.pp, a.layout.replicas) for a in alternatives)}
    for layout, reason in losers:
        shape = (layout.tp, layout.pp, layout.replicas)
        if shape not in seen:
            seen.add(shape)
            alternatives.append(ServeAlternative(layout=layout, objective_value=None, reason=reason))
    return alternatives[:keep]


def search_serve_layouts(task: ServeConfigTask, keep: int = 5) -> ServeSearchResult:
    """The best layout for ``task`` and up to ``keep`` runners-up of other shapes, each with why it lost.

    Raises:
        NoFeasibleServeLayout: nothing fits (with the smallest memory per GPU found against the budget
            and its dominant term), or nothing that fits meets the targets (with the best TTFT and TPOT
            reached against the targets).
    """
    layouts = candidate_layouts(task)
    invalid = too_large = 0
    fitting: list[_Evaluated] = []
    losers: list[tuple[ServeLayout, str]] = []
    smallest: tuple[ServeMemory, ServeLayout] | None = None
    for layout in layouts:
        problems = check_serve_layout(task, layout)
        if problems:
            invalid += 1
            continue
        memory = serve_memory(task, layout)
        if smallest is None or memory.required_bytes < smallest[0].required_bytes:
            smallest = (memory, layout)
        if not memory.fits:
            too_large += 1
            losers.append((layout, _memory_reason(memory)))
            continue
        fitting.append(_Evaluated(layout=layout, memory=memory, prediction=predict_serving(task, layout, memory)))
    if smallest is None:
        raise NoFeasibleServeLayout(
            f"none of the {len(layouts)} layouts considered is valid on {task.cluster.world_size} x {task.cluster.gpu}"
            f" for {task.model.name} (heads {task.model.heads}, kv_heads {task.model.query_groups})"
        )
    if not fitting:
        raise _no_fit_error(task, *smallest)
    feasible = _ranked([e for e in fitting if e.prediction.meets_targets], task.objective)
    if not feasible:
        raise _missed_error(task, fitting)
    losers = [(e.layout, _miss_reason(e.prediction)) for e in fitting if not e.prediction.meets_targets] + losers
    winner = feasible[0]
    return ServeSearchResult(
        task=task.name,
        objective=task.objective,
        best=winner.layout,
        objective_value=winner.value(task.objective),
        memory=winner.memory,
        prediction=winner.prediction,
        alternatives=_alternatives(task, winner, feasible, losers, keep),
        considered=len(layouts),
        invalid=invalid,
        too_large=too_large,
        missed_targets=len(fitting) - len(feasible),
    )
