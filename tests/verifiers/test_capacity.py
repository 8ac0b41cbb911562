"""Sizing a verification's jobs against the sandbox, and ``agent tasks check`` refusing a task that does not fit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from agents.cli import app
from tasks import KernelTask, load_task, parse_task
from tasks.instance import make_instance
from tasks.loader import SUITE_DIR
from tasks.timing_harness import SAMPLE_LIMIT
from verifiers.capacity import (
    GiB,
    MiB,
    SandboxLimits,
    estimate_jobs,
    instance_footprint,
    size_footprint,
    size_text,
    timing_job,
)
from verifiers.context import VerifyConfig
from verifiers.stages.anticheat import REPEAT_CYCLES

ROOMY = SandboxLimits(workdir=1 * GiB, memory=64 * GiB)
"""A 1 GiB work dir (a job's default) on a machine with memory to spare."""
BENCH_N = 200_000_000
"""1.5 GiB of float64 inputs: the reference check's own job sizes its work dir for them, the timing job's does not."""


def oversized_data() -> dict:
    """reduce-sum as data, its bench size raised to :data:`BENCH_N` (the test sizes unchanged)."""
    data = yaml.safe_load((SUITE_DIR / "reduce-sum.yaml").read_text())
    data["name"] = "reduce-sum-oversized"
    data["sizes"]["bench"] = [{"n": BENCH_N}]
    return data


def oversized() -> KernelTask:
    task = parse_task(yaml.safe_dump(oversized_data()))
    assert isinstance(task, KernelTask)
    return task


def jobs(task: KernelTask, limits: SandboxLimits = ROOMY, config: VerifyConfig | None = None) -> dict:
    estimates = estimate_jobs(task, config or VerifyConfig(), limits, probe_cycles=REPEAT_CYCLES)
    return {estimate.job: estimate for estimate in estimates}


def test_a_bench_size_too_large_for_the_timing_job_is_refused_with_the_numbers():
    found = jobs(oversized())
    assert list(found) == ["correctness", "race", "memory", "timing", "probe-untimed", "probe", "fresh-call"]
    refused = sorted(job for job, estimate in found.items() if not estimate.fits)
    assert refused == ["fresh-call", "timing"], "the test-size jobs fit; the bench-size ones do not"
    timing = found["timing"]
    assert timing.memory.fits and not timing.disk.fits
    inputs = BENCH_N * 8
    assert timing.disk.total == inputs + 8 + 8 + 3 * 8 + 8 * MiB  # x, n and out; three sampled outs; programs
    [problem] = timing.problems()
    assert problem.startswith(f"timing job needs {size_text(timing.disk.total)} (input files 1.49 GiB, ")
    assert "in the work dir, the sandbox's work dir holds 1 GiB; lower sizes.bench[0]" in problem


def test_the_suite_task_itself_fits():
    assert all(estimate.fits for estimate in jobs(load_task(SUITE_DIR / "reduce-sum.yaml")).values())


def test_memory_is_sized_against_the_machine_when_the_jobs_limit_is_larger():
    task = oversized()
    small_machine = SandboxLimits(workdir=8 * GiB, memory=4 * GiB)
    timing = jobs(task, small_machine)["timing"]
    assert timing.disk.fits and not timing.memory.fits
    assert timing.memory.holder == "the machine has" and timing.memory.limit == 4 * GiB
    [problem] = timing.problems()
    assert "3 copies of the inputs 4.47 GiB" in problem and "of memory, the machine has 4 GiB" in problem


def test_a_timing_size_setting_moves_the_timing_job_and_its_hint():
    config = VerifyConfig.model_validate({"timing": {"size": {"n": 1000}}})
    found = jobs(oversized(), config=config)
    assert found["timing"].fits and found["fresh-call"].fits
    config = VerifyConfig.model_validate({"timing": {"size": {"n": BENCH_N}}})
    assert jobs(load_task(SUITE_DIR / "reduce-sum.yaml"), config=config)["timing"].hint == "lower timing.size"


def test_timing_keeps_a_copy_of_every_array_per_kernel_and_samples_long_results():
    task = load_task(SUITE_DIR / "prefix-hash.yaml")
    footprint = size_footprint(task, {"n": 1_000_000})
    assert (footprint.inputs, footprint.results) == (1_000_000 + 8, 8_000_000)
    assert footprint.sampled == SAMPLE_LIMIT * 8
    two = timing_job(footprint, 2, ROOMY)
    assert dict(two.memory.parts)["2 copies of the inputs"] == 2 * footprint.inputs
    assert dict(two.memory.parts)["3 copies of the results"] == 3 * footprint.results
    assert dict(two.disk.parts)["2 kernels' sampled results"] == 2 * SAMPLE_LIMIT * 8


def test_the_probe_jobs_carry_every_plan_instance_and_saved_result():
    task = load_task(SUITE_DIR / "reduce-sum.yaml")
    found = jobs(task)
    files = size_footprint(task, task.sizes.test[-1]).files
    # A, A2, B, C, D, R and one near-duplicate P_j per cycle; the untimed job only the saved ones and the check plan's
    assert dict(found["probe"].disk.parts)[f"{6 + REPEAT_CYCLES} instances' files"] == (6 + REPEAT_CYCLES) * files
    assert "8 instances' files" in dict(found["probe-untimed"].disk.parts)


@pytest.mark.parametrize("name", ["spmv", "bfs", "gemm"])
def test_footprints_from_shapes_or_generated_inputs_match_the_instance(name: str):
    task = load_task(SUITE_DIR / f"{name}.yaml")
    for size in task.sizes.test[-3:]:
        assert size_footprint(task, size) == instance_footprint(make_instance(task, size, 0))


def test_agent_tasks_check_refuses_an_oversized_task(tmp_path: Path, clang: str):
    path = tmp_path / "oversized.yaml"
    path.write_text(yaml.safe_dump(oversized_data()))
    result = CliRunner().invoke(app, ["tasks", "check", str(path), "--no-bench", "--backend", "local"])
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.output and "tests 5/5" in result.output
    assert (
        "timing job needs 1.5 GiB (input files 1.49 GiB, programs 8 MiB) in the work dir, "
        "the sandbox's work dir holds 1 GiB; lower sizes.bench[0]"
    ) in result.output
    result = CliRunner().invoke(app, ["tasks", "check", str(path), "--no-bench", "--backend", "local", "--json"])
    [report] = json.loads(result.output)
    timing = next(job for job in report["jobs"] if job["job"] == "timing")
    assert not timing["fits"] and timing["disk_bytes"] > timing["workdir_bytes"] == GiB


def test_size_text():
    assert [size_text(n) for n in (5, 3500, 412 * MiB, 1020 * MiB, GiB, int(1.93 * GiB))] == [
        "5 B",
        "3.42 KiB",
        "412 MiB",
        "1020 MiB",
        "1 GiB",
        "1.93 GiB",
    ]
