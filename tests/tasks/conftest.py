"""Fixtures for the task-model tests: the reference task as data, task files on disk, small inline tasks."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tasks import SUITE_DIR, KernelTask, parse_task

REDUCE_SUM = SUITE_DIR / "reduce-sum.yaml"


@pytest.fixture(scope="session")
def _reduce_sum_data() -> dict[str, Any]:
    return yaml.safe_load(REDUCE_SUM.read_text())


@pytest.fixture
def reduce_sum(_reduce_sum_data: dict[str, Any]) -> dict[str, Any]:
    """A fresh, mutable copy of ``reduce-sum.yaml`` as plain data."""
    return copy.deepcopy(_reduce_sum_data)


@pytest.fixture
def write_task(tmp_path: Path) -> Callable[..., Path]:
    """``write_task(data_or_text, name="task.yaml")`` writes a task file under ``tmp_path`` and returns its path."""

    def write(content: Any, name: str = "task.yaml") -> Path:
        path = tmp_path / name
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        path.write_text(text)
        return path

    return write


def _inline_task(
    params: list[dict[str, Any]],
    inputs: list[dict[str, Any]] | None = None,
    *,
    cpp: str | None = None,
    numpy: str | None = None,
    function: str = "kernel",
    test: list[dict[str, int]] | None = None,
    compare: dict[str, Any] | None = None,
    name: str = "inline-task",
    work: str = "n",
) -> KernelTask:
    """A small valid task around ``params``. Inputs default to a uniform generator per input/inout."""
    test = test or [{"n": 0}, {"n": 1}, {"n": 7}]
    if inputs is None:
        inputs = [{"kind": "uniform", "param": p["name"]} for p in params if p["role"] in ("input", "inout")]
    data: dict[str, Any] = {
        "name": name,
        "family": "transform",
        "description": "A task written inline by a test.",
        "targets": ["cpp-openmp"],
        "signature": {"function": function, "params": params},
        "inputs": inputs,
        "sizes": {"test": test, "bench": [test[-1]]},
        "reference": {"cpp": cpp or f"// defines {function} elsewhere"},
        "work": {"bytes": work, "flops": work},
    }
    if numpy is not None:
        data["reference"]["numpy"] = numpy
    if compare is not None:
        data["compare"] = compare
    return parse_task(yaml.safe_dump(data, sort_keys=False))


@pytest.fixture(scope="session")
def inline_task() -> Callable[..., KernelTask]:
    """Build a small task from a parameter list; see :func:`_inline_task`."""
    return _inline_task
