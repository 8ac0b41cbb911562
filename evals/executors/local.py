"""The local executor: a thread pool in this process.

Verification is spent waiting on sandboxed compilers and programs, so threads are enough; and one
process means the verifiers' machine lock keeps every measuring run alone on the machine.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from evals.executors import Resources

_Result = TypeVar("_Result")


class LocalExecutor:
    """Units of work on ``workers`` threads."""

    name = "local"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="paraforge-eval")

    def submit(self, fn: Callable[..., _Result], *args: Any, resources: Resources | None = None) -> Future[_Result]:
        """Run ``fn(*args)`` on the pool (resources are not enforced locally)."""
        return self._pool.submit(fn, *args)

    def describe(self) -> str:
        return f"local ({self.workers} threads)"

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
