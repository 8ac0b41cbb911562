"""Predicted latency and throughput of a serving layout: a roofline engine model plus a queueing model.

Engine (one replica of ``tp * pp`` GPUs; every stage is costed as the fullest one):

* A forward pass over ``b`` tokens on one stage takes ``max(compute, memory)`` plus two ring
  all-reduces of the ``b x hidden`` activations per layer over the ``tp`` ranks (latency plus
  ``2 (tp-1)/tp`` of the bytes over the NVLink bus bandwidth). Compute is ``2 * active params`` per
  token plus attention (``4 * context * hidden / tp`` per layer per decode token, ``2 * P^2 * hidden / tp``
  per layer for a causal prefill of ``P`` tokens) at the BF16 peak times an efficiency; memory is the
  weights read (MoE: the experts that ``b`` tokens touch) plus the KV cache read, at the HBM bandwidth
  times an efficiency. Only the last prompt token computes logits.
* Decode: the running batch ``B`` is split into ``pp`` micro-batches that fill the pipeline, so one
  token of every sequence takes ``pp`` stage times of ``B / pp`` tokens (pipeline parallelism adds
  capacity, not speed), plus the point-to-point sends and the engine's per-step CPU overhead.
* Prefill: chunked in pieces of ``max_num_batched_tokens``; ``n`` chunks flow through ``pp`` stages in
  ``n + pp - 1`` chunk-stage times (latency) and occupy each stage for ``n`` of them.

Continuous batching steady state at Poisson arrivals ``arrival_rate / replicas`` per replica:

* Prefill share ``rho = rate * E[prefill occupancy]``: the fraction of steps that carry a prompt chunk.
* TPOT at batch ``B``: steps alternate between decode-only (``t_decode(B)``) and chunk-carrying
  (``max(t_decode(B), t_chunk)``) in the proportions ``1 - rho : rho``; a sequence gains one token per
  step, so ``TPOT = 1 / ((1 - rho) / t_decode + rho / t_chunk_step)``.
* Little's law: ``B = rate * mean output tokens * TPOT(B)``, solved for ``B`` up to the cap
  ``min(max_num_seqs, KV capacity / mean context)``. No solution below the cap means decode cannot
  keep up: the queue grows without bound (unstable).
* TTFT = queueing wait + prefill latency + half a decode step (a new prompt joins at the next step).
  The wait is the M/G/1 Pollaczek-Khinchine mean ``rate * E[S^2] / (2 (1 - rho))`` with ``S`` the
  prefill occupancy, its moments taken over samples of the prompt length distribution. Decode tokens
  riding in a chunk-carrying step are charged to decode only.
* Means stand in for the p50 targets. Max sustainable rate: the highest rate that is stable; goodput:
  the highest rate at which TTFT and TPOT still meet the targets (both found by bisection).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cached_property

from pydantic import BaseModel, ConfigDict

from tasks.configs.layout import ServeLayout
from tasks.configs.model import Objective, ServeConfigTask
from verifiers.configs.serve_constants import serving_constants
from verifiers.configs.serve_lengths import length_samples, mean_length
from verifiers.configs.serve_memory_model import ServeMemory, kv_bytes_per_token, serve_memory, shard_params

BISECTION_STEPS = 30
"""Halvings of the search interval for the steady batch and the sustainable rates (relative error 1e-9)."""


class EngineModel:
    """Roofline times of one engine replica (seconds), for a task and a layout."""

    def __init__(self, task: ServeConfigTask, layout: ServeLayout) -> None:
        constants = serving_constants()
        gpu, cluster, model = task.cluster.gpu_spec, task.cluster, task.model
        self.layout = layout
        self.model = model
        self.constants = constants
        self.flops_per_s = gpu.bf16_tflops * 1e12 * constants.matmul_efficiency
        self.hbm_bytes_per_s = gpu.hbm_gbps * 1e9 * constants.hbm_efficiency
        self.allreduce_bytes_per_s = cluster.intra_bandwidth * 1e9 * constants.allreduce_bus_efficiency
        engine_in_node = layout.tp * layout.pp <= cluster.gpus_per_node
        link = cluster.intra_bandwidth if engine_in_node else cluster.inter_bandwidth
        self.p2p_bytes_per_s = link * 1e9 * constants.allreduce_bus_efficiency
        shard = shard_params(model, layout.tp, layout.pp)
        self.stage_layers = shard.layers
        self.layer_dense_params = shard.per_layer_dense
        self.layer_expert_params = shard.per_layer_experts
        self.output_params = model.vocab * model.hidden // layout.tp
        self.expert_fraction = model.moe.top_k / model.moe.experts if model.moe else 0.0
        self.kv_bytes_per_token = kv_bytes_per_token(model, layout.tp, layout.pp)
        self.activation_row_bytes = model.hidden * constants.weight_bytes_per_param

    def _expert_params_read(self, tokens: float) -> float:
        """Expert parameters of one layer that ``tokens`` tokens touch (each picks ``top_k`` of ``experts``)."""
        return self.layer_expert_params * (1 - (1 - self.expert_fraction) ** tokens)

    def allreduce_seconds(self, tokens: float) -> float:
        """One ring all-reduce of ``tokens`` activation rows over the ``tp`` ranks (0 without TP)."""
        tp = self.layout.tp
        if tp == 1:
            return 0.0
        ring_bytes = 2 * (tp - 1) / tp * tokens * self.activation_row_bytes
        return self.constants.allreduce_latency_us * 1e-6 + ring_bytes / self.allreduce_bytes_per_s

    def _p2p_seconds(self, tokens: float) -> float:
        return self.constants.p2p_latency_us * 1e-6 + tokens * self.activation_row_bytes / self.p2p_bytes_per_s

    def _stage_seconds(self, tokens: float, flops: float, bytes_read: float) -> float:
        roofline = max(flops / self.flops_per_s, bytes_read / self.hbm_bytes_per_s)
        return roofline + 2 * self.stage_layers * self.allreduce_seconds(tokens)

    def decode_stage_seconds(self, micro_batch: float, context: float) -> float:
        """One pipeline stage of a decode step for ``micro_batch`` sequences of ``context`` tokens, with logits."""
        layers = self.stage_layers
        active = self.layer_dense_params + self.layer_expert_params * self.expert_fraction
        read_params = layers * (self.layer_dense_params + self._expert_params_read(micro_batch)) + self.output_params
        attention_width = self.model.hidden / self.layout.tp
        flops = micro_batch * (2 * (layers * active + self.output_params) + 4 * layers * context * attention_width)
        bytes_read = (
            read_params * self.constants.weight_bytes_per_param + micro_batch * context * self.kv_bytes_per_token
        )
        return self._stage_seconds(micro_batch, flops, bytes_read)

    def decode_step_seconds(self, batch: float, context: float) -> float:
        """Time for every one of ``batch`` running sequences (mean ``context`` tokens) to gain one token."""
        pp = self.layout.pp
        micro_batch = batch / pp
        return (
            pp * self.decode_stage_seconds(micro_batch, context)
            + (pp - 1) * self._p2p_seconds(micro_batch)
            + self.constants.engine_step_overhead_ms * 1e-3
        )

    def prefill_work_seconds(self, prompt: float) -> float:
        """Prefill of one ``prompt``-token request summed over every stage (what one GPU of each stage spends)."""
        layout, pp = self.layout, self.layout.pp
        chunks = math.ceil(prompt / layout.max_num_batched_tokens)
        chunk_tokens = prompt / chunks
        layers = self.stage_layers * pp
        active = self.layer_dense_params + self.layer_expert_params * self.expert_fraction
        attention_width = self.model.hidden / layout.tp
        flops = 2 * layers * active * prompt + 2 * layers * attention_width * prompt**2 + 2 * self.output_params
        weights_read = chunks * (
            layers * (self.layer_dense_params + self._expert_params_read(chunk_tokens)) + self.output_params
        )
        prefix_kv_read = pp * prompt * (chunks - 1) / 2 * self.kv_bytes_per_token
        bytes_read = weights_read * self.constants.weight_bytes_per_param + prefix_kv_read
        roofline = max(flops / self.flops_per_s, bytes_read / self.hbm_bytes_per_s)
        tensor_parallel = 2 * layers * chunks * self.allreduce_seconds(chunk_tokens)
        pipeline = (pp - 1) * chunks * self._p2p_seconds(chunk_tokens)
        return roofline + tensor_parallel + pipeline + chunks * self.constants.engine_step_overhead_ms * 1e-3

    def prefill_latency_seconds(self, prompt: float) -> float:
        """From a prompt entering the pipeline to its first token: ``n + pp - 1`` chunk-stage times."""
        chunks = math.ceil(prompt / self.layout.max_num_batched_tokens)
        pp = self.layout.pp
        return self.prefill_work_seconds(prompt) * (chunks + pp - 1) / (chunks * pp)

    def prefill_occupancy_seconds(self, prompt: float) -> float:
        """How long a prefill keeps each pipeline stage busy."""
        return self.prefill_work_seconds(prompt) / self.layout.pp


def decode_step_seconds(task: ServeConfigTask, layout: ServeLayout, batch: float, context: float) -> float:
    """Decode step time of one replica: every one of ``batch`` sequences of ``context`` tokens gains a token."""
    return EngineModel(task, layout).decode_step_seconds(batch, context)


def prefill_seconds(task: ServeConfigTask, layout: ServeLayout, prompt_tokens: float) -> float:
    """Latency of one ``prompt_tokens``-token prefill on an otherwise idle replica."""
    return EngineModel(task, layout).prefill_latency_seconds(prompt_tokens)


class SteadyState(BaseModel):
    """One replica's continuous-batching steady state at one request rate (seconds)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rate_per_replica: float
    stable: bool
    instability: str = ""
    prefill_share: float
    decode_batch: float
    decode_step_seconds: float
    tpot_seconds: float
    queue_wait_seconds: float
    ttft_seconds: float


class ServingModel:
    """The queueing model over one engine replica, for one task and layout."""

    def __init__(self, task: ServeConfigTask, layout: ServeLayout, memory: ServeMemory | None = None) -> None:
        self.task = task
        self.layout = layout
        self.engine = EngineModel(task, layout)
        self.memory = memory or serve_memory(task, layout)
        workload = task.workload
        self.mean_output = mean_length(workload.output_tokens)
        self.mean_prompt = mean_length(workload.prompt_tokens)
        self.context = self.memory.mean_context_tokens
        prompts = length_samples(workload.prompt_tokens)
        occupancy = [self.engine.prefill_occupancy_seconds(p) for p in prompts]
        self.prefill_occupancy_mean = sum(occupancy) / len(occupancy)
        self.prefill_occupancy_square = sum(s * s for s in occupancy) / len(occupancy)
        self.prefill_latency_mean = sum(self.engine.prefill_latency_seconds(p) for p in prompts) / len(prompts)
        chunk = min(layout.max_num_batched_tokens, self.mean_prompt)
        self.chunk_step_seconds = self.engine.prefill_work_seconds(chunk)

    @cached_property
    def batch_cap(self) -> tuple[float, str]:
        """The most sequences that can decode at once, and what limits it (max_num_seqs or kv_cache)."""
        kv_limit = self.memory.kv_capacity_tokens / self.context
        if kv_limit < self.layout.max_num_seqs:
            return kv_limit, "kv_cache"
        return float(self.layout.max_num_seqs), "max_num_seqs"

    def tpot_seconds(self, batch: float, prefill_share: float) -> float:
        """Mean time per output token at ``batch`` running sequences when ``prefill_share`` of steps carry a chunk."""
        decode = self.engine.decode_step_seconds(batch, self.context)
        chunk_step = max(decode, self.chunk_step_seconds)
        return 1 / ((1 - prefill_share) / decode + prefill_share / chunk_step)

    def steady_state(self, rate_per_replica: float) -> SteadyState:
        """The steady state at ``rate_per_replica`` requests per second (see the module docstring)."""
        share = rate_per_replica * self.prefill_occupancy_mean
        cap, limit = self.batch_cap
        tokens_per_s = rate_per_replica * self.mean_output

        def unstable(reason: str) -> SteadyState:
            return SteadyState(
                rate_per_replica=rate_per_replica,
                stable=False,
                instability=reason,
                prefill_share=share,
                decode_batch=cap,
                decode_step_seconds=self.engine.decode_step_seconds(cap, self.context),
                tpot_seconds=math.inf,
                queue_wait_seconds=math.inf,
                ttft_seconds=math.inf,
            )

        if share >= 1:
            return unstable(f"prefill alone needs {share:.2f} of the engine's time")
        if cap <= 0 or tokens_per_s * self.tpot_seconds(cap, share) > cap:
            return unstable(f"decode cannot keep up at the batch cap {cap:.0f} ({limit})")
        low, high = 0.0, cap
        for _ in range(BISECTION_STEPS):
            middle = (low + high) / 2
            if tokens_per_s * self.tpot_seconds(middle, share) > middle:
                low = middle
            else:
                high = middle
        batch = high
        decode = self.engine.decode_step_seconds(batch, self.context)
        wait = rate_per_replica * self.prefill_occupancy_square / (2 * (1 - share))
        return SteadyState(
            rate_per_replica=rate_per_replica,
            stable=True,
            prefill_share=share,
            decode_batch=batch,
            decode_step_seconds=decode,
            tpot_seconds=self.tpot_seconds(batch, share),
            queue_wait_seconds=wait,
            ttft_seconds=wait + self.prefill_latency_mean + decode / 2,
        )

    def meets_targets(self, state: SteadyState) -> bool:
        """TTFT and TPOT within the workload's targets."""
        workload = self.task.workload
        return (
            state.stable
            and state.ttft_seconds * 1e3 <= workload.ttft_ms
            and state.tpot_seconds * 1e3 <= workload.tpot_ms
        )

    def highest_rate(self, accept: Callable[[SteadyState], bool]) -> float:
        """The highest per-replica rate whose steady state ``accept`` takes (0 when none is), by bisection."""
        high = 1 / self.prefill_occupancy_mean
        low = 0.0
        if not accept(self.steady_state(high * 1e-9)):
            return 0.0
        for _ in range(BISECTION_STEPS):
            middle = (low + high) / 2
            if accept(self.steady_state(middle)):
                low = middle
            else:
                high = middle
        return low


class ServingPrediction(BaseModel):
    """Predicted serving behaviour of a layout at the task's arrival rate, and the rates it can sustain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    arrival_rate: float
    """Requests per second on the whole cluster (the task's), spread evenly over replicas."""
    replicas: int
    gpus: int
    prefill_ms: float
    """Mean prefill latency of one prompt on an idle replica."""
    decode_step_ms_batch_1: float
    decode_step_ms: float
    """Decode step at the steady batch (before prefill interference)."""
    allreduce_ms_per_step: float
    """TP all-reduce time inside one decode step at the steady batch (0 without TP)."""
    decode_batch: float
    """Mean running sequences per replica (Little's law)."""
    batch_cap: float
    batch_limit: str
    """What caps the batch: max_num_seqs or kv_cache."""
    prefill_share: float
    stable: bool
    instability: str
    tpot_ms: float
    ttft_ms: float
    queue_wait_ms: float
    ttft_target_ms: float
    tpot_target_ms: float
    meets_ttft: bool
    meets_tpot: bool
    output_tokens_per_s: float
    """Output tokens per second on the cluster at the arrival rate (0 when unstable)."""
    max_request_rate: float
    """Highest stable request rate of the cluster."""
    max_output_tokens_per_s: float
    goodput_request_rate: float
    """Highest request rate of the cluster at which TTFT and TPOT still meet the targets."""
    goodput_output_tokens_per_s: float

    @property
    def meets_targets(self) -> bool:
        """Stable, and both latency targets met at the task's arrival rate."""
        return self.stable and self.meets_ttft and self.meets_tpot

    @property
    def gpu_seconds_per_output_token(self) -> float:
        """GPUs held per output token served at the task's arrival rate."""
        return self.gpus / self.output_tokens_per_s if self.output_tokens_per_s else math.inf

    def objective_value(self, objective: Objective) -> float:
        """Throughput: goodput output tokens/s (higher is better). Cost: GPU-seconds per output token (lower)."""
        if objective is Objective.throughput:
            return self.goodput_output_tokens_per_s
        return self.gpu_seconds_per_output_token

    def summary(self) -> str:
        """One paragraph with the numbers."""
        state = "stable" if self.stable else f"UNSTABLE ({self.instability})"
        return (
            f"at {self.arrival_rate:g} req/s over {self.replicas} replica(s): {state}; "
            f"TTFT {self.ttft_ms:.1f} ms (target {self.ttft_target_ms:g}; prefill {self.prefill_ms:.1f}, "
            f"queue {self.queue_wait_ms:.1f}), TPOT {self.tpot_ms:.2f} ms (target {self.tpot_target_ms:g}; "
            f"decode step {self.decode_step_ms:.2f} ms at batch {self.decode_batch:.1f} of cap "
            f"{self.batch_cap:.0f} ({self.batch_limit}), all-reduce {self.allreduce_ms_per_step:.2f} ms, "
            f"prefill share {self.prefill_share:.2f}); {self.output_tokens_per_s:.0f} output tok/s; "
            f"max stable {self.max_request_rate:.2f} req/s ({self.max_output_tokens_per_s:.0f} tok/s), "
            f"within targets {self.goodput_request_rate:.2f} req/s ({self.goodput_output_tokens_per_s:.0f} tok/s)"
        )


def predict_serving(
    task: ServeConfigTask, layout: ServeLayout, memory: ServeMemory | None = None, arrival_rate: float | None = None
) -> ServingPrediction:
    """Predicted TTFT, TPOT and throughput of ``layout`` at ``arrival_rate`` (default: the task's)."""
    model = ServingModel(task, layout, memory)
    rate = task.workload.arrival_rate if arrival_rate is None else arrival_rate
    state = model.steady_state(rate / layout.replicas)
    engine = model.engine
    stable_rate = model.highest_rate(lambda s: s.stable) * layout.replicas
    goodput_rate = model.highest_rate(model.meets_targets) * layout.replicas
    cap, limit = model.batch_cap
    workload = task.workload
    micro_batch = state.decode_batch / layout.pp
    allreduce = layout.pp * 2 * engine.stage_layers * engine.allreduce_seconds(micro_batch)
    return ServingPrediction(
        arrival_rate=rate,
        replicas=layout.replicas,
        gpus=layout.world_size,
        prefill_ms=model.prefill_latency_mean * 1e3,
        decode_step_ms_batch_1=engine.decode_step_seconds(1, model.context) * 1e3,
        decode_step_ms=state.decode_step_seconds * 1e3,
        allreduce_ms_per_step=allreduce * 1e3,
        decode_batch=state.decode_batch,
        batch_cap=cap,
        batch_limit=limit,
        prefill_share=state.prefill_share,
        stable=state.stable,
        instability=state.instability,
        tpot_ms=state.tpot_seconds * 1e3,
        ttft_ms=state.ttft_seconds * 1e3,
        queue_wait_ms=state.queue_wait_seconds * 1e3,
        ttft_target_ms=workload.ttft_ms,
        tpot_target_ms=workload.tpot_ms,
        meets_ttft=state.stable and state.ttft_seconds * 1e3 <= workload.ttft_ms,
        meets_tpot=state.stable and state.tpot_seconds * 1e3 <= workload.tpot_ms,
        output_tokens_per_s=rate * model.mean_output if state.stable else 0.0,
        max_request_rate=stable_rate,
        max_output_tokens_per_s=stable_rate * model.mean_output,
        goodput_request_rate=goodput_rate,
        goodput_output_tokens_per_s=goodput_rate * model.mean_output,
    )
