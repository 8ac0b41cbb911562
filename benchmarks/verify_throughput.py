"""Throughput of the whole verification cascade: candidates verified per minute, and where the time goes.

Verifies N distinct honest candidates of a suite task (OpenMP schedule and chunk variants of one
kernel) through ``verifiers.cascade.default_stages()`` (with the timing and anti-cheat stages added
if it lacks them), in the sandbox ``open_sandbox("auto")`` picks, as ``agent solve`` does:
``verify_workers()`` candidates at a time (one per core plus one), the measuring runs (timing, the
anti-cheat's repeat timing) alone on the machine. Prints candidates per minute (the target on a 2-core
machine is 25 or more), each
stage's share of the time, and how long measuring runs held the machine alone.

    python -m benchmarks.verify_throughput [--task reduce-sum] [--candidates 12] [--scale screen|bench]
                                           [--size n=2000000] [--workers 3]

``--scale screen`` (the default) times at the task's screen size, as a tournament verifies every
candidate; ``--scale bench`` at its bench size, as the final verifies its few finalists.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from benchmarks.timing_aa import parse_size
from sandbox import open_sandbox
from tasks import resolve_task
from tasks.model import size_text
from verifiers.candidate import Candidate
from verifiers.cascade import default_stages, evaluate
from verifiers.concurrency import verify_workers
from verifiers.context import VerifyConfig
from verifiers.machine_lock import MACHINE
from verifiers.stages.anticheat import AntiCheatStage
from verifiers.stages.timing import TimingStage

KERNELS = {
    "reduce-sum": """// variant {index}
#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {{
    double total = 0.0;
#pragma omp parallel for reduction(+ : total) schedule({schedule}, {chunk})
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}}
""",
}
SCHEDULES = ["static", "dynamic", "guided"]
CHUNKS = [1024, 4096, 16384, 65536]


def candidates(task_name: str, count: int) -> list[Candidate]:
    """``count`` distinct honest candidates for ``task_name``."""
    template = KERNELS[task_name]
    variants = itertools.cycle(itertools.product(SCHEDULES, CHUNKS))
    return [
        Candidate(source=template.format(index=i, schedule=schedule, chunk=chunk), origin="benchmark")
        for i, (schedule, chunk) in zip(range(count), variants, strict=False)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="reduce-sum", choices=sorted(KERNELS))
    parser.add_argument("--candidates", type=int, default=12)
    parser.add_argument("--scale", choices=["screen", "bench"], default="screen", help="the task's size to time at")
    parser.add_argument("--size", help="timing size override such as n=2000000 (instead of --scale)")
    parser.add_argument("--workers", type=int, default=verify_workers(), help="candidates verified at once [cores + 1]")
    args = parser.parse_args()

    task = resolve_task(args.task)
    config = VerifyConfig(timing={"size": parse_size(args.size), "screen": args.scale == "screen"})
    stages = default_stages()
    stages += [stage for stage in (TimingStage(), AntiCheatStage()) if stage.stage not in {s.stage for s in stages}]
    sandbox = open_sandbox("auto")
    per_stage: dict[str, float] = defaultdict(float)
    accepted = 0
    try:
        evaluate(task, candidates(args.task, 1)[0], sandbox, config=config, stages=stages)  # warm caches, untimed
        started, alone_before = time.monotonic(), MACHINE.exclusive_s
        with ThreadPoolExecutor(args.workers) as pool:
            verdicts = pool.map(
                lambda candidate: evaluate(task, candidate, sandbox, config=config, stages=stages),
                candidates(args.task, args.candidates),
            )
            for verdict in verdicts:
                accepted += verdict.accepted
                for result in verdict.stages:
                    per_stage[result.stage.value] += result.seconds
                summary = ", ".join(f"{r.stage.value} {r.seconds:.1f}s" for r in verdict.stages)
                outcome = "accepted" if verdict.accepted else verdict.feedback()[:80]
                print(f"{verdict.candidate[:10]} {outcome}: {summary}")
        elapsed, alone = time.monotonic() - started, MACHINE.exclusive_s - alone_before
    finally:
        sandbox.close()
    names = [stage.stage.value for stage in stages]
    size, precision = size_text(config.timing.timed_size(task)), config.timing.precision(task)
    print(f"\n{task.name} timed at {size} to {precision:.0%}, sandbox {sandbox.name}, {args.workers} workers")
    print(f"stages: {', '.join(names)}")
    print(f"verified {args.candidates} candidates ({accepted} accepted) in {elapsed:.1f} s")
    print(f"throughput: {args.candidates / elapsed * 60:.1f} candidates per minute (target on 2 cores: 25)")
    print(f"seconds per candidate: {elapsed / args.candidates:.2f}")
    total = sum(per_stage.values()) or 1.0
    for name in names:
        print(f"  {name:12s} {per_stage[name] / args.candidates:6.2f} s per candidate  {per_stage[name] / total:6.1%}")
    print("(stage seconds overlap across workers and include waiting for the machine to measure alone)")
    print(f"measuring runs had the machine to themselves {alone:.1f} s of the {elapsed:.1f} s ({alone / elapsed:.0%})")


if __name__ == "__main__":
    main()
