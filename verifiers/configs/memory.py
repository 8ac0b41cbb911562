"""Bytes per GPU of a training layout, for the most loaded GPU (the first or the last pipeline stage).

States (mixed-precision Adam as in Megatron-LM): bf16 weights (2 bytes per parameter), fp32
gradients (4), fp32 master weights and two fp32 Adam moments (12). ZeRO stage 1 shards the
optimizer states, 2 also the gradients, 3 also the weights over the data-parallel ranks
(``dp * cp``; ``dp * cp / ep`` for expert weights); stage 3 keeps one gathered layer besides.

Activations follow Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large
Transformer Models", section 4 and Table 2), per layer and micro-batch, in bytes, with ``s`` the
tokens of a sequence on one context-parallel rank, ``b`` the micro-batch, ``h`` hidden, ``a`` heads,
``t`` tensor parallel:

- no parallelism: ``sbh (34 + 5as/h)``: attention 11sbh + 5as^2b, MLP 19sbh, layer norms 4sbh;
- TP without sequence parallelism: ``sbh (10 + 24/t + 5as/(ht))``: 10sbh (layer-norm inputs, the
  inputs of the QKV and first MLP projections, the two dropout masks) is not split;
- TP with sequence parallelism: ``sbh/t (34 + 5as/h)``;
- selective recomputation drops the ``5as^2b`` attention-score term;
- full recomputation keeps only each layer's input, ``2sbh`` (``/t`` with sequence parallelism), plus
  the full activations of the one layer being recomputed.

Adjustments of the paper's terms, which assume multi-head attention and a 4h GeLU MLP:

- GQA: K and V shrink to ``kv_heads/heads`` of Q, so attention stores ``(7 + 4 kv_heads/heads) sbh``;
- MLP of width ``f``: ``3sbh + 4sbf`` (input, dropout mask; GeLU input and output), which is 19sbh
  for ``f = 4h``; a gated MLP stores both halves of the first projection: ``3sbh + 6sbf``;
- MoE: each token's ``top_k`` routed copies store the dispatched input and the expert's internals:
  ``3sbh + top_k (2sbh + 4sbf_e)`` (``6sbf_e`` gated), split over ``t`` like a dense MLP;
- fused (flash) attention never stores the ``s x s`` scores, like selective recomputation.

Pipeline: under 1F1B the first stage holds ``min(pp, micro-batches)`` micro-batches of its
``layers/pp`` layers, i.e. about all ``L`` layers' worth; the interleaved schedule multiplies this by
``1 + (pp - 1)/(pp * vpp)``. The first stage also keeps the embedding dropout mask (``sbh`` per
micro-batch in flight, ``/t``), the last stage the output layer's ``4sbh/t (1 + v/h)`` (final norm,
projection input, fp32 logits) for one micro-batch.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from tasks.configs.layout import Recompute, TrainLayout
from tasks.configs.model import TrainConfigTask
from tasks.configs.specs import BYTES_PER_GIB, ModelSpec
from verifiers.configs.params import embedding_params, layer_params
from verifiers.configs.train_geometry import TrainGeometry, train_geometry
from verifiers.configs.train_hardware import TrainAssumptions, gpu_training_figures

WEIGHT_BYTES = 2  # bf16
GRADIENT_BYTES = 4  # fp32 gradient accumulation buffer (Megatron main_grad)
OPTIMIZER_BYTES = 12  # fp32 master weights + Adam first and second moments


class TrainMemory(BaseModel):
    """Bytes on the most loaded GPU of a layout, by term."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stage: str
    """Which pipeline stage is the most loaded: ``first``, ``last`` or ``only`` (no pipeline)."""
    weights: int
    gradients: int
    optimizer_states: int
    activations: int
    runtime_reserve: int
    total: int
    capacity: int
    fits: bool
    dominant: str
    """The largest term's name."""

    def describe(self) -> str:
        """One line with every term in GiB."""
        terms = ", ".join(f"{name} {gib(getattr(self, name)):.1f}" for name in MEMORY_TERMS)
        verdict = "fits" if self.fits else "does not fit"
        return f"{gib(self.total):.1f} GiB of {gib(self.capacity):.1f} GiB ({verdict}; {self.stage} stage: {terms})"


MEMORY_TERMS = ("weights", "gradients", "optimizer_states", "activations", "runtime_reserve")


def gib(value: float) -> float:
    """Bytes in GiB."""
    return value / BYTES_PER_GIB


@dataclass(frozen=True)
class _LayerActivations:
    """One layer's activations for one micro-batch, in bytes, by how tensor parallelism splits them."""

    split: float  # divided by t under any tensor parallelism
    split_with_sp: float  # divided by t only with sequence parallelism (10sbh in the paper)
    scores: float  # 5as^2b: softmax output, dropout mask, dropout output

    def stored(self, tp: int, sequence_parallel: bool, keep_scores: bool) -> float:
        """Bytes kept for the backward pass without full recomputation."""
        unsplit = self.split_with_sp / tp if sequence_parallel else self.split_with_sp
        return self.split / tp + unsplit + (self.scores / tp if keep_scores else 0.0)


def _layer_activations(model: ModelSpec, s: int, b: int) -> _LayerActivations:
    h = model.hidden
    sbh = s * b * h
    kv_ratio = model.query_groups / model.heads
    attention = (2 + 2 * kv_ratio + 2 * kv_ratio + 2) * sbh  # Q, K, V, output-projection input
    if model.moe is None:
        width = model.ffn_hidden
        mlp = (4 if not model.gated_mlp else 6) * s * b * width
    else:
        width = model.moe.expert_ffn_hidden or model.ffn_hidden
        mlp = model.moe.top_k * (2 * sbh + (6 if model.gated_mlp else 4) * s * b * width)
    # Not split without SP: two layer-norm inputs (4), QKV and MLP inputs (2 + 2), two dropout masks (1 + 1).
    return _LayerActivations(split=attention + mlp, split_with_sp=10 * sbh, scores=5 * model.heads * s * s * b)


def layer_activation_bytes(
    model: ModelSpec,
    seq: int,
    micro_batch: int,
    tp: int = 1,
    sequence_parallel: bool = False,
    recompute: Recompute = Recompute.none,
    flash_attention: bool = False,
) -> float:
    """Activations one layer keeps for one micro-batch (Korthikanti et al. 2022, Table 2, adjusted as above)."""
    if recompute is Recompute.full:
        layer_input = 2 * seq * micro_batch * model.hidden
        return layer_input / tp if sequence_parallel else layer_input
    keep_scores = recompute is Recompute.none and not flash_attention
    return _layer_activations(model, seq, micro_batch).stored(tp, sequence_parallel, keep_scores)


def interleaving_factor(pp: int, vpp: int) -> float:
    """Extra activations of the first stage under the interleaved schedule: ``1 + (pp-1)/(pp*vpp)``."""
    return 1.0 + (pp - 1) / (pp * vpp) if vpp > 1 else 1.0


def _stage_activations(
    task: TrainConfigTask, layout: TrainLayout, geometry: TrainGeometry, assumptions: TrainAssumptions
) -> tuple[float, float]:
    """Activation bytes of the first and of the last pipeline stage (the same stage when pp = 1)."""
    model, s, b, t = task.model, geometry.seq_per_rank, layout.micro_batch, layout.tp
    per_layer = layer_activation_bytes(
        model, s, b, t, layout.sequence_parallel, layout.recompute, assumptions.flash_attention
    )
    working_layer = 0.0
    if layout.recompute is Recompute.full:
        working_layer = layer_activation_bytes(
            model, s, b, t, layout.sequence_parallel, Recompute.none, assumptions.flash_attention
        )
    sbh_split = s * b * model.hidden / t
    embedding_masks = geometry.in_flight * sbh_split
    output_layer = 4 * sbh_split * (1 + model.vocab / model.hidden)
    layers = geometry.layers_per_stage
    first = (
        layers * geometry.in_flight * per_layer * interleaving_factor(layout.pp, layout.vpp)
        + working_layer
        + embedding_masks
    )
    if layout.pp == 1:
        return first + output_layer, first + output_layer
    last = layers * per_layer + working_layer + output_layer
    return first, last


def _stage_params(task: TrainConfigTask, layout: TrainLayout, geometry: TrainGeometry) -> tuple[float, float, float]:
    """Dense parameters of the first and last stage on one GPU, and the expert parameters of one stage's GPU."""
    model, t = task.model, layout.tp
    layer = layer_params(model)
    dense_layer = (layer.attention + layer.mlp_dense) / t + layer.norms
    experts_layer = layer.experts / (t * layout.ep)
    table = model.vocab * model.hidden / t
    layers = geometry.layers_per_stage
    first = layers * dense_layer + table
    last = layers * dense_layer + table + model.hidden
    if layout.pp == 1:
        first = last = layers * dense_layer + (embedding_params(model) - model.hidden) / t + model.hidden
    return first, last, layers * experts_layer


def _state_bytes(dense: float, experts: float, layout: TrainLayout, one_layer: float) -> tuple[float, float, float]:
    """Weights, gradients and optimizer states in bytes after ZeRO sharding."""
    dense_shards = layout.dp * layout.cp
    expert_shards = dense_shards // layout.ep

    def sharded(bytes_per_param: int, from_stage: int) -> float:
        if layout.zero_stage < from_stage:
            return bytes_per_param * (dense + experts)
        return bytes_per_param * (dense / dense_shards + experts / expert_shards)

    weights = sharded(WEIGHT_BYTES, 3)
    if layout.zero_stage == 3:
        weights += WEIGHT_BYTES * one_layer  # the layer gathered for the current forward or backward step
    return weights, sharded(GRADIENT_BYTES, 2), sharded(OPTIMIZER_BYTES, 1)


def train_memory(
    task: TrainConfigTask, layout: TrainLayout, assumptions: TrainAssumptions | None = None
) -> TrainMemory:
    """Bytes per GPU on the most loaded GPU of ``layout`` (assumes the layout passed :func:`check_train_layout`)."""
    assumptions = assumptions or TrainAssumptions()
    geometry = train_geometry(task, layout)
    figures = gpu_training_figures(task.cluster.gpu)
    first_act, last_act = _stage_activations(task, layout, geometry, assumptions)
    first_dense, last_dense, experts = _stage_params(task, layout, geometry)
    layer = layer_params(task.model)
    one_layer = (layer.attention + layer.mlp_dense) / layout.tp + layer.experts / (layout.tp * layout.ep)
    stages = {"first": (first_dense, first_act), "last": (last_dense, last_act)}
    candidates = []
    for name, (dense, activations) in stages.items():
        weights, gradients, optimizer = _state_bytes(dense, experts, layout, one_layer)
        terms = {
            "weights": int(weights),
            "gradients": int(gradients),
            "optimizer_states": int(optimizer),
            "activations": int(activations),
            "runtime_reserve": figures.runtime_reserve_bytes,
        }
        candidates.append((sum(terms.values()), "only" if layout.pp == 1 else name, terms))
    total, stage, terms = max(candidates, key=lambda candidate: candidate[0])
    return TrainMemory(
        stage=stage,
        **terms,
        total=total,
        capacity=figures.memory_bytes,
        fits=total <= figures.memory_bytes,
        dominant=max(terms, key=terms.__getitem__),
    )
