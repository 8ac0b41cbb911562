"""Comparing a kernel's outputs with the expected ones, under the task's comparison rules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tasks.instance import POISON_BYTE
from tasks.model import CompareMode, Comparison, KernelTask


@dataclass(frozen=True)
class Mismatch:
    """One output that differs from the expected one."""

    output: str
    message: str

    def __str__(self) -> str:
        return f"{self.output}: {self.message}"


def compare_outputs(task: KernelTask, expected: dict[str, np.ndarray], actual: dict[str, np.ndarray]) -> list[Mismatch]:
    """Every output of ``task`` whose ``actual`` value differs from ``expected``."""
    mismatches = []
    for param in task.signature.results:
        want, got = expected[param.name], actual.get(param.name)
        if got is None:
            mismatches.append(Mismatch(param.name, "output missing"))
            continue
        message = compare_array(want, got, task.comparison(param.name))
        if message:
            mismatches.append(Mismatch(param.name, message))
    return mismatches


def compare_array(expected: np.ndarray, actual: np.ndarray, rule: Comparison) -> str | None:
    """Why ``actual`` differs from ``expected`` under ``rule``, or None if it does not.

    An element still holding the poison pattern is a mismatch whatever the tolerance (unless the expected
    element has the same bits): float poison is a tiny number that would otherwise pass as "close" to 0,
    and bool poison reads as true.
    """
    expected, actual = np.asarray(expected).reshape(-1), np.asarray(actual).reshape(-1)
    if expected.shape != actual.shape:
        return f"expected {expected.size} elements, got {actual.size}"
    if rule.mode is CompareMode.unordered:
        expected, actual = np.sort(expected), np.sort(actual)
    if expected.dtype.kind == "f" and rule.mode is not CompareMode.exact:
        with np.errstate(invalid="ignore", over="ignore"):
            bad = ~np.isclose(actual, expected, rtol=rule.rtol, atol=rule.atol, equal_nan=True)
    elif expected.dtype.kind == "f":
        bad = (actual != expected) & ~(np.isnan(actual) & np.isnan(expected))
    else:
        bad = actual != expected
    unwritten = _poison_mask(actual) & ~_poison_mask(expected)
    bad |= unwritten
    if not bad.any():
        return None
    where = np.flatnonzero(bad)
    first = int(where[0])
    detail = f"{len(where)} of {expected.size} elements differ; first at index {first}: "
    detail += f"expected {expected[first]!r}, got {actual[first]!r}"
    if rule.mode is CompareMode.unordered:
        detail += " (after sorting both)"
    if unwritten.any():
        detail += f"; {int(unwritten.sum())} of them were never written (still hold the poison pattern)"
    return detail


def _poison_mask(values: np.ndarray) -> np.ndarray:
    """Which elements of ``values`` have every byte equal to :data:`POISON_BYTE`."""
    if values.dtype.itemsize == 0 or not values.size:
        return np.zeros(values.shape, dtype=bool)
    raw = np.ascontiguousarray(values).view(np.uint8).reshape(values.size, values.dtype.itemsize)
    return np.all(raw == POISON_BYTE, axis=1)
