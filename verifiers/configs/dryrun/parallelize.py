"""Tensor parallelism (DTensor, with optional sequence parallelism) and FSDP2 of one stage (needs torch).

The plan is Megatron-LM's: heads and MLP columns split over the TP ranks with one all-reduce after
the attention output and the MLP down projection, a vocabulary-parallel embedding and output layer.
With sequence parallelism the residual stream between the projections (norms included) is split
along the sequence instead of replicated, and each all-reduce becomes an all-gather before the
column-parallel projections and a reduce-scatter after the row-parallel ones.
"""

from __future__ import annotations

from torch.distributed.device_mesh import DeviceMesh
from torch.distributed.fsdp import fully_shard
from torch.distributed.tensor import Replicate, Shard
from torch.distributed.tensor.parallel import (
    ColwiseParallel,
    ParallelStyle,
    PrepareModuleInput,
    RowwiseParallel,
    SequenceParallel,
    parallelize_module,
)

from verifiers.configs.dryrun.model import Stage

SEQUENCE_DIM = 1


def _block_plan(sequence_parallel: bool) -> dict[str, ParallelStyle]:
    plan: dict[str, ParallelStyle] = {
        "attention.q": ColwiseParallel(),
        "attention.k": ColwiseParallel(),
        "attention.v": ColwiseParallel(),
        "mlp.up": ColwiseParallel(),
    }
    if not sequence_parallel:
        return {**plan, "attention.out": RowwiseParallel(), "mlp.down": RowwiseParallel()}
    gather_sequence = PrepareModuleInput(input_layouts=(Shard(SEQUENCE_DIM),), desired_input_layouts=(Replicate(),))
    return {
        **plan,
        "attention_norm": SequenceParallel(),
        "attention": gather_sequence,
        "attention.out": RowwiseParallel(output_layouts=Shard(SEQUENCE_DIM)),
        "mlp_norm": SequenceParallel(),
        "mlp": gather_sequence,
        "mlp.down": RowwiseParallel(output_layouts=Shard(SEQUENCE_DIM)),
    }


def apply_tensor_parallel(stage: Stage, tp_mesh: DeviceMesh, sequence_parallel: bool) -> None:
    """Shard the stage's embedding, blocks and output layer over ``tp_mesh``."""
    stream = Shard(SEQUENCE_DIM) if sequence_parallel else Replicate()
    plan: dict[str, ParallelStyle] = {}
    if stage.embedding is not None:
        plan["embedding"] = RowwiseParallel(input_layouts=Replicate(), output_layouts=stream)
    if stage.head is not None:
        if sequence_parallel:
            plan["norm"] = SequenceParallel()
        plan["head"] = ColwiseParallel(input_layouts=stream, output_layouts=Replicate())
    if plan:
        parallelize_module(stage, tp_mesh, plan)
    for block in stage.blocks.values():
        parallelize_module(block, tp_mesh, _block_plan(sequence_parallel))


def apply_fsdp(stage: Stage, dp_mesh: DeviceMesh, reshard_after_forward: bool) -> None:
    """Shard the stage's parameters over ``dp_mesh``: one FSDP2 group per block, one for the rest."""
    for block in stage.blocks.values():
        fully_shard(block, mesh=dp_mesh, reshard_after_forward=reshard_after_forward)
    fully_shard(stage, mesh=dp_mesh, reshard_after_forward=reshard_after_forward)
