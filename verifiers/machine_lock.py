"""Keeping measurements alone on the machine: timing is exclusive, everything else shares.

Candidates are verified concurrently (one per core), but a timing run must not share its cores
with another candidate's compile or test runs, or the speedups would measure the neighbour. Stages
that measure take the lock exclusively and every other stage takes it shared. Waiting writers go
first, so timing is never starved by a stream of compiles. The lock spans one process: separate
ParaForge processes on one machine should not time at the same time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class SharedExclusiveLock:
    """A readers-writer lock that prefers writers."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._sharers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Hold the lock alongside other sharers (no exclusive holder, none waiting)."""
        with self._condition:
            self._condition.wait_for(lambda: not self._writing and not self._writers_waiting)
            self._sharers += 1
        try:
            yield
        finally:
            with self._condition:
                self._sharers -= 1
                self._condition.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the lock alone."""
        with self._condition:
            self._writers_waiting += 1
            self._condition.wait_for(lambda: not self._writing and not self._sharers)
            self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._condition:
                self._writing = False
                self._condition.notify_all()


MACHINE = SharedExclusiveLock()
"""The lock every verification stage of this process takes."""
