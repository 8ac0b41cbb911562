"""Units of work an executor runs: verify one candidate, time a winner at a thread count, solve one task.

Each unit is a top-level function of picklable arguments, so that it runs the same on a local thread
and as a Ray task on another node. A process opens one sandbox per backend and one verdict cache and
reuses them for every unit it runs.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from sandbox import Sandbox, open_sandbox
from tasks import KernelTask, Task, load_task
from verifiers import (
    MACHINE,
    Candidate,
    Timing,
    TimingStage,
    Verdict,
    VerdictCache,
    VerifierStage,
    VerifyConfig,
    evaluate,
)

_sandboxes: dict[str, Sandbox] = {}
_sandboxes_lock = threading.Lock()


class Unit(BaseModel):
    """What every unit needs to find its task and its sandbox."""

    model_config = ConfigDict(extra="forbid")

    task_path: str
    backend: str = "auto"
    node_lock: bool = False
    """Take the node-wide machine lock (several worker processes share a node: Ray)."""


class VerifyUnit(Unit):
    """Verify ``candidate``; logs go under ``logs_dir``."""

    candidate: Candidate
    verify: VerifyConfig
    logs_dir: str


class SolveUnit(Unit):
    """Solve the task with ``settings`` (a ``SolveConfig`` as data), resuming the run under ``runs_root``."""

    settings: dict[str, Any]
    runs_root: str


def shared_sandbox(backend: str) -> Sandbox:
    """This process's sandbox of ``backend`` (opened on first use)."""
    with _sandboxes_lock:
        if backend not in _sandboxes:
            _sandboxes[backend] = open_sandbox(backend)
        return _sandboxes[backend]


_verdict_caches: list[VerdictCache] = []


def close_shared() -> None:
    """Close every sandbox and the verdict cache this process opened for units (the next unit opens new ones)."""
    with _sandboxes_lock:
        for sandbox in _sandboxes.values():
            sandbox.close()
        _sandboxes.clear()
        for verdict_cache in _verdict_caches:
            verdict_cache.close()
        _verdict_caches.clear()


def _verdict_cache() -> VerdictCache:
    """This process's verdict cache (opened once: concurrent first opens would race on its schema)."""
    with _sandboxes_lock:
        if not _verdict_caches:
            _verdict_caches.append(VerdictCache())
        return _verdict_caches[0]


@cache
def _task(path: str) -> Task:
    return load_task(path)


def kernel_task(path: str) -> KernelTask:
    """The kernel task in the file at ``path`` (read once per process)."""
    task = _task(path)
    if not isinstance(task, KernelTask):
        raise TypeError(f"{path}: a {task.kind.value} task has no kernel candidates to verify")
    return task


def verify_unit(unit: VerifyUnit) -> Verdict:
    """The verdict of the unit's candidate (from the verdict cache when it was judged before)."""
    return _evaluate(unit)


def time_unit(unit: VerifyUnit) -> Timing | None:
    """The unit's candidate timed alone at ``unit.verify.timing_threads`` threads (None if it did not run)."""
    verdict = _evaluate(unit, stages=[TimingStage()])
    return verdict.timing if verdict.accepted else None


def _evaluate(unit: VerifyUnit, stages: list[VerifierStage] | None = None) -> Verdict:
    _prepare(unit)
    return evaluate(
        kernel_task(unit.task_path),
        unit.candidate,
        shared_sandbox(unit.backend),
        config=unit.verify,
        logs_dir=Path(unit.logs_dir),
        stages=stages,
        cache=_verdict_cache(),
    )


def solve_unit(unit: SolveUnit) -> dict[str, Any]:
    """Solve the unit's task; a run already started under ``runs_root`` is resumed. Returns its summary."""
    _prepare(unit)
    from agents.solve import solve
    from agents.solve_config import SolveConfig

    root = Path(unit.runs_root)
    previous = sorted(path.parent.name for path in root.glob("*/config.json")) if root.is_dir() else []
    if previous:
        return solve(None, root, resume=previous[-1])
    return solve(SolveConfig.model_validate(unit.settings), root)


def _prepare(unit: Unit) -> None:
    if unit.node_lock:
        MACHINE.span_node()
