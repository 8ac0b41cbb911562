"""Wall time of whole-suite evaluations: ``agent eval builtin --solve`` (offline proposer) and
``agent eval builtin --samples 5`` with a scripted model, each through the real CLI and sandbox, from a
fresh verdict cache and library.

The scripted model is the replay server (``agents/replay_server.py``): for every task it answers four
of the offline proposer's rewrites (the reference itself where the proposer has none) and one reply
that does not compile, so pass@k is computed on a known mix. Prints each run's wall time, tasks
solved, pass@k and the report's path.

    python -m benchmarks.eval_wall_time [--mode solve|samples|both] [--backend auto] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agents.proposers import ProposalRequest
from agents.proposers.offline import OfflineProposer
from agents.replay_server import ReplayEntry, ReplayServer
from tasks import suite_tasks

SAMPLES = 5


def scripted_replies() -> list[ReplayEntry]:
    """Per suite task: up to four offline rewrites (else the reference), then one reply that cannot compile."""
    entries = []
    proposer = OfflineProposer()
    for task in suite_tasks():
        match = task.signature.prototype()
        rewrites = proposer.propose(ProposalRequest(task=task, count=SAMPLES - 1))
        sources = [p.candidate.source for p in rewrites if p.candidate is not None] or [task.reference.cpp]
        sources = (sources * SAMPLES)[: SAMPLES - 1]
        broken = task.reference.cpp.rstrip().removesuffix("}")  # the function's closing brace is missing
        for source in [*sources, broken]:
            entries.append(ReplayEntry(match=match, reply=f"Here is my kernel.\n```cpp\n{source}\n```\n"))
    return entries


def run_cli(arguments: list[str], home: Path) -> tuple[float, dict[str, Any]]:
    """Run ``agent eval`` with ``arguments``, with a fresh verdict cache and library under ``home`` (so nothing
    verified before is reused); its wall time and JSON summary."""
    env = {
        **os.environ,
        "OPENAI_API_KEY": "replay",  # the replay server takes any key
        "PARAFORGE_CACHE_DIR": str(home / "cache"),
        "PARAFORGE_HOME": str(home / "home"),
    }
    started = time.monotonic()
    finished = subprocess.run(
        [sys.executable, "-m", "agents.cli", "eval", *arguments, "--json"], capture_output=True, text=True, env=env
    )
    seconds = time.monotonic() - started
    if finished.returncode not in (0, 1):
        raise SystemExit(f"agent eval failed ({finished.returncode}):\n{finished.stderr[-3000:]}")
    return seconds, json.loads(finished.stdout)


def describe(label: str, seconds: float, summary: dict[str, Any]) -> str:
    metrics = summary["metrics"]
    passes = ", ".join(f"pass@{k} {v:.2f}" for k, v in metrics["pass_at_k"].items())
    geomean = metrics.get("geomean_speedup")
    speed = f"geomean {geomean['value']:.2f}x [{geomean['low']:.2f}, {geomean['high']:.2f}]" if geomean else ""
    return (
        f"{label}: {seconds / 60:.1f} min wall, solved {metrics['solved']}/{metrics['tasks']}, {passes}, {speed}\n"
        f"  report: {summary['report']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["solve", "samples", "both"], default="both")
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--out", type=Path, default=Path(tempfile.mkdtemp(prefix="paraforge-eval-bench-")))
    args = parser.parse_args()
    common = ["--backend", args.backend]
    if args.mode in ("samples", "both"):
        with ReplayServer(scripted_replies()) as server:
            seconds, summary = run_cli([
                "builtin", "--samples", str(SAMPLES), "--model", "openai/replay", "--api-base", server.api_base,
                "--out", str(args.out / "samples"), *common,
            ], args.out / "samples-state")  # fmt: skip
        print(describe(f"agent eval builtin --samples {SAMPLES} (scripted model)", seconds, summary), flush=True)
    if args.mode in ("solve", "both"):
        solve = ["builtin", "--solve", "--out", str(args.out / "solve"), *common]
        seconds, summary = run_cli(solve, args.out / "solve-state")
        print(describe("agent eval builtin --solve (offline proposer)", seconds, summary), flush=True)


if __name__ == "__main__":
    main()
