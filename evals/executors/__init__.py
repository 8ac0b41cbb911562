"""Executors: where an evaluation's units of work (one verification, one solve) run.

``local`` is a thread pool in this process (the default); ``ray`` sends each unit to a Ray cluster
as one task with its resources declared. A backend is found by name, its SDK imported only when chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from tasks.model import Target

_Result = TypeVar("_Result")

GPU_TARGETS = frozenset({Target.cuda, Target.triton})


@dataclass(frozen=True)
class Resources:
    """What one unit of work needs from the node it runs on."""

    num_cpus: float = 1.0
    num_gpus: float = 0.0
    """1 for units that run GPU targets."""


def resources_for(targets: Iterable[Target]) -> Resources:
    """What a unit working on ``targets`` needs: one CPU, and one GPU when a target runs on a GPU."""
    return Resources(num_gpus=1.0 if GPU_TARGETS.intersection(targets) else 0.0)


class Executor(Protocol):
    """Runs units of work and hands back futures."""

    name: str

    def submit(self, fn: Callable[..., _Result], *args: Any, resources: Resources | None = None) -> Future[_Result]:
        """Start ``fn(*args)`` (needing ``resources``, one CPU by default); ``fn`` and its arguments must be
        picklable for remote executors."""
        ...

    def describe(self) -> str:
        """Where the work runs, in words (for the run's metadata)."""
        ...

    def close(self) -> None:
        """Stop accepting work and release what the executor holds (running units are waited for)."""
        ...


class ExecutorUnavailable(RuntimeError):
    """The chosen executor cannot run here; the message says what to install or fix."""


def open_executor(name: str, *, workers: int, address: str | None = None) -> Executor:
    """The executor called ``name``: ``local`` (``workers`` threads) or ``ray`` (cluster at ``address``).

    Raises:
        ExecutorUnavailable: the executor's SDK is missing or its cluster does not answer.
        ValueError: no executor has that name.
    """
    if name == "local":
        from evals.executors.local import LocalExecutor

        return LocalExecutor(workers)
    if name == "ray":
        from evals.executors.ray_executor import RayExecutor

        return RayExecutor(address)
    raise ValueError(f"unknown executor {name!r} (known: local, ray)")
