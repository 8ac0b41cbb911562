"""Verified speedups the offline proposer reaches on suite tasks (no model involved).

Runs ``agent solve`` with the offline proposer on each task (one generation), at the task's
benchmark size, and prints the winner's speedup with its 95% interval. Target: >= 1.5x with
2 threads on at least 5 tasks. Results go to a private library and verdict cache.

    python benchmarks/offline_speedups.py [--backend local|docker|auto] [TASK ...]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

DEFAULT_TASKS = ["reduce-sum", "gemm", "gelu", "closest-pair", "spmv", "jacobi-2d", "triangle-count", "fft-batched"]
"""Tasks whose reference has loops the offline analysis parallelizes without atomics (histogram's per-element
atomics make it slower than the reference)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*", default=DEFAULT_TASKS)
    parser.add_argument("--backend", default="local")
    parser.add_argument("--population", type=int, default=3)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="paraforge-offline-"))
    os.environ["PARAFORGE_HOME"] = str(scratch / "home")
    os.environ["PARAFORGE_CACHE_DIR"] = str(scratch / "cache")

    from agents.solve import solve
    from agents.solve_config import SolveConfig

    print(f"{'task':<22} {'speedup':>8}  {'95% CI':<15} {'threads':>7} {'verified':>8} {'seconds':>8}")
    reached = 0
    for name in args.tasks:
        started = time.monotonic()
        config = SolveConfig(task=name, backend=args.backend, population=args.population, islands=1,
                             budget={"generations": 1})  # fmt: skip
        summary = solve(config, scratch / "runs")
        winner = summary["winner"]
        seconds = time.monotonic() - started
        if winner is None:
            line = f"{name:<22} {'-':>8}  {'no winner':<15} {'':>7} {summary['verified']:>8} {seconds:>8.0f}"
            print(line, flush=True)
            continue
        reached += winner["speedup"] >= 1.5
        interval = f"[{winner['speedup_low']:.2f}, {winner['speedup_high']:.2f}]"
        print(f"{name:<22} {winner['speedup']:>7.2f}x  {interval:<15} {winner['threads']:>7} "
              f"{summary['verified']:>8} {seconds:>8.0f}", flush=True)  # fmt: skip
    print(f"\ntasks with a verified speedup >= 1.5x: {reached} of {len(args.tasks)} (target: 5)")


if __name__ == "__main__":
    main()
