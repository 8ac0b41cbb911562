"""Problem instances for the visible seeds, kept in memory: every candidate of a task is tested on them.

Generating a large instance (a sparse matrix, a graph) can take longer than running a kernel on
it, and the correctness, race and memory stages of every candidate ask for the same ones. Instances
for hidden seeds are never kept: they are drawn fresh for every verification.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from tasks.instance import Instance, make_instance
from tasks.model import KernelTask
from verifiers.cache import task_digest

MAX_KEPT = 24
"""Instances kept at most (least recently used ones are dropped first)."""

_KEPT: OrderedDict[tuple[str, tuple[tuple[str, int], ...], int], Instance] = OrderedDict()
_LOCK = threading.Lock()


def visible_instance(task: KernelTask, size: dict[str, int], seed: int) -> Instance:
    """``make_instance(task, size, seed)``, generated once per process for a given task, size and seed."""
    key = (task_digest(task), tuple(sorted(size.items())), seed)
    with _LOCK:
        if key in _KEPT:
            _KEPT.move_to_end(key)
            return _KEPT[key]
    instance = make_instance(task, size, seed)
    with _LOCK:
        _KEPT[key] = instance
        while len(_KEPT) > MAX_KEPT:
            _KEPT.popitem(last=False)
    return instance
