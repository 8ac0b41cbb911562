"""The executor registry: names, resources per target, the local pool, and a clear error without Ray."""

from __future__ import annotations

import sys

import pytest

from evals.executors import ExecutorUnavailable, Resources, open_executor, resources_for
from tasks.model import Target


def test_gpu_targets_ask_for_a_gpu_and_cpu_targets_do_not():
    assert resources_for([Target.cuda]) == Resources(num_cpus=1, num_gpus=1)
    assert resources_for([Target.cpp_openmp, Target.triton]).num_gpus == 1
    assert resources_for([Target.cpp_openmp]) == Resources(num_cpus=1, num_gpus=0)


def test_the_local_executor_runs_units_on_its_threads():
    executor = open_executor("local", workers=2)
    try:
        assert [executor.submit(pow, 2, n).result() for n in range(4)] == [1, 2, 4, 8]
        assert executor.describe() == "local (2 threads)"
    finally:
        executor.close()


def test_an_unknown_executor_is_named():
    with pytest.raises(ValueError, match="unknown executor 'slurm'"):
        open_executor("slurm", workers=1)


def test_ray_missing_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(ExecutorUnavailable, match=r"paraforge\[ray\]"):
        open_executor("ray", workers=1)
