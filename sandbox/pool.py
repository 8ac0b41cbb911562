"""A warm pool of sandbox containers reused across jobs, per container spec; safe to share between threads.

A container goes back to the pool only when its job ended normally and no process of the job user
survived it; anything else (a host-side kill, leftovers, a setup failure, an exception) removes it.
Every container the pool started is removed by :meth:`WarmPool.close`, or at interpreter exit.
"""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict

import docker

from sandbox.container import Box, ContainerSpec
from sandbox.docker_client import remove_container


class WarmPool:
    """Started containers kept between jobs; ``keep=0`` makes it start a cold container for every job."""

    def __init__(self, client: docker.DockerClient, keep: int) -> None:
        self._client = client
        self._keep = keep
        self._lock = threading.Lock()
        self._idle: dict[ContainerSpec, list[Box]] = defaultdict(list)
        self._live: set[str] = set()
        """Names of the containers started and not yet removed."""
        self._closed = False
        self._finalizer = weakref.finalize(self, _remove_all, client, self._live)

    @property
    def keeps(self) -> bool:
        """Whether containers are reused at all."""
        return self._keep > 0

    def names(self) -> frozenset[str]:
        """Names of the containers the pool started and has not removed, idle or busy."""
        with self._lock:
            return frozenset(self._live)

    def acquire(self, spec: ContainerSpec, *, fresh: bool = False) -> Box:
        """An idle container of ``spec`` (unless ``fresh``), else a newly started one."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the sandbox pool is closed")
            if not fresh and self._idle[spec]:
                return self._idle[spec].pop()
        name = Box.new_name()
        with self._lock:
            self._live.add(name)
        try:
            return Box.start(self._client, spec, name)
        except BaseException:
            self._remove(name)
            raise

    def release(self, box: Box, reusable: bool) -> None:
        """Give ``box`` back: kept idle when ``reusable`` and there is room, else removed."""
        with self._lock:
            if reusable and not self._closed and len(self._idle[box.spec]) < self._keep:
                box.reused = True
                self._idle[box.spec].append(box)
                return
        self._remove(box.name)

    def close(self) -> None:
        """Remove every container the pool started, idle or busy."""
        with self._lock:
            self._closed = True
            self._idle.clear()
        self._finalizer()

    def _remove(self, name: str) -> None:
        remove_container(self._client, name)
        with self._lock:
            self._live.discard(name)


def _remove_all(client: docker.DockerClient, names: set[str]) -> None:
    for name in list(names):
        remove_container(client, name)
        names.discard(name)
