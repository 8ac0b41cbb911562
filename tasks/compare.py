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
    """Why ``actual`` differs from ``expected`` under ``rule``, or None if it does not."""
    expected, actual = np.asarray(expected).reshape(-1), np.asarray(actual).reshape(-1)
    if expected.shape != actual.shape:
        return f"expected {expected.size} elements, got {actual.size}"
    if rule.mode is CompareMode.unordered:
        expected, actual = np.sort(expected), np.sort(actual)
    if expected.dtype.kind == "f" and rule.mode is not CompareMode.exact:
        with np.errstate(invalid="ignore", over="ignore"):
            bad = ~np.isclose(actual, expected, rtol=rule.rtol, atol=rule.atol, equal_nan=True)
    else:
        bad = actual != expected
    if not bad.any():
        return None
    where = np.flatnonzero(bad)
    first = int(where[0])
    unwritten = _poisoned(actual, where)
    detail = f"{len(where)} of {expected.size} elements differ; first at index {first}: "
    detail += f"expected {expected[first]!r}, got {actual[first]!r}"
    if rule.mode is CompareMode.unordered:
        detail += " (after sorting both)"
    elif unwritten:
        detail += f"; {unwritten} of them were never written (still hold the poison pattern)"
    return detail


def _poisoned(actual: np.ndarray, where: np.ndarray) -> int:
    if actual.dtype.itemsize == 0 or not len(where):
        return 0
    raw = actual[where].view(np.uint8).reshape(len(where), actual.dtype.itemsize)
    return int(np.all(raw == POISON_BYTE, axis=1).sum())
