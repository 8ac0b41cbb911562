"""The serving model's constants, read from the ``serving:`` section of ``tasks/configs/hardware.yaml``."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict, PositiveFloat, PositiveInt

from tasks.configs.specs import BYTES_PER_GIB, hardware_table


class ServingConstants(BaseModel):
    """Every constant of the serving model; ``hardware.yaml`` gives each one's source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weight_bytes_per_param: PositiveInt
    kv_bytes_per_element: PositiveInt
    logits_bytes_per_element: PositiveInt
    matmul_efficiency: PositiveFloat
    hbm_efficiency: PositiveFloat
    allreduce_latency_us: PositiveFloat
    allreduce_bus_efficiency: PositiveFloat
    p2p_latency_us: PositiveFloat
    engine_step_overhead_ms: PositiveFloat
    non_torch_reserve_gib: PositiveFloat
    length_quantile_without_max: PositiveFloat

    @property
    def non_torch_reserve_bytes(self) -> int:
        """Memory outside PyTorch's allocator (CUDA context, NCCL, CUDA graphs), in bytes."""
        return int(self.non_torch_reserve_gib * BYTES_PER_GIB)


@cache
def serving_constants() -> ServingConstants:
    """The ``serving:`` section of the hardware table, without its sources."""
    return ServingConstants(**{name: entry["value"] for name, entry in hardware_table()["serving"].items()})
