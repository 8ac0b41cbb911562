"""Parameter counts of a :class:`tasks.configs.specs.ModelSpec`, whole and per GPU shard.

Counts follow Megatron-LM's layout: per layer, attention (QKV and output projections), an MLP
(two matrices, or three when gated) or ``experts`` of them plus a router, and two norms; the
model adds the input embedding, an untied output layer, and a final norm. Biases are ignored
(they are below 0.1% of any preset).
"""

from __future__ import annotations

from dataclasses import dataclass

from tasks.configs.specs import ModelSpec


@dataclass(frozen=True)
class LayerParams:
    """Parameters of one transformer layer, by part."""

    attention: int
    mlp_dense: int  # a dense MLP, or the router of a MoE layer
    experts: int  # every expert of a MoE layer together; 0 for a dense model
    norms: int

    @property
    def total(self) -> int:
        """Every parameter of the layer."""
        return self.attention + self.mlp_dense + self.experts + self.norms


def layer_params(model: ModelSpec) -> LayerParams:
    """One layer's parameter counts."""
    h = model.hidden
    kv_width = model.query_groups * model.head_dim
    attention = h * h + 2 * h * kv_width + h * h  # Q, K, V, output projection
    matrices = 3 if model.gated_mlp else 2
    if model.moe is None:
        return LayerParams(attention, matrices * h * model.ffn_hidden, 0, 2 * h)
    expert_width = model.moe.expert_ffn_hidden or model.ffn_hidden
    experts = model.moe.experts * matrices * h * expert_width
    return LayerParams(attention, h * model.moe.experts, experts, 2 * h)


def embedding_params(model: ModelSpec) -> int:
    """Input embedding plus output layer (once when tied) plus the final norm."""
    tables = 1 if model.tied_embeddings else 2
    return tables * model.vocab * model.hidden + model.hidden


def total_params(model: ModelSpec) -> int:
    """Every parameter of the model."""
    return model.layers * layer_params(model).total + embedding_params(model)


def active_params(model: ModelSpec) -> int:
    """Parameters one token passes through (all of them for a dense model; ``top_k`` experts for MoE)."""
    layer = layer_params(model)
    experts = layer.experts
    if model.moe is not None:
        experts = experts * model.moe.top_k // model.moe.experts
    return model.layers * (layer.attention + layer.mlp_dense + experts + layer.norms) + embedding_params(model)
