"""An in-memory cache of build products (driver objects, kernel libraries, precompiled headers),
shared by the threads of one process: least recently used dropped first, each key built once."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")

_FAILED = object()
"""Stored for a key whose build failed, when failures are remembered."""


class BuildCache(Generic[V]):
    """Thread-safe least-recently-used cache of ``size`` entries."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[str, object] = OrderedDict()
        self._building: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> V | None:
        """The product stored under ``key`` (None if absent, or if its build failed)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
        return None if entry is _FAILED else entry  # type: ignore[return-value]

    def put(self, key: str, value: V) -> None:
        """Store ``value`` under ``key``, dropping the least recently used entries past the size."""
        self._store(key, value)

    def get_or_build(self, key: str, build: Callable[[], V | None], *, remember_failures: bool) -> V | None:
        """The product of ``key``, made by ``build()`` (None: failed) once even when several threads ask at once.

        With ``remember_failures``, a failed build is not tried again while its entry lasts; without,
        the next request builds again.
        """
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    entry = self._entries[key]
                    return None if entry is _FAILED else entry  # type: ignore[return-value]
            value = build()
            if value is not None or remember_failures:
                self._store(key, _FAILED if value is None else value)
            with self._lock:
                self._building.pop(key, None)
            return value

    def _store(self, key: str, entry: object) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
