"""Per-job overhead of the docker sandbox: a trivial job (``true``) through the warm pool vs a cold container.

Run: ``python benchmarks/sandbox_overhead.py [--jobs 30] [--cold-jobs 10]``. Prints the median time of
one ``Sandbox.run`` in each mode and their ratio. Targets: pool median <= 150 ms, >= 5x below cold.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox import Job
from sandbox.docker_backend import DockerSandbox

POOL_TARGET_S = 0.150
RATIO_TARGET = 5.0


def median_run_s(sandbox: DockerSandbox, jobs: int, warmup: int) -> float:
    """Median wall time of ``sandbox.run`` on a trivial job, after ``warmup`` untimed runs."""
    job = Job(command=["true"])
    times = []
    for index in range(warmup + jobs):
        began = time.perf_counter()
        result = sandbox.run(job)
        elapsed = time.perf_counter() - began
        if not result.succeeded:
            raise SystemExit(f"the trivial job failed: {result.status} {result.message}")
        if index >= warmup:
            times.append(elapsed)
    return statistics.median(times)


def main(
    jobs: Annotated[int, typer.Option(help="Timed jobs through the warm pool.")] = 30,
    cold_jobs: Annotated[int, typer.Option(help="Timed jobs with a cold container each.")] = 10,
) -> None:
    """Measure and print the median per-job overhead, pooled and cold, and their ratio."""
    pool = DockerSandbox(warm=1)
    try:
        pooled = median_run_s(pool, jobs, warmup=2)
    finally:
        pool.close()
    cold_sandbox = DockerSandbox(warm=0)
    try:
        cold = median_run_s(cold_sandbox, cold_jobs, warmup=1)
    finally:
        cold_sandbox.close()
    ratio = cold / pooled
    print(f"warm pool : median {pooled * 1000:7.1f} ms per job over {jobs} jobs (target <= {POOL_TARGET_S * 1000:.0f})")
    print(f"cold      : median {cold * 1000:7.1f} ms per job over {cold_jobs} jobs")
    print(f"ratio     : {ratio:.1f}x (target >= {RATIO_TARGET:.0f}x)")
    if pooled > POOL_TARGET_S or ratio < RATIO_TARGET:
        raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(main)
