"""Time of the training layout search on suite tasks (target: train-1t-3072 under 10 s on 2 cores).

    python -m benchmarks.config_search_speed [TASK ...]

Prints, per task, the seconds, the layouts checked for memory, how many fit, and the best layout.
"""

from __future__ import annotations

import argparse
import time

from agents.configsearch.train_search import search_train_layouts
from tasks import resolve_task

DEFAULT_TASKS = ["train-1t-3072", "train-gpt3-175b", "train-llama3-8b"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*", default=DEFAULT_TASKS)
    args = parser.parse_args()
    print(f"{'task':<18} {'seconds':>8} {'evaluated':>9} {'fit':>6}  best layout (predicted step, MFU)")
    for name in args.tasks:
        task = resolve_task(name)
        started = time.perf_counter()
        result = search_train_layouts(task)
        seconds = time.perf_counter() - started
        best = result.best
        shape = best.layout.model_dump(exclude={"rationale"}, mode="json")
        print(
            f"{name:<18} {seconds:>8.2f} {result.evaluated:>9} {result.feasible:>6}  {shape} "
            f"({best.prediction.step_time_s:.2f} s, MFU {best.prediction.mfu:.1%})"
        )


if __name__ == "__main__":
    main()
