"""What each rank of a dry run executes: ``python -m verifiers.configs.dryrun.worker SPEC.json OUT_DIR``.

The rank reads ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT`` from its environment,
joins a gloo process group, builds a ``(pp, dp, tp)`` device mesh, keeps its pipeline stages of the
tiny model, shards them with tensor parallelism and FSDP2, trains ``steps`` SGD steps on a fixed batch
of random tokens (memorising it), and writes a :class:`WorkerReport` to ``OUT_DIR/rank<R>.json``.
It exits 1 with the traceback in the report when anything raises.
"""

from __future__ import annotations

import faulthandler
import os
import sys
import time
import traceback
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.pipelining import PipelineStage, Schedule1F1B, ScheduleInterleaved1F1B

from verifiers.configs.dryrun.model import Stage, build_stages, loss_fn
from verifiers.configs.dryrun.parallelize import apply_fsdp, apply_tensor_parallel
from verifiers.configs.dryrun.spec import STACK_DUMP_SIGNAL, WorkerReport, WorkerSpec, report_path

MESH_DIMS = ("pp", "dp", "tp")
DEVICE = torch.device("cpu")


def progress(rank: int, message: str) -> None:
    """One line to the rank's log (the runner quotes the last one of a rank that hangs before its stack dump works)."""
    print(f"rank {rank}: {message}", flush=True)


def synthetic_batch(spec: WorkerSpec) -> tuple[torch.Tensor, torch.Tensor]:
    """The fixed global batch (inputs, next-token targets) every step trains on, the same on every rank."""
    shape = spec.layout.model
    generator = torch.Generator().manual_seed(spec.seed + 1)
    tokens = torch.randint(0, shape.vocab, (spec.layout.batch_sequences, shape.seq_len + 1), generator=generator)
    return tokens[:, :-1], tokens[:, 1:]


def reference_losses(spec: WorkerSpec) -> list[float]:
    """The losses of the same model trained in one process on the whole batch: what the layout must reproduce."""
    stages = build_stages(spec.layout.model, spec.layout.recompute, spec.layout.stages, spec.seed)
    model = torch.nn.Sequential(*stages)
    optimizer = torch.optim.SGD(model.parameters(), lr=spec.learning_rate)
    inputs, targets = synthetic_batch(spec)
    losses = []
    for _ in range(spec.steps):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def local_stages(spec: WorkerSpec, pp_rank: int, mesh: dist.DeviceMesh) -> dict[int, Stage]:
    """This rank's stages by index (``pp_rank``, ``pp_rank + pp``, ...), sharded over TP and DP."""
    layout = spec.layout
    every_stage = build_stages(layout.model, layout.recompute, layout.stages, spec.seed)
    mine = {index: every_stage[index] for index in range(pp_rank, layout.stages, layout.pp)}
    for stage in mine.values():
        if layout.tp > 1:
            apply_tensor_parallel(stage, mesh["tp"], layout.sequence_parallel)
        if layout.dp > 1:
            apply_fsdp(stage, mesh["dp"], reshard_after_forward=layout.zero_stage == 3)
    return mine


def train(spec: WorkerSpec, rank: int, report: WorkerReport) -> None:
    """Join the group, build and shard this rank's stages, and train; losses go into ``report``."""
    layout = spec.layout
    dist.init_process_group("gloo", timeout=timedelta(seconds=spec.collective_timeout_s))
    mesh = init_device_mesh("cpu", (layout.pp, layout.dp, layout.tp), mesh_dim_names=MESH_DIMS)
    report.pp_rank, report.dp_rank, report.tp_rank = mesh.get_coordinate()
    stages = local_stages(spec, report.pp_rank, mesh)
    parameters = [parameter for stage in stages.values() for parameter in stage.parameters()]
    optimizer = torch.optim.SGD(parameters, lr=spec.learning_rate)

    inputs, targets = synthetic_batch(spec)
    rows = layout.micro_batches * layout.micro_batch_size
    inputs, targets = (t[report.dp_rank * rows : (report.dp_rank + 1) * rows] for t in (inputs, targets))
    holds_first, holds_last = 0 in stages, layout.stages - 1 in stages
    schedule = None
    if layout.pp > 1:
        pipeline = [
            PipelineStage(stage, index, layout.stages, DEVICE, group=mesh["pp"].get_group())
            for index, stage in stages.items()
        ]
        schedule = (
            ScheduleInterleaved1F1B(pipeline, layout.micro_batches, loss_fn=loss_fn)
            if layout.vpp > 1
            else Schedule1F1B(pipeline[0], layout.micro_batches, loss_fn=loss_fn)
        )

    for step in range(spec.steps):
        progress(rank, f"step {step} started")
        if spec.fault is not None and spec.fault.rank == rank:
            inject(spec.fault.kind, rank)
        optimizer.zero_grad()
        if schedule is None:
            (only,) = stages.values()
            loss = loss_fn(only(inputs), targets)
            loss.backward()
        else:
            micro_losses: list[torch.Tensor] = []
            schedule.step(
                *((inputs,) if holds_first else ()),
                target=targets if holds_last else None,
                losses=micro_losses if holds_last else None,
            )
            loss = torch.stack(micro_losses).mean() if holds_last else None
        optimizer.step()
        if holds_last and loss is not None:
            report.losses.append(loss.item())
        progress(rank, f"step {step} finished")
    dist.barrier()
    dist.destroy_process_group()


def inject(kind: str, rank: int) -> None:
    """Raise or hang, as the spec's fault asks."""
    if kind == "raise":
        raise RuntimeError(f"injected fault on rank {rank}")
    while True:
        time.sleep(1.0)


def main(spec_file: str, out_dir: str) -> int:
    """Run this rank and write its report; the exit status is 0 when it trained every step."""
    rank = int(os.environ["RANK"])
    faulthandler.register(STACK_DUMP_SIGNAL, all_threads=False)
    report = WorkerReport(rank=rank)
    status = 0
    try:
        spec = WorkerSpec.model_validate_json(Path(spec_file).read_text())
        torch.set_num_threads(1)
        train(spec, rank, report)
        if rank == 0:
            report.reference_losses = reference_losses(spec)
    except BaseException:
        report.error = traceback.format_exc()
        status = 1
    report_path(Path(out_dir), rank).write_text(report.model_dump_json())
    return status


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
