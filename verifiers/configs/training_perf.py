"""An analytical model of one training step's time for a parallel layout.

One micro-batch on one pipeline stage costs its compute plus the communication that cannot overlap
it; a step is ``micro-batches`` of those on the slowest stage, plus the pipeline bubble, the
pipeline sends, the exposed part of the data-parallel gradient reduction, and the optimizer step.

- GEMMs run at the GPU's maximum achievable matmul fraction of peak, reduced by tile and wave
  quantization of their output (NVIDIA's matrix multiplication guide): the GEMM size after the
  tensor-parallel split sets how full the last wave of tiles is.
- Attention: fused (flash) attention at its measured fraction of peak (forward + backward = 3.5x the
  forward FLOPs, the FlashAttention convention, causal half); or, as in Megatron-LM 2022, materialized
  scores: a roofline of the batched GEMMs against the memory traffic of the ``s x s`` scores.
- Element-wise kernels (layer norms, dropout + residual, activations) stream their bytes at the
  achievable HBM bandwidth.
- Collectives follow the ring model on nccl-tests bus bandwidth: all-gather and reduce-scatter move
  ``(n-1)/n`` of the buffer, all-reduce twice that, plus a latency per call.
- Recomputation repeats the forward pass of what it recomputes (all of a layer, or the attention core).
- Model FLOPs (for MFU) are Korthikanti et al.'s: ``3 x (2 tokens (layer matmul params x L + V h) +
  4 tokens s h L)``, without recomputation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from tasks.configs.layout import Recompute, TrainLayout
from tasks.configs.model import Objective, TrainConfigTask
from tasks.configs.specs import ModelSpec
from verifiers.configs.params import layer_params
from verifiers.configs.train_geometry import TrainGeometry, train_geometry
from verifiers.configs.train_hardware import (
    GpuTrainingFigures,
    LinkFigures,
    TrainAssumptions,
    gpu_training_figures,
    inter_node_link,
    intra_node_link,
)

FORWARD_AND_BACKWARD = 3.0  # backward GEMMs: input gradient plus weight gradient, each as costly as the forward
FLASH_FORWARD_AND_BACKWARD = 3.5  # FlashAttention's backward recomputes the scores: 2.5x the forward
# Bytes per score element of materialized attention. Forward: QK^T writes 2, the fused softmax reads 2
# and writes 2, dropout reads 2 and writes 2 plus a 1-byte mask, AV reads 2 (13). Backward: the
# gradient of the probabilities is written (2), dropout backward reads it and the mask and writes (5),
# softmax backward reads the gradient and the probabilities and writes (6), the dQ/dK GEMMs read the
# result twice (4) and the dV GEMM reads the probabilities (2) (19).
SCORE_BYTES_FORWARD = 13
SCORE_BYTES_BACKWARD = 19
# Element-wise bytes per token and hidden unit in one forward pass: two layer norms (read 2, write 2:
# 8), two dropout + residual adds (read 2 + 2, write 2 + 1-byte mask: 14). The MLP activation adds
# 4 bytes per token and MLP unit (6 when gated: both halves read). The backward pass moves about twice
# the forward's bytes.
ELEMENTWISE_BYTES_PER_HIDDEN = 22
ACTIVATION_BYTES_PER_FFN = 4
GATED_ACTIVATION_BYTES_PER_FFN = 6
# Optimizer step per parameter it updates: read fp32 gradient, master weight, two moments (16), write
# master and moments (12) and the bf16 weight (2).
OPTIMIZER_BYTES_PER_PARAM = 30
GRADIENT_REDUCE_BYTES = 4  # fp32 gradients, as Megatron-LM reduces them by default with bf16
WEIGHT_BYTES = 2


class TrainStepPrediction(BaseModel):
    """Predicted seconds of one training step and what they are made of (seconds per step)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    step_time_s: float
    compute_s: float
    """GEMMs, attention and element-wise kernels of every micro-batch on the slowest stage, recomputation included."""
    tp_comm_s: float
    cp_comm_s: float
    """Exposed part of the context-parallel ring (what the attention compute does not hide)."""
    ep_comm_s: float
    bubble_s: float
    pp_p2p_s: float
    dp_comm_s: float
    """Exposed part of the data-parallel gradient reduction (and ZeRO gathers)."""
    optimizer_s: float
    bubble_fraction: float
    model_flops: float
    mfu: float
    tokens_per_s: float
    gpu_seconds_per_token: float

    def objective_value(self, objective: Objective) -> float:
        """Tokens/s for ``throughput``, GPU-seconds per token for ``cost``."""
        return self.tokens_per_s if objective is Objective.throughput else self.gpu_seconds_per_token

    def components(self) -> dict[str, float]:
        """Every additive part of the step time by name."""
        return {name: getattr(self, name) for name in STEP_COMPONENTS}


STEP_COMPONENTS = (
    "compute_s",
    "tp_comm_s",
    "cp_comm_s",
    "ep_comm_s",
    "bubble_s",
    "pp_p2p_s",
    "dp_comm_s",
    "optimizer_s",
)


@dataclass(frozen=True)
class _MicroBatchCost:
    """Seconds of one micro-batch (forward + backward) on one pipeline stage."""

    compute: float
    backward_compute: float
    tp_comm: float
    cp_comm: float
    ep_comm: float

    @property
    def total(self) -> float:
        return self.compute + self.tp_comm + self.cp_comm + self.ep_comm


def gemm_quantization_efficiency(rows: int, cols: int, gpu: GpuTrainingFigures) -> float:
    """Useful fraction of the tiles x waves a GEMM with a ``rows x cols`` output occupies (best orientation)."""
    tile_rows, tile_cols = gpu.gemm_tile
    best = 0.0
    for tile_m, tile_n in ((tile_rows, tile_cols), (tile_cols, tile_rows)):
        tiles = math.ceil(rows / tile_m) * math.ceil(cols / tile_n)
        waves = math.ceil(tiles / gpu.sm_count)
        best = max(best, rows * cols / (waves * gpu.sm_count * tile_m * tile_n))
    return best


def _gemm_seconds(tokens: int, inputs: int, outputs: int, count: float, gpu: GpuTrainingFigures) -> float:
    """Forward + backward seconds of ``count`` GEMMs ``[tokens x inputs] @ [inputs x outputs]``.

    Forward output ``tokens x outputs``; backward input gradient ``tokens x inputs``; weight gradient
    ``inputs x outputs``.
    """
    flops = 2.0 * tokens * inputs * outputs * count
    seconds = 0.0
    for rows, cols in ((tokens, outputs), (tokens, inputs), (inputs, outputs)):
        seconds += flops / (gpu.peak_flops * gpu.matmul_efficiency * gemm_quantization_efficiency(rows, cols, gpu))
    return seconds


def _layer_gemm_seconds(model: ModelSpec, tokens: int, tp: int, ep: int, gpu: GpuTrainingFigures) -> float:
    """Forward + backward seconds of one layer's linear layers for ``tokens`` tokens on one GPU."""
    h, hd = model.hidden, model.head_dim
    seconds = _gemm_seconds(tokens, h, (model.heads + 2 * model.query_groups) * hd // tp, 1, gpu)
    seconds += _gemm_seconds(tokens, h // tp, h, 1, gpu)
    up_factor = 2 if model.gated_mlp else 1
    if model.moe is None:
        width, rows, count = model.ffn_hidden // tp, tokens, 1.0
    else:
        width = (model.moe.expert_ffn_hidden or model.ffn_hidden) // tp
        # Balanced routing: the GPU receives as many routed copies (tokens x top_k) as it sends, shared
        # equally by its experts / ep local experts.
        count = float(model.moe.experts // ep)
        rows = max(1, int(tokens * model.moe.top_k / count))
        seconds += _gemm_seconds(tokens, h, model.moe.experts, 1, gpu)  # router
    seconds += _gemm_seconds(rows, h, up_factor * width, count, gpu)
    seconds += _gemm_seconds(rows, width, h, count, gpu)
    return seconds


def _attention_seconds(
    model: ModelSpec,
    layout: TrainLayout,
    geometry: TrainGeometry,
    seq_len: int,
    gpu: GpuTrainingFigures,
    assumptions: TrainAssumptions,
) -> float:
    """Seconds of one layer's attention core (QK^T, softmax, AV) for one micro-batch, recomputation included."""
    heads = model.heads // layout.tp
    pairs = layout.micro_batch * heads * geometry.seq_per_rank * seq_len  # query-key pairs on this GPU
    forward_flops = 4.0 * pairs * model.head_dim
    recomputed = layout.recompute is not Recompute.none
    if assumptions.flash_attention:
        passes = FLASH_FORWARD_AND_BACKWARD + (1.0 if recomputed else 0.0)
        return passes * forward_flops / 2 / (gpu.peak_flops * gpu.flash_attention_efficiency)  # causal half
    passes = FORWARD_AND_BACKWARD + (1.0 if recomputed else 0.0)
    score_bytes = pairs * (SCORE_BYTES_FORWARD * (2 if recomputed else 1) + SCORE_BYTES_BACKWARD)
    return max(
        passes * forward_flops / (gpu.peak_flops * gpu.matmul_efficiency),
        score_bytes / (gpu.hbm_bytes_per_s * gpu.hbm_efficiency),
    )


def _elementwise_seconds(model: ModelSpec, tokens: int, layout: TrainLayout, gpu: GpuTrainingFigures) -> float:
    """Forward + backward seconds of one layer's element-wise kernels (memory-bound)."""
    hidden_split = layout.tp if layout.sequence_parallel else 1
    if model.moe is None:
        ffn_units = model.ffn_hidden
    else:
        ffn_units = model.moe.top_k * (model.moe.expert_ffn_hidden or model.ffn_hidden)
    per_ffn = GATED_ACTIVATION_BYTES_PER_FFN if model.gated_mlp else ACTIVATION_BYTES_PER_FFN
    forward = tokens * (ELEMENTWISE_BYTES_PER_HIDDEN * model.hidden / hidden_split + per_ffn * ffn_units / layout.tp)
    passes = FORWARD_AND_BACKWARD + (1.0 if layout.recompute is Recompute.full else 0.0)
    return passes * forward / (gpu.hbm_bytes_per_s * gpu.hbm_efficiency)


def _ring_seconds(buffer_bytes: float, ranks: int, link: LinkFigures, traversals: float = 1.0) -> float:
    """One ring collective: ``traversals`` = 1 for all-gather / reduce-scatter / all-to-all, 2 for all-reduce."""
    if ranks == 1:
        return 0.0
    return link.latency_s + traversals * (ranks - 1) / ranks * buffer_bytes / link.bus_bytes_per_s


def _micro_batch_cost(
    task: TrainConfigTask,
    layout: TrainLayout,
    geometry: TrainGeometry,
    gpu: GpuTrainingFigures,
    assumptions: TrainAssumptions,
) -> _MicroBatchCost:
    """One micro-batch on the last pipeline stage, the slowest: it also runs the output layer."""
    model, cluster = task.model, task.cluster
    tokens = layout.micro_batch * geometry.seq_per_rank
    full = layout.recompute is Recompute.full
    gemm = _layer_gemm_seconds(model, tokens, layout.tp, layout.ep, gpu) * (4.0 / 3.0 if full else 1.0)
    attention = _attention_seconds(model, layout, geometry, task.workload.seq_len, gpu, assumptions)
    layer_compute = gemm + attention + _elementwise_seconds(model, tokens, layout, gpu)

    forward_passes = 2 if full else 1
    activation_bytes = tokens * model.hidden * WEIGHT_BYTES
    # Per layer and pass: 2 all-gathers + 2 reduce-scatters (sequence parallel), or 2 all-reduces.
    tp_collective = _ring_seconds(
        activation_bytes, layout.tp, intra_node_link(cluster), 1.0 if layout.sequence_parallel else 2.0
    )
    tp_calls = 4 if layout.sequence_parallel else 2
    layer_tp = tp_calls * tp_collective * (forward_passes + 1)

    layer_cp = 0.0
    if layout.cp > 1:
        link = intra_node_link(cluster) if geometry.cp_intra_node else inter_node_link(cluster)
        kv_bytes = 2 * tokens * model.query_groups * model.head_dim // layout.tp * WEIGHT_BYTES
        steps = (layout.cp - 1) * (forward_passes + 2)  # backward passes K/V and their gradients
        ring = steps * (link.latency_s + kv_bytes / link.bus_bytes_per_s)
        layer_cp = max(0.0, ring - attention)

    layer_ep = 0.0
    if model.moe is not None and layout.ep > 1:
        link = intra_node_link(cluster) if geometry.ep_intra_node else inter_node_link(cluster)
        routed = activation_bytes * model.moe.top_k / (layout.tp if layout.sequence_parallel else 1)
        layer_ep = 2 * (forward_passes + 1) * _ring_seconds(routed, layout.ep, link)

    layers = geometry.layers_per_stage
    compute = layers * layer_compute + _gemm_seconds(tokens, model.hidden, model.vocab // layout.tp, 1, gpu)
    backward_share = 3.0 / 4.0 if full else 2.0 / 3.0  # the recomputed forward runs inside the backward pass
    return _MicroBatchCost(
        compute=compute,
        backward_compute=compute * backward_share,
        tp_comm=layers * layer_tp,
        cp_comm=layers * layer_cp,
        ep_comm=layers * layer_ep,
    )


def _local_params(task: TrainConfigTask, layout: TrainLayout, geometry: TrainGeometry) -> tuple[float, float]:
    """Dense and expert parameters one GPU of the last stage holds (before ZeRO sharding)."""
    model = task.model
    layer = layer_params(model)
    dense = geometry.layers_per_stage * ((layer.attention + layer.mlp_dense) / layout.tp + layer.norms)
    dense += model.vocab * model.hidden / layout.tp
    experts = geometry.layers_per_stage * layer.experts / (layout.tp * layout.ep)
    return dense, experts


def _gradient_sync_seconds(params: float, ranks: int, zero_stage: int, link: LinkFigures) -> tuple[float, float]:
    """Seconds of syncing ``params`` over ``ranks``: (once per step, once per micro-batch).

    Stage 0 all-reduces the gradients once; stage 1 reduce-scatters them and all-gathers the updated
    weights; stages 2 and 3 reduce-scatter every micro-batch's gradients (2 then gathers the weights
    once, 3 gathers them for every forward and backward pass).
    """
    grads, weights = params * GRADIENT_REDUCE_BYTES, params * WEIGHT_BYTES
    reduce_scatter = _ring_seconds(grads, ranks, link)
    gather = _ring_seconds(weights, ranks, link)
    if zero_stage == 0:
        return _ring_seconds(grads, ranks, link, 2.0), 0.0
    if zero_stage == 1:
        return reduce_scatter + gather, 0.0
    if zero_stage == 2:
        return gather, reduce_scatter
    return 0.0, reduce_scatter + 2 * gather


def _data_parallel_seconds(
    task: TrainConfigTask,
    layout: TrainLayout,
    geometry: TrainGeometry,
    cost: _MicroBatchCost,
    assumptions: TrainAssumptions,
) -> tuple[float, float]:
    """Exposed seconds of the gradient reduction (and ZeRO gathers) per step, and the optimizer step's seconds."""
    dense, experts = _local_params(task, layout, geometry)
    dense_ranks = layout.dp * layout.cp
    expert_ranks = dense_ranks // layout.ep
    link = intra_node_link(task.cluster) if geometry.dp_intra_node else inter_node_link(task.cluster)
    dense_once, dense_each = _gradient_sync_seconds(dense, dense_ranks, layout.zero_stage, link)
    expert_once, expert_each = _gradient_sync_seconds(experts, expert_ranks, layout.zero_stage, link)
    hidden_by = cost.backward_compute if assumptions.overlap_grad_reduce else 0.0
    exposed = max(0.0, dense_once + expert_once - hidden_by)
    exposed += geometry.micro_batches * max(0.0, dense_each + expert_each - cost.total)

    updated = dense / dense_ranks + experts / expert_ranks if layout.zero_stage >= 1 else dense + experts
    gpu = gpu_training_figures(task.cluster.gpu)
    optimizer = updated * OPTIMIZER_BYTES_PER_PARAM / (gpu.hbm_bytes_per_s * gpu.hbm_efficiency)
    return exposed, optimizer


def model_flops_per_step(task: TrainConfigTask) -> float:
    """Model FLOPs of one step (Korthikanti et al. 2022, section 6), without recomputation; MoE counts top_k experts."""
    model, workload = task.model, task.workload
    layer = layer_params(model)
    experts = layer.experts * model.moe.top_k // model.moe.experts if model.moe else 0
    matmul_params = model.layers * (layer.attention + layer.mlp_dense + experts) + model.vocab * model.hidden
    tokens = workload.batch_sequences * workload.seq_len
    attention = 4.0 * tokens * workload.seq_len * model.hidden * model.layers
    return FORWARD_AND_BACKWARD * (2.0 * tokens * matmul_params + attention)


def predict_train_step(
    task: TrainConfigTask, layout: TrainLayout, assumptions: TrainAssumptions | None = None
) -> TrainStepPrediction:
    """Predicted time of one step of ``task`` under ``layout`` (which passed :func:`check_train_layout`)."""
    assumptions = assumptions or TrainAssumptions()
    geometry = train_geometry(task, layout)
    gpu = gpu_training_figures(task.cluster.gpu)
    last = _micro_batch_cost(task, layout, geometry, gpu, assumptions)
    m = geometry.micro_batches

    bubble = (layout.pp - 1) / layout.vpp * last.total
    pp_p2p = 0.0
    if layout.pp > 1:
        link = intra_node_link(task.cluster) if geometry.pp_intra_node else inter_node_link(task.cluster)
        hidden_split = layout.tp if layout.sequence_parallel else 1
        send_bytes = layout.micro_batch * geometry.seq_per_rank * task.model.hidden * WEIGHT_BYTES / hidden_split
        pp_p2p = 2 * layout.vpp * m * (link.latency_s + send_bytes / link.bus_bytes_per_s)
    dp_comm, optimizer = _data_parallel_seconds(task, layout, geometry, last, assumptions)

    step = m * last.total + bubble + pp_p2p + dp_comm + optimizer
    flops = model_flops_per_step(task)
    tokens = task.workload.batch_sequences * task.workload.seq_len
    return TrainStepPrediction(
        step_time_s=step,
        compute_s=m * last.compute,
        tp_comm_s=m * last.tp_comm,
        cp_comm_s=m * last.cp_comm,
        ep_comm_s=m * last.ep_comm,
        bubble_s=bubble,
        pp_p2p_s=pp_p2p,
        dp_comm_s=dp_comm,
        optimizer_s=optimizer,
        bubble_fraction=bubble / step,
        model_flops=flops,
        mfu=flops / (step * layout.world_size * gpu.peak_flops),
        tokens_per_s=tokens / step,
        gpu_seconds_per_token=step * layout.world_size / tokens,
    )
