"""Counters of a running evaluation, updated from many threads and read by the live display."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from evals.records import CandidateResult, TaskResult, TaskStatus


@dataclass
class EvalProgress:
    """What a run has done so far."""

    total: int = 0
    """Tasks in the suite."""
    reused_tasks: int = 0
    """Tasks finished by an earlier invocation of the same run."""
    done: int = 0
    solved: int = 0
    failed: int = 0
    """Tasks that ended in error."""
    skipped: int = 0
    running: list[str] = field(default_factory=list)
    verified: int = 0
    """Candidates judged by this invocation."""
    reused: int = 0
    """Candidates judged by an earlier invocation, not judged again."""
    cost: float = 0.0
    started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def task_started(self, name: str) -> None:
        with self._lock:
            self.running.append(name)

    def task_finished(self, result: TaskResult, *, reused: bool = False) -> None:
        with self._lock:
            if result.task in self.running:
                self.running.remove(result.task)
            self.done += 1
            self.reused_tasks += reused
            self.solved += result.status is TaskStatus.solved
            self.failed += result.status is TaskStatus.error
            self.skipped += result.status is TaskStatus.skipped

    def candidate_judged(self, result: CandidateResult, *, reused: bool = False) -> None:
        with self._lock:
            if reused:
                self.reused += 1
            else:
                self.verified += 1

    def spent(self, cost: float) -> None:
        """Model cost spent by this invocation (a proposal as soon as it is answered, a solve when it ends)."""
        with self._lock:
            self.cost += cost

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started
