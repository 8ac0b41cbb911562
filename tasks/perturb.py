"""Near-duplicate problem instances: the same sizes, almost the same contents.

Only arrays drawn freely (``uniform``, ``normal``, ``points``) are changed, at interior positions,
with values drawn by the same generator; arrays with structure (sorted, permutations, graphs) are
kept, since changing one element could break what the task promises about them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from tasks.generators import Normal, Points, Uniform
from tasks.instance import Instance, make_instance


def perturbed(instance: Instance, rng: np.random.Generator, changes: Callable[[int], int]) -> Instance | None:
    """``instance`` with ``changes(length)`` interior elements of each freely drawn array redrawn.

    First and last elements and all sizes stay. None when no array of the instance can be changed.
    """
    task = instance.task
    args = dict(instance.args)
    for gen in task.inputs:
        if not isinstance(gen, Uniform | Normal | Points) or gen.kind == "sorted":
            continue
        values = args.get(gen.param)
        if not isinstance(values, np.ndarray) or len(values) < 3:
            continue
        count = max(1, min(changes(len(values)), len(values) - 2))
        where = rng.choice(np.arange(1, len(values) - 1), size=count, replace=False)
        fresh = np.asarray(gen.draw(rng, task.signature.param(gen.param).dtype, len(values)))
        changed = values.copy()
        changed[where] = fresh[where]
        if not np.array_equal(changed, values):
            args[gen.param] = changed
    if all(args[name] is instance.args[name] for name in args):
        return None
    return replace(instance, args=args, seed=-1)


def near_duplicate(instance: Instance, rng: np.random.Generator, fraction: float = 0.01) -> Instance:
    """``instance`` with about ``fraction`` of its freely drawn elements redrawn (at least one per array);
    a fresh instance of the same size where nothing can be changed."""
    twin = perturbed(instance, rng, lambda length: int(fraction * (length - 2)))
    return twin if twin is not None else make_instance(instance.task, instance.size, secrets.randbits(62))


def differences(first: Instance, second: Instance) -> dict[str, np.ndarray]:
    """Per array argument that differs, the positions where ``second`` differs from ``first``."""
    found = {}
    for name, value in first.args.items():
        other = second.args[name]
        if isinstance(value, np.ndarray) and value is not other:
            positions = np.flatnonzero(value != other)
            if len(positions):
                found[name] = positions
    return found
