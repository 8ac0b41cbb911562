"""Wall time of the config dry run, per scaled-down shape, on this machine's CPUs.

Run: ``python benchmarks/dryrun_wall_time.py [--steps 4]``. Prints, for each layout, the scaled shape,
the processes it started, the seconds from the first process start to the verdict (torch imports
included), and the first and last loss.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasks.configs.layout import Recompute, TrainLayout
from verifiers.configs.dryrun import dry_run

LAYOUTS = {
    "single": TrainLayout(),
    "tp": TrainLayout(tp=8),
    "pp": TrainLayout(pp=8),
    "pp-interleaved": TrainLayout(pp=8, vpp=4),
    "fsdp": TrainLayout(dp=64, zero_stage=3),
    "tp-sp-pp": TrainLayout(tp=8, pp=16, sequence_parallel=True),
    "tp-dp": TrainLayout(tp=8, dp=8, zero_stage=1),
    "pp-dp": TrainLayout(pp=8, dp=8, recompute=Recompute.selective),
    "tp-sp-pp-vpp-dp": TrainLayout(
        tp=8, pp=64, vpp=2, dp=6, zero_stage=3, sequence_parallel=True, recompute=Recompute.full
    ),
}


def main(steps: Annotated[int, typer.Option(help="Optimizer steps of each run.")] = 4) -> None:
    """Run every layout once and print its wall time."""
    for name, layout in LAYOUTS.items():
        result = dry_run(layout, steps=steps, timeout_s=600)
        verdict = "passed" if result.passed else f"FAILED ({result.reason})"
        losses = f"{result.losses[0]:.3f} -> {result.losses[-1]:.3f}" if result.losses else "-"
        print(
            f"{name:17s} {result.layout.shape():24s} {result.world_size} processes"
            f" {result.seconds:6.1f} s  loss {losses}  {verdict}"
        )


if __name__ == "__main__":
    typer.run(main)
