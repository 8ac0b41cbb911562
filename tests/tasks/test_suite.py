"""The built-in suite as data: every file loads, and each is found by its name."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks import SUITE_DIR, load_task, resolve_task, suite_tasks
from tasks.harness import driver_source, signature_header
from tasks.instance import make_instance

SUITE_FILES = sorted(SUITE_DIR.glob("*.yaml"))


def test_the_suite_is_not_empty() -> None:
    assert SUITE_FILES
    assert [task.name for task in suite_tasks()] == sorted(task.name for task in suite_tasks())


@pytest.mark.parametrize("path", SUITE_FILES, ids=lambda p: p.stem)
def test_suite_file_is_named_after_its_task(path: Path) -> None:
    """``resolve_task(name)`` looks for ``suite/NAME.yaml``."""
    task = load_task(path)
    assert task.name == path.stem
    assert resolve_task(task.name) == task


@pytest.mark.parametrize("path", SUITE_FILES, ids=lambda p: p.stem)
def test_suite_task_generates_its_smallest_test_instances_and_driver(path: Path) -> None:
    task = load_task(path)
    for size in task.sizes.test[:2]:
        instance = make_instance(task, size, seed=0)
        assert set(instance.output_lengths) == {p.name for p in task.signature.results}
    assert task.signature.function in signature_header(task.signature)
    assert "int main" in driver_source(task.signature)


def test_resolve_task_by_path_and_by_name(tmp_path: Path) -> None:
    copy = tmp_path / "copy.yml"
    copy.write_text((SUITE_DIR / "reduce-sum.yaml").read_text())
    assert resolve_task(copy) == resolve_task("reduce-sum")


@pytest.mark.parametrize("path", SUITE_FILES, ids=lambda p: p.stem)
def test_suite_task_screens_candidates_at_a_smaller_size(path: Path) -> None:
    task = load_task(path)
    screen, bench = task.sizes.timed(screen=True), task.sizes.timed(screen=False)
    assert screen == task.sizes.screen[0] and bench == task.sizes.bench[0]
    assert all(screen[symbol] <= bench[symbol] for symbol in bench) and screen != bench


def test_a_task_without_a_screen_size_is_timed_at_its_bench_size() -> None:
    sizes = resolve_task("reduce-sum").sizes.model_copy(update={"screen": []})
    assert sizes.timed(screen=True) == sizes.timed(screen=False) == sizes.bench[0]
