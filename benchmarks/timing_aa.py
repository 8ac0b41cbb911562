"""A/A test of the timing stage: a kernel timed against itself, many times over.

Each trial is one run of the timing stage with the same source as the reference and as the
candidate (built into two libraries of one program, as any candidate would be). A trial is a
false positive when the speedup's 95% interval excludes 1.0. The verifier may claim a difference
in at most 5% of trials. Prints the false-positive rate, the mean interval width and the samples.

    python -m benchmarks.timing_aa [--task reduce-sum] [--trials 40] [--scale screen|bench] [--size n=2000000]
                                   [--kernel FILE]

``--scale screen`` (the default) times at the task's screen size, as a tournament times every candidate;
``--scale bench`` at its bench size, as the final does.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from sandbox import open_sandbox
from tasks import resolve_task
from tasks.model import KernelTask, size_text
from verifiers.candidate import Candidate
from verifiers.cascade import evaluate
from verifiers.context import VerifyConfig
from verifiers.stages.timing import TimingStage


def parse_size(text: str | None) -> dict[str, int] | None:
    """``n=1000,m=20`` as a size dict (None stays None: the task's screen or bench size)."""
    if not text:
        return None
    return {key.strip(): int(value) for key, value in (part.split("=") for part in text.split(","))}


def self_task(task: KernelTask, kernel: str | None) -> KernelTask:
    """``task`` whose reference is ``kernel`` (so that the stage times the kernel against itself)."""
    if kernel is None:
        return task
    return task.model_copy(update={"reference": task.reference.model_copy(update={"cpp": kernel})})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="reduce-sum")
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--scale", choices=["screen", "bench"], default="screen", help="the task's size to time at")
    parser.add_argument("--size", help="size override such as n=2000000 (instead of --scale)")
    parser.add_argument("--kernel", type=Path, help="kernel source timed against itself (default: the reference)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--sandbox", default="auto")
    args = parser.parse_args()

    task = self_task(resolve_task(args.task), args.kernel.read_text() if args.kernel else None)
    timing = {"size": parse_size(args.size), "screen": args.scale == "screen"}
    config = VerifyConfig(timing=timing, timing_threads=args.threads)
    sandbox = open_sandbox(args.sandbox)
    positives, widths, samples, seconds = 0, [], [], []
    try:
        for trial in range(1, args.trials + 1):
            started = time.monotonic()
            verdict = evaluate(
                task, Candidate(source=task.reference.cpp), sandbox, config=config, stages=[TimingStage()]
            )
            timing = verdict.timing
            if timing is None:
                raise SystemExit(f"trial {trial}: the timing stage failed: {verdict.feedback()}")
            seconds.append(time.monotonic() - started)
            claimed = not timing.speedup_low <= 1.0 <= timing.speedup_high
            positives += claimed
            widths.append(timing.speedup_high - timing.speedup_low)
            samples.append(timing.samples)
            stop = verdict.stages[0].details["stop"]
            print(
                f"trial {trial:3d}: {timing.speedup:.3f}x [{timing.speedup_low:.3f}, {timing.speedup_high:.3f}] "
                f"{timing.samples} samples, {stop}{'  <- false positive' if claimed else ''}",
                flush=True,
            )
    finally:
        sandbox.close()
    size = size_text(timing.size)
    print(f"\nA/A on {task.name} at {size}, {timing.threads} threads, sandbox {sandbox.name}")
    print(f"false-positive rate: {positives}/{args.trials} = {positives / args.trials:.1%} (allowed: 5%)")
    print(f"mean 95% interval width: {statistics.mean(widths):.3f} (relative to a speedup of 1)")
    print(
        f"samples per trial: median {statistics.median(samples):.0f}; seconds per trial: {statistics.mean(seconds):.1f}"
    )


if __name__ == "__main__":
    main()
