"""Model and cluster specs of config tasks, and the preset and GPU tables they may name.

A model is a preset name (``llama3-70b``) or explicit shapes; a cluster names a GPU type from
``hardware.yaml``. Both tables cite their sources next to every entry.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BeforeValidator, Field, PositiveFloat, PositiveInt, model_validator

from tasks.model import StrictModel

DATA_DIR = Path(__file__).parent
HARDWARE_FILE = DATA_DIR / "hardware.yaml"
MODELS_FILE = DATA_DIR / "models.yaml"

BYTES_PER_GIB = 2**30
BYTES_PER_GB = 10**9


class GpuSpec(StrictModel):
    """One GPU type of the specs table (units as in ``hardware.yaml``)."""

    name: str
    memory_gib: PositiveFloat
    bf16_tflops: PositiveFloat
    hbm_gbps: PositiveFloat
    nvlink_gbps: PositiveFloat
    network_gbps: PositiveFloat
    source: str

    @property
    def memory_bytes(self) -> int:
        """Device memory in bytes."""
        return int(self.memory_gib * BYTES_PER_GIB)


@cache
def hardware_table() -> dict[str, Any]:
    """The parsed ``hardware.yaml``: the GPU table and every performance-model constant."""
    return yaml.safe_load(HARDWARE_FILE.read_text())


@cache
def gpu_specs() -> dict[str, GpuSpec]:
    """Every known GPU type by name."""
    return {name: GpuSpec(name=name, **fields) for name, fields in hardware_table()["gpus"].items()}


@cache
def model_presets() -> dict[str, dict[str, Any]]:
    """Every model preset by name, as the explicit fields of a :class:`ModelSpec`."""
    return yaml.safe_load(MODELS_FILE.read_text())


class MoESpec(StrictModel):
    """A mixture-of-experts MLP: every layer's MLP is ``experts`` experts, ``top_k`` active per token."""

    experts: PositiveInt
    top_k: PositiveInt
    expert_ffn_hidden: PositiveInt | None = Field(None, description="each expert's MLP width (default: ffn_hidden)")

    @model_validator(mode="after")
    def _top_k_within_experts(self) -> MoESpec:
        if self.top_k > self.experts:
            raise ValueError(f"top_k ({self.top_k}) exceeds the number of experts ({self.experts})")
        return self


def _expand_preset(value: Any) -> Any:
    if isinstance(value, str):
        presets = model_presets()
        if value not in presets:
            raise ValueError(f"unknown model preset {value!r} (known: {', '.join(sorted(presets))})")
        return {"name": value, **presets[value]}
    if isinstance(value, dict) and "preset" in value:
        fields = dict(value)
        expanded = _expand_preset(fields.pop("preset"))
        return {**expanded, **fields}
    return value


class ModelSpec(StrictModel):
    """A decoder-only transformer's shapes. GQA through ``kv_heads``, MoE through ``moe``."""

    name: str = "custom"
    layers: PositiveInt
    hidden: PositiveInt
    heads: PositiveInt
    kv_heads: PositiveInt | None = Field(None, description="key/value heads (GQA); default: heads")
    ffn_hidden: PositiveInt
    vocab: PositiveInt
    gated_mlp: bool = Field(False, description="SwiGLU-style MLP with three weight matrices instead of two")
    tied_embeddings: bool = False
    moe: MoESpec | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _consistent_heads(self) -> ModelSpec:
        if self.hidden % self.heads:
            raise ValueError(f"hidden ({self.hidden}) is not divisible by heads ({self.heads})")
        if self.kv_heads is not None and (self.kv_heads > self.heads or self.heads % self.kv_heads):
            raise ValueError(f"heads ({self.heads}) is not a multiple of kv_heads ({self.kv_heads})")
        return self

    @property
    def query_groups(self) -> int:
        """Key/value heads: ``heads`` without GQA."""
        return self.kv_heads or self.heads

    @property
    def head_dim(self) -> int:
        """Width of one attention head."""
        return self.hidden // self.heads


ModelField = Annotated[ModelSpec, BeforeValidator(_expand_preset)]
"""A model given as a preset name, ``{preset: NAME, ...overrides}``, or explicit shapes."""


def _known_gpu(value: Any) -> Any:
    if isinstance(value, str) and value not in gpu_specs():
        raise ValueError(f"unknown GPU type {value!r} (known: {', '.join(gpu_specs())})")
    return value


class ClusterSpec(StrictModel):
    """The GPUs a config may use. Bandwidths default to the GPU table's figures (GB/s per GPU)."""

    gpu: Annotated[str, BeforeValidator(_known_gpu)]
    gpus_per_node: PositiveInt = 8
    nodes: PositiveInt = 1
    intra_node_gbps: PositiveFloat | None = None
    inter_node_gbps: PositiveFloat | None = None

    @property
    def gpu_spec(self) -> GpuSpec:
        """The table entry of this cluster's GPU type."""
        return gpu_specs()[self.gpu]

    @property
    def world_size(self) -> int:
        """Every GPU of the cluster."""
        return self.gpus_per_node * self.nodes

    @property
    def intra_bandwidth(self) -> float:
        """Per-GPU bandwidth inside a node, in GB/s."""
        return self.intra_node_gbps or self.gpu_spec.nvlink_gbps

    @property
    def inter_bandwidth(self) -> float:
        """Per-GPU bandwidth between nodes, in GB/s."""
        return self.inter_node_gbps or self.gpu_spec.network_gbps
