"""Bytes per GPU of a serving layout: weights, activation reserve, and the paged KV cache in what remains.

The rule follows vLLM's startup: the engine may use ``gpu_memory_utilization * capacity`` bytes per GPU.
From that budget it subtracts

* the weight shard (BF16; attention heads and MLP columns split over ``tp``, layers over ``pp``, MoE
  experts split over ``tp`` like a dense MLP; the worst pipeline stage, which holds a vocabulary table),
* the activation peak of its profile run: one forward pass of ``max_num_batched_tokens`` tokens, whose
  largest live tensors are the MLP's intermediates plus the residual stream, and a sampler pass whose
  float32 logits and probabilities cover ``max_num_seqs`` sequences over the whole vocabulary,
* memory outside PyTorch's allocator (CUDA context, NCCL buffers, CUDA graphs),

and gives the rest to the KV cache in blocks of ``kv_block_size`` tokens. When ``tp`` exceeds the
model's KV heads each GPU holds one KV head, replicated ``tp / kv_heads`` times, as vLLM does.
The engine starts only if one sequence of the workload's longest context fits in the KV cache.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict

from tasks.configs.layout import ServeLayout
from tasks.configs.model import ServeConfigTask
from tasks.configs.specs import BYTES_PER_GB, ModelSpec
from verifiers.configs.params import layer_params
from verifiers.configs.serve_constants import serving_constants
from verifiers.configs.serve_lengths import length_cap, mean_length


def kv_heads_per_gpu(model: ModelSpec, tp: int) -> int:
    """KV heads each tensor-parallel rank holds: ``kv_heads / tp``, or one replicated head when ``tp > kv_heads``."""
    return max(1, model.query_groups // tp)


def kv_replication(model: ModelSpec, tp: int) -> int:
    """How many ranks hold a copy of each KV head (1 unless ``tp > kv_heads``)."""
    return max(1, tp // model.query_groups)


def stage_layers(model: ModelSpec, pp: int) -> int:
    """Layers on the fullest pipeline stage (vLLM spreads a remainder over stages)."""
    return math.ceil(model.layers / pp)


class ShardParams(BaseModel):
    """Parameters on one GPU of the fullest pipeline stage, by part."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_layer_dense: int
    """One layer's attention, dense MLP (or MoE router) and norms."""
    per_layer_experts: int
    """One layer's experts (0 for a dense model)."""
    layers: int
    input_embedding: int
    output_layer: int

    @property
    def total(self) -> int:
        """Every parameter on the GPU."""
        return self.layers * (self.per_layer_dense + self.per_layer_experts) + self.input_embedding + self.output_layer


def shard_params(model: ModelSpec, tp: int, pp: int) -> ShardParams:
    """Parameters one GPU holds: the fullest stage, split over ``tp`` (norms and a MoE router replicated).

    The final norm (``hidden`` parameters) is left out.
    """
    layer = layer_params(model)
    kv_projections = 2 * model.hidden * model.query_groups * model.head_dim
    query_output = layer.attention - kv_projections
    attention = query_output // tp + 2 * model.hidden * model.head_dim * kv_heads_per_gpu(model, tp)
    mlp = layer.mlp_dense if model.moe is not None else layer.mlp_dense // tp
    table = model.vocab * model.hidden // tp
    one_stage = pp == 1
    return ShardParams(
        per_layer_dense=attention + mlp + layer.norms,
        per_layer_experts=layer.experts // tp,
        layers=stage_layers(model, pp),
        input_embedding=table,
        output_layer=table if one_stage and not model.tied_embeddings else (0 if one_stage else table),
    )


def kv_bytes_per_token(model: ModelSpec, tp: int, pp: int) -> int:
    """KV cache bytes one token takes on one GPU: ``2 * layers/pp * kv_heads_per_gpu * head_dim * bytes``."""
    element = serving_constants().kv_bytes_per_element
    return 2 * stage_layers(model, pp) * kv_heads_per_gpu(model, tp) * model.head_dim * element


def activation_bytes(model: ModelSpec, layout: ServeLayout) -> int:
    """Peak of vLLM's profile run per GPU: MLP intermediates and residual stream, plus the sampler's logits."""
    constants = serving_constants()
    tokens = layout.max_num_batched_tokens
    matrices = 3 if model.gated_mlp else 2
    if model.moe is None:
        mlp_width = matrices * model.ffn_hidden // layout.tp
    else:
        expert_width = model.moe.expert_ffn_hidden or model.ffn_hidden
        mlp_width = model.moe.top_k * matrices * expert_width // layout.tp
    forward = tokens * (2 * model.hidden + mlp_width) * constants.weight_bytes_per_param
    sampler = 2 * layout.max_num_seqs * model.vocab * constants.logits_bytes_per_element
    return forward + sampler


class ServeMemory(BaseModel):
    """Memory per GPU of one serving layout (bytes), the KV capacity it leaves, and whether it fits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    capacity_bytes: int
    budget_bytes: int
    """``gpu_memory_utilization * capacity_bytes``: what the engine may use."""
    weights_bytes: int
    activation_bytes: int
    non_torch_bytes: int
    kv_cache_bytes: int
    """The budget left for the KV cache (negative when the rest does not fit)."""
    kv_bytes_per_token: int
    kv_replication: int
    kv_block_size: int
    kv_capacity_blocks: int
    kv_capacity_tokens: int
    mean_context_tokens: float
    """A running sequence's mean context: mean prompt plus half the mean output."""
    max_context_tokens: int
    """The longest request: prompt cap plus output cap."""
    max_num_seqs: int
    seqs_at_mean_context: int
    seqs_at_max_context: int
    required_bytes: int
    """Weights, activations, non-torch memory and the KV cache of one longest sequence."""
    fits: bool
    dominant_term: str
    """The largest part of ``required_bytes``: weights, activations, non_torch or kv_cache."""

    @property
    def holds_max_num_seqs_at_mean_context(self) -> bool:
        """``max_num_seqs`` sequences of mean context fit in the KV cache at once."""
        return self.seqs_at_mean_context >= self.max_num_seqs

    @property
    def holds_max_num_seqs_at_max_context(self) -> bool:
        """``max_num_seqs`` sequences of the longest context fit in the KV cache at once."""
        return self.seqs_at_max_context >= self.max_num_seqs

    def summary(self) -> str:
        """One paragraph with the numbers, in GB (10^9 bytes) per GPU."""

        def gb(value: int) -> str:
            return f"{value / BYTES_PER_GB:.1f} GB"

        verdict = "fits" if self.fits else "does NOT fit"
        return (
            f"per GPU: weights {gb(self.weights_bytes)}, activations {gb(self.activation_bytes)}, "
            f"non-torch {gb(self.non_torch_bytes)}, KV cache {gb(self.kv_cache_bytes)} "
            f"of budget {gb(self.budget_bytes)} ({gb(self.capacity_bytes)} capacity); "
            f"KV {self.kv_bytes_per_token} B/token/GPU -> {self.kv_capacity_tokens} tokens "
            f"({self.kv_capacity_blocks} blocks of {self.kv_block_size}); "
            f"{self.seqs_at_mean_context} sequences of mean context {self.mean_context_tokens:.0f}, "
            f"{self.seqs_at_max_context} of max context {self.max_context_tokens} "
            f"(max_num_seqs {self.max_num_seqs}); required {gb(self.required_bytes)}, {verdict}, "
            f"dominated by {self.dominant_term}"
        )


def serve_memory(task: ServeConfigTask, layout: ServeLayout) -> ServeMemory:
    """Memory per GPU of ``layout`` serving ``task``'s model and workload (see the module docstring)."""
    constants = serving_constants()
    model, workload = task.model, task.workload
    capacity = task.cluster.gpu_spec.memory_bytes
    budget = int(layout.gpu_memory_utilization * capacity)
    weights = shard_params(model, layout.tp, layout.pp).total * constants.weight_bytes_per_param
    activations = activation_bytes(model, layout)
    non_torch = constants.non_torch_reserve_bytes
    per_token = kv_bytes_per_token(model, layout.tp, layout.pp)
    kv_cache = budget - weights - activations - non_torch
    blocks = max(0, kv_cache) // (per_token * layout.kv_block_size)
    mean_context = mean_length(workload.prompt_tokens) + mean_length(workload.output_tokens) / 2
    max_context = length_cap(workload.prompt_tokens) + length_cap(workload.output_tokens)
    blocks_per_max_sequence = math.ceil(max_context / layout.kv_block_size)
    parts = {
        "weights": weights,
        "activations": activations,
        "non_torch": non_torch,
        "kv_cache": blocks_per_max_sequence * layout.kv_block_size * per_token,
    }
    required = sum(parts.values())
    return ServeMemory(
        capacity_bytes=capacity,
        budget_bytes=budget,
        weights_bytes=weights,
        activation_bytes=activations,
        non_torch_bytes=non_torch,
        kv_cache_bytes=kv_cache,
        kv_bytes_per_token=per_token,
        kv_replication=kv_replication(model, layout.tp),
        kv_block_size=layout.kv_block_size,
        kv_capacity_blocks=blocks,
        kv_capacity_tokens=blocks * layout.kv_block_size,
        mean_context_tokens=mean_context,
        max_context_tokens=max_context,
        max_num_seqs=layout.max_num_seqs,
        seqs_at_mean_context=int(blocks // math.ceil(mean_context / layout.kv_block_size)),
        seqs_at_max_context=blocks // blocks_per_max_sequence,
        required_bytes=required,
        fits=required <= budget,
        dominant_term=max(parts, key=parts.__getitem__),
    )
