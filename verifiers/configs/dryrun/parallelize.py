"""Tensor parallelism (DTensor) and FSDP2 sharding of one pipeline stage, with PyTorch's own APIs (needs torch)."""

from __future__ import annotations

from torch.distributed.device_mesh import DeviceMesh
from torch.distributed.fsdp import fully_shard
from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel, parallelize_module

from verifiers.configs.dryrun.model import Stage

BLOCK_TP_PLAN = {
    "attention.q": ColwiseParallel(),
    "attention.k": ColwiseParallel(),
    "attention.v": ColwiseParallel(),
    "attention.out": RowwiseParallel(),
    "mlp.up": ColwiseParallel(),
    "mlp.down": RowwiseParallel(),
}
"""Megatron-style: heads and MLP columns split over the TP ranks, one all-reduce after ``out`` and ``down``."""


def apply_tensor_parallel(stage: Stage, tp_mesh: DeviceMesh) -> None:
    """Shard every block's projections over ``tp_mesh`` (embedding, norms and head stay replicated)."""
    for block in stage.blocks.values():
        parallelize_module(block, tp_mesh, BLOCK_TP_PLAN)


def apply_fsdp(stage: Stage, dp_mesh: DeviceMesh, reshard_after_forward: bool) -> None:
    """Shard the stage's parameters over ``dp_mesh``: one FSDP2 group per block, one for the rest."""
    for block in stage.blocks.values():
        fully_shard(block, mesh=dp_mesh, reshard_after_forward=reshard_after_forward)
    fully_shard(stage, mesh=dp_mesh, reshard_after_forward=reshard_after_forward)
