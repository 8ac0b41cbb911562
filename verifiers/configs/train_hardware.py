"""The constants of the training memory and performance models for one GPU type, and the software assumptions.

Every number comes from the ``training:`` section of ``tasks/configs/hardware.yaml``, where each
one cites its source. :class:`TrainAssumptions` holds what depends on the software stack rather
than on the hardware (fused attention kernels, overlapped gradient reduction).
"""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict

from tasks.configs.specs import BYTES_PER_GIB, ClusterSpec, hardware_table


class TrainAssumptions(BaseModel):
    """What the models assume about the training software; the defaults describe a current Megatron-LM."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    flash_attention: bool = True
    """Fused attention: the ``s x s`` scores are never stored nor written to memory (Korthikanti et al.
    2022 predates it: their Megatron materialized the scores)."""
    overlap_grad_reduce: bool = True
    """The data-parallel gradient reduction overlaps the last micro-batch's backward pass."""


class GpuTrainingFigures(BaseModel):
    """One GPU's figures for the training models (bytes, FLOP/s, bytes/s, seconds)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    memory_bytes: int
    peak_flops: float
    hbm_bytes_per_s: float
    matmul_efficiency: float
    sm_count: int
    gemm_tile: tuple[int, int]
    flash_attention_efficiency: float
    hbm_efficiency: float
    runtime_reserve_bytes: int


class LinkFigures(BaseModel):
    """Achievable bus bandwidth (bytes/s per GPU) and per-collective latency (s) of one kind of link."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bus_bytes_per_s: float
    latency_s: float


@cache
def gpu_training_figures(gpu: str) -> GpuTrainingFigures:
    """The training-model figures of GPU type ``gpu`` (a key of ``hardware.yaml``'s ``gpus:``)."""
    table = hardware_table()
    spec, training = table["gpus"][gpu], table["training"]
    return GpuTrainingFigures(
        name=gpu,
        memory_bytes=int(spec["memory_gib"] * BYTES_PER_GIB),
        peak_flops=spec["bf16_tflops"] * 1e12,
        hbm_bytes_per_s=spec["hbm_gbps"] * 1e9,
        matmul_efficiency=training["matmul_efficiency"][gpu],
        sm_count=training["sm_count"][gpu],
        gemm_tile=tuple(training["gemm_tile"]),
        flash_attention_efficiency=training["flash_attention_efficiency"][gpu],
        hbm_efficiency=training["hbm_efficiency"],
        runtime_reserve_bytes=int(training["runtime_reserve_gib"] * BYTES_PER_GIB),
    )


@cache
def intra_node_link(cluster: ClusterSpec) -> LinkFigures:
    """NVLink (or Infinity Fabric) inside one node."""
    training = hardware_table()["training"]
    return LinkFigures(
        bus_bytes_per_s=cluster.intra_bandwidth * 1e9 * training["intra_node_bus_efficiency"],
        latency_s=training["intra_node_latency_s"],
    )


@cache
def inter_node_link(cluster: ClusterSpec) -> LinkFigures:
    """The network between nodes (one NIC per GPU)."""
    training = hardware_table()["training"]
    return LinkFigures(
        bus_bytes_per_s=cluster.inter_bandwidth * 1e9 * training["inter_node_bus_efficiency"],
        latency_s=training["inter_node_latency_s"],
    )
