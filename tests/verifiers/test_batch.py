"""Batched driver runs through the local sandbox: exit codes, timeouts, stopping early, inputs read back."""

from __future__ import annotations

import numpy as np
import pytest

from tasks import resolve_task
from tasks.instance import make_instance
from verifiers.batch import Run, RunStatus, run_batch, signal_name
from verifiers.build import build_kernel

TASK = resolve_task("reduce-sum")

MISBEHAVING = """
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <omp.h>

void reduce_sum(const double* x, int64_t n, double* out) {
    if (n == 7 && omp_get_max_threads() == 3) for (volatile int spin = 0;; spin = spin + 1) {}
    if (n == 7 && omp_get_max_threads() == 5) std::abort();
    double total = 0.0;
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    const_cast<double*>(x)[0] = n > 0 ? -1.0 : 0.0;
    out[0] = total;
}
"""


@pytest.fixture(scope="module")
def binary(local_sandbox, clang) -> bytes:
    build = build_kernel(TASK, MISBEHAVING, local_sandbox)
    assert build.binary is not None, build.log
    return build.binary


def test_runs_give_outputs_and_the_inputs_they_changed(local_sandbox, binary: bytes) -> None:
    instances = {
        key: make_instance(TASK, {"n": n}, seed) for key, n, seed in (("a", 7, 0), ("b", 1009, 1), ("c", 0, 0))
    }
    runs = [Run("a1", "kernel", "a", 1), Run("b2", "kernel", "b", 2), Run("c1", "kernel", "c", 1)]
    batch = run_batch(local_sandbox, {"kernel": binary}, instances, runs, run_s=10)
    assert [o.status for o in batch.outcomes] == [RunStatus.ok] * 3
    assert batch.outcomes[2].inputs_after == {}, "an input left alone does not come back"
    for outcome, key in zip(batch.outcomes, ("a", "b"), strict=False):
        x = instances[key].args["x"]
        expected = np.sum(np.sqrt(np.abs(x)) * np.sin(x))
        assert outcome.outputs["out"][0] == pytest.approx(expected)
        assert outcome.inputs_after["x"][0] == -1.0
        assert np.array_equal(outcome.inputs_after["x"][1:], x[1:])


def test_a_timeout_stops_the_batch(local_sandbox, binary: bytes) -> None:
    instances = {"a": make_instance(TASK, {"n": 7}, 0)}
    runs = [Run("r1", "kernel", "a", 1), Run("r3", "kernel", "a", 3), Run("r4", "kernel", "a", 4)]
    batch = run_batch(local_sandbox, {"kernel": binary}, instances, runs, run_s=1)
    assert [o.status for o in batch.outcomes] == [RunStatus.ok, RunStatus.timeout, RunStatus.not_run]
    assert batch.job.wall_s < 8


def test_a_crash_is_reported_with_its_signal(local_sandbox, binary: bytes) -> None:
    instances = {"a": make_instance(TASK, {"n": 7}, 0)}
    batch = run_batch(local_sandbox, {"kernel": binary}, instances, [Run("r5", "kernel", "a", 5)], run_s=10)
    (outcome,) = batch.outcomes
    assert outcome.status is RunStatus.crashed
    assert outcome.signal == 6
    assert outcome.describe() == "crashed with SIGABRT (aborted)"


def test_signal_names() -> None:
    assert signal_name(11) == "SIGSEGV (segmentation fault)"
    assert signal_name(99) == "signal 99"
