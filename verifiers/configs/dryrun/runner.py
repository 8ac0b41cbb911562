"""Start every rank of a scaled-down layout as a CPU process, watch them, and judge the losses.

Each rank is ``python -m verifiers.configs.dryrun.worker`` in its own session, with the torch
launcher's environment (``MASTER_ADDR=127.0.0.1``, a free ``MASTER_PORT``, ``RANK``,
``WORLD_SIZE``). The first rank that exits non-zero stops the run: the others are killed at once
(they would wait in a collective for it) and the result quotes its traceback. A run still going at
``timeout_s`` is killed whole, and the result quotes where each rank still running was: the
innermost frames of the Python stack it prints on ``SIGUSR1`` just before. Nothing outlives :func:`dry_run`.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from tasks.configs.layout import TrainLayout
from verifiers.configs.dryrun.scale import ScaledLayout, scale_down
from verifiers.configs.dryrun.spec import STACK_DUMP_SIGNAL, InjectedFault, WorkerReport, WorkerSpec, report_path

REPO_ROOT = Path(__file__).resolve().parents[3]
POLL_S = 0.05
KILL_GRACE_S = 5.0
LOG_TAIL_CHARS = 3000
STACK_DUMP_WAIT_S = 1.0
STACK_FRAMES_QUOTED = 4
SEED = 1234
LEARNING_RATE = 0.5
"""Of plain SGD. Not Adam: its update does not change when a gradient is scaled, so a layout that sums
where it should average (or the reverse) would still match the single-process losses."""
REFERENCE_RTOL = 1e-4
"""How far the layout's losses may stray from the single-process run's (float reduction order only)."""


class DryRunResult(BaseModel):
    """The outcome of a dry run: the losses of every step and, when it failed, which rank and why."""

    model_config = ConfigDict(extra="forbid")

    layout: ScaledLayout
    world_size: int
    losses: list[float]
    """Each step's loss, averaged over the data-parallel ranks of the last pipeline stage."""
    reference_losses: list[float]
    """The same model and batch trained in one process."""
    seconds: float
    passed: bool
    reason: str = ""
    """Machine-readable: ``dry_run.rank_failed``, ``dry_run.timeout``, ``dry_run.loss_not_decreasing``,
    ``dry_run.loss_mismatch``; empty when passed."""
    failed_rank: int | None = None
    problem: str = ""
    """What went wrong, with the failing rank's traceback or the numbers."""


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _rank_environment(rank: int, world: int, port: int) -> dict[str, str]:
    python_path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    return {
        **os.environ,
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(port),
        "RANK": str(rank),
        "LOCAL_RANK": str(rank),
        "WORLD_SIZE": str(world),
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": python_path,
    }


def _kill(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    for process in processes:
        process.wait(timeout=KILL_GRACE_S)


def _tail(path: Path, chars: int = LOG_TAIL_CHARS) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return text[-chars:]


def _innermost_frames(log: Path) -> str:
    """The first frames of the last stack dump in ``log`` (most recent call first), or its last line."""
    text = _tail(log)
    marker = text.rfind("(most recent call first):")
    if marker < 0:
        lines = text.strip().splitlines()
        return lines[-1] if lines else "(no output)"
    frames = text[marker:].splitlines()[1 : 1 + STACK_FRAMES_QUOTED]
    return "\n".join(frames)


class _Ranks:
    """The processes of one run, their logs and their reports; leaving the ``with`` block kills them all."""

    def __init__(self, spec: WorkerSpec, work: Path) -> None:
        self.spec = spec
        self.work = work
        self.processes: list[subprocess.Popen] = []
        self.stuck: list[int] = []
        """The ranks still running at the deadline."""

    def __enter__(self) -> _Ranks:
        spec_file = self.work / "spec.json"
        spec_file.write_text(self.spec.model_dump_json())
        world = self.spec.layout.world_size
        port = free_port()
        try:
            for rank in range(world):
                with self.log(rank).open("wb") as log:
                    self.processes.append(
                        subprocess.Popen(
                            [sys.executable, "-m", "verifiers.configs.dryrun.worker", str(spec_file), str(self.work)],
                            env=_rank_environment(rank, world, port),
                            cwd=REPO_ROOT,
                            stdin=subprocess.DEVNULL,
                            stdout=log,
                            stderr=subprocess.STDOUT,
                            start_new_session=True,
                        )
                    )
        except BaseException:
            _kill(self.processes)
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        _kill(self.processes)

    def log(self, rank: int) -> Path:
        return self.work / f"rank{rank}.log"

    def report(self, rank: int) -> WorkerReport | None:
        path = report_path(self.work, rank)
        return WorkerReport.model_validate_json(path.read_text()) if path.exists() else None

    def wait(self, deadline: float) -> int | None:
        """Wait until every rank exits or one fails (its rank is returned).

        At the deadline, the ranks still running go to ``stuck`` after printing their stacks.
        """
        while time.monotonic() < deadline:
            codes = [process.poll() for process in self.processes]
            failed = next((rank for rank, code in enumerate(codes) if code not in (None, 0)), None)
            if failed is not None or all(code == 0 for code in codes):
                return failed
            time.sleep(POLL_S)
        self.stuck = [rank for rank, process in enumerate(self.processes) if process.poll() is None]
        for rank in self.stuck:
            os.kill(self.processes[rank].pid, STACK_DUMP_SIGNAL)
        time.sleep(STACK_DUMP_WAIT_S)
        return None

    def failure_text(self, rank: int) -> str:
        report = self.report(rank)
        detail = report.error if report is not None and report.error else _tail(self.log(rank))
        return f"rank {rank} exited with status {self.processes[rank].returncode}:\n{detail}"

    def hang_text(self, timeout_s: float) -> str:
        lines = "\n".join(f"rank {rank} was at:\n{_innermost_frames(self.log(rank))}" for rank in self.stuck)
        return f"killed after {timeout_s:g} s with ranks {self.stuck} still running:\n{lines}"


def _step_losses(reports: list[WorkerReport], steps: int) -> list[float]:
    """Per step, the mean over the data-parallel ranks of the last stage (TP rank 0 of each)."""
    last = [report for report in reports if report.losses and report.tp_rank == 0]
    if not last or any(len(report.losses) != steps for report in last):
        return []
    return [sum(report.losses[step] for report in last) / len(last) for step in range(steps)]


def judge_losses(losses: list[float], reference: list[float]) -> tuple[str, str]:
    """``(reason, problem)`` for a run's per-step losses against the single-process ones; empty when they pass."""
    if len(losses) < 2 or not losses[-1] < losses[0]:
        return "dry_run.loss_not_decreasing", f"the loss did not decrease over the steps: {losses}"
    if len(reference) != len(losses) or not all(
        math.isclose(a, b, rel_tol=REFERENCE_RTOL) for a, b in zip(losses, reference, strict=True)
    ):
        return (
            "dry_run.loss_mismatch",
            f"the losses {losses} differ from a single-process run of the same model and batch {reference}"
            f" by more than a relative {REFERENCE_RTOL:g}: the layout computes something else",
        )
    return "", ""


def dry_run(
    layout: TrainLayout,
    steps: int = 4,
    timeout_s: float = 300.0,
    max_world: int = 8,
    fault: InjectedFault | None = None,
) -> DryRunResult:
    """Train the scaled-down ``layout`` for ``steps`` steps on CPU processes and judge its losses.

    Passes when every rank finished, the loss of the last step is below that of the first, and each
    step's loss matches a single-process run of the same tiny model on the same batch.

    Args:
        layout: the real training layout; :func:`scale_down` picks the processes that run.
        steps: optimizer steps (at least 2, to see a decrease).
        timeout_s: wall-clock limit of the whole run; every rank is killed when it passes.
        max_world: the most processes to start.
        fault: make one rank raise or hang (checks of the failure paths).

    Raises:
        ValueError: ``steps`` is below 2.
    """
    if steps < 2:
        raise ValueError(f"steps must be at least 2 to see the loss decrease, got {steps}")
    scaled = scale_down(layout, max_world)
    spec = WorkerSpec(
        layout=scaled,
        steps=steps,
        seed=SEED,
        learning_rate=LEARNING_RATE,
        collective_timeout_s=timeout_s,
        fault=fault,
    )
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="paraforge-dryrun-") as work, _Ranks(spec, Path(work)) as ranks:
        failed = ranks.wait(start + timeout_s)
        outcome = {"losses": [], "reference_losses": [], "passed": False}
        if failed is not None:
            outcome |= {"reason": "dry_run.rank_failed", "failed_rank": failed, "problem": ranks.failure_text(failed)}
        elif ranks.stuck:
            outcome |= {"reason": "dry_run.timeout", "problem": ranks.hang_text(timeout_s)}
        else:
            outcome = _judged_outcome([ranks.report(rank) for rank in range(scaled.world_size)], steps)
    return DryRunResult(layout=scaled, world_size=scaled.world_size, seconds=time.monotonic() - start, **outcome)


def _judged_outcome(reports: list[WorkerReport | None], steps: int) -> dict:
    present = [report for report in reports if report is not None]
    losses = _step_losses(present, steps)
    reference = next((report.reference_losses for report in present if report.rank == 0), [])
    reason, problem = judge_losses(losses, reference)
    return {
        "losses": losses,
        "reference_losses": reference,
        "passed": not reason,
        "reason": reason,
        "problem": problem,
    }
