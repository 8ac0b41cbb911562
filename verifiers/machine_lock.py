"""Keeping measurements alone on the machine: measuring runs are exclusive, everything else shares.

Candidates are verified concurrently (one per core), but a timing run must not share its cores
with another candidate's compile or test runs, or the speedups would measure the neighbour. Every
stage holds :data:`MACHINE` shared, and a job that measures holds it exclusively for just as long
as its command runs (``Job.while_running``): its stage's share steps aside meanwhile and is taken
back at once afterwards. So a measuring job's files go in and its results come out while other
candidates work, and no other measurement starts while its stage reads its figures.
Waiting writers go first, so timing is never starved by a stream of compiles. The lock spans one
process: separate ParaForge processes on one machine should not time at the same time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class SharedExclusiveLock:
    """A readers-writer lock that prefers writers, where a reader may become the writer for a while."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._sharers = 0
        self._writing = False
        self._writers_waiting = 0
        self._held = threading.local()
        """Per thread, how many times it holds the lock shared."""
        self.exclusive_s = 0.0
        """Seconds the lock has been held exclusively, in all."""

    def _shares(self) -> int:
        return getattr(self._held, "shares", 0)

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Hold the lock alongside other sharers (no exclusive holder, none waiting)."""
        with self._condition:
            self._condition.wait_for(lambda: not self._writing and not self._writers_waiting)
            self._sharers += 1
            self._held.shares = self._shares() + 1
        try:
            yield
        finally:
            with self._condition:
                self._sharers -= 1
                self._held.shares -= 1
                self._condition.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the lock alone; shares this thread holds step aside meanwhile and are taken back after."""
        own = self._shares()
        with self._condition:
            self._sharers -= own
            self._writers_waiting += 1
            self._condition.notify_all()
            self._condition.wait_for(lambda: not self._writing and not self._sharers)
            self._writers_waiting -= 1
            self._writing = True
        started = time.monotonic()
        try:
            yield
        finally:
            with self._condition:
                self.exclusive_s += time.monotonic() - started
                self._writing = False
                self._sharers += own
                self._condition.notify_all()


MACHINE = SharedExclusiveLock()
"""The lock every verification stage of this process takes."""
