"""Keeping measurements alone on the machine: measuring runs are exclusive, everything else shares.

Candidates are verified concurrently (one per core, plus one), but a timing run must not share its cores
with another candidate's compile or test runs, or the speedups would measure the neighbour. Every
stage holds :data:`MACHINE` shared, and a job that measures holds it exclusively for just as long
as its command runs (``Job.while_running``): its stage's share steps aside meanwhile and is taken
back at once afterwards. So a measuring job's files go in and its results come out while other
candidates work, and no other measurement starts while its stage reads its figures.
Waiting writers go first, so timing is never starved by a stream of compiles. The lock spans one
process, unless :meth:`SharedExclusiveLock.span_node` extends it to every process of the node that
does the same (Ray workers do): then a file lock (:class:`NodeLock`) is held shared while any stage of
this process runs and exclusively while it measures.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NODE_LOCK_PATH = Path(tempfile.gettempdir()) / "paraforge-machine.lock"
"""The file every process of a node locks, by default."""


class NodeLock:
    """A shared/exclusive lock over the processes of one node (``flock``), writers first.

    A writer holds a turnstile file while it waits, and a new sharer passes the turnstile before it
    takes its share, so a stream of sharers cannot starve a waiting writer.
    """

    def __init__(self, path: Path = NODE_LOCK_PATH) -> None:
        self.path = path
        self._main: int | None = None
        self._mode = 0

    def acquire(self, exclusive: bool) -> None:
        """Take the lock (this process holds it at most once at a time)."""
        assert self._main is None, "the node lock is already held by this process"
        turnstile = self._open(".turnstile")
        try:
            fcntl.flock(turnstile, fcntl.LOCK_EX)
            main = self._open("")
            fcntl.flock(main, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        finally:
            os.close(turnstile)  # closing releases the turnstile
        self._main = main

    def release(self) -> None:
        """Let the lock go."""
        assert self._main is not None, "the node lock is not held by this process"
        os.close(self._main)
        self._main = None

    @property
    def held(self) -> bool:
        return self._main is not None

    def _open(self, suffix: str) -> int:
        return os.open(f"{self.path}{suffix}", os.O_RDWR | os.O_CREAT, 0o666)


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
        self._node: NodeLock | None = None

    def span_node(self, path: Path = NODE_LOCK_PATH) -> None:
        """From now on, also exclude measurements of the node's other processes that span it (idempotent)."""
        with self._condition:
            self._condition.wait_for(lambda: not self._writing and not self._sharers)
            if self._node is None:
                self._node = NodeLock(path)

    def _shares(self) -> int:
        return getattr(self._held, "shares", 0)

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Hold the lock alongside other sharers (no exclusive holder, none waiting)."""
        with self._condition:
            self._condition.wait_for(lambda: not self._writing and not self._writers_waiting)
            if self._node is not None and not self._sharers:
                self._node.acquire(exclusive=False)
            self._sharers += 1
            self._held.shares = self._shares() + 1
        try:
            yield
        finally:
            with self._condition:
                self._sharers -= 1
                self._held.shares -= 1
                if self._node is not None and not self._sharers and self._node.held:
                    self._node.release()
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
            node = self._node
            if node is not None and node.held:  # this thread's own shares were the last ones
                node.release()
        if node is not None:
            node.acquire(exclusive=True)
        started = time.monotonic()
        try:
            yield
        finally:
            with self._condition:
                self.exclusive_s += time.monotonic() - started
                if node is not None:
                    node.release()
                    if own:
                        node.acquire(exclusive=False)
                self._writing = False
                self._sharers += own
                self._condition.notify_all()


MACHINE = SharedExclusiveLock()
"""The lock every verification stage of this process takes."""
