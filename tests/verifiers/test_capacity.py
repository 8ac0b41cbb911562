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
"""1.5 GiB of float64 inputs: more than a job's default work dir, which the jobs carrying them ask for."""


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


def test_the_bench_jobs_ask_for_a_work_dir_their_inputs_fit_in():
    found = jobs(oversized())
    assert list(found) == ["correctness", "race", "memory", "timing", "probe-untimed", "probe", "fresh-call"]
    timing = found["timing"]
    inputs = BENCH_N * 8
    assert timing.disk.total == inputs + 8 + 8 + 3 * 8 + 8 * MiB  # x, n and out; three sampled outs; programs
    assert timing.disk.limit >= 3 * inputs and timing.fits
    assert all(estimate.fits for estimate in found.values())


def oversized_hashes() -> dict:
    """prefix-hash as data, its bench size raised to 200 MB of bytes in, 1.6 GB of 64-bit hashes out."""
    data = yaml.safe_load((SUITE_DIR / "prefix-hash.yaml").read_text())
    data["name"] = "prefix-hash-oversized"
    data["sizes"]["bench"] = [{"n": 200_000_000}]
    return data


def test_results_larger_than_a_jobs_memory_limit_are_refused_with_the_numbers():
    found = jobs(parse_task(yaml.safe_dump(oversized_hashes())))
    refused = sorted(job for job, estimate in found.items() if not estimate.fits)
    assert refused == ["timing"], "every kernel of the timing job keeps its own results in memory"
    timing = found["timing"]
    assert timing.disk.fits and not timing.memory.fits
    [problem] = timing.problems()
    assert "4 copies of the results 5.96 GiB" in problem and "of memory, its memory limit is" in problem
    assert problem.endswith("lower sizes.bench[0]")


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
    path.write_text(yaml.safe_dump(oversized_hashes()))
    result = CliRunner().invoke(app, ["tasks", "check", str(path), "--no-bench", "--backend", "local"])
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.output and "tests 8/8" in result.output
    assert "timing job needs 9.76 GiB (work dir 1.69 GiB, " in result.output
    assert "of memory, its memory limit is 9.38 GiB; lower sizes.bench[0]" in result.output
    result = CliRunner().invoke(app, ["tasks", "check", str(path), "--no-bench", "--backend", "local", "--json"])
    [report] = json.loads(result.output)
    timing = next(job for job in report["jobs"] if job["job"] == "timing")
    assert not timing["fits"]


def test_size_text():
    assert [size_text(n) for n in (5, 3500, 412 * MiB, 1020 * MiB, GiB, int(1.93 * GiB))] == [
        "5 B",
        "3.42 KiB",
        "412 MiB",
        "1020 MiB",
        "1 GiB",
        "1.93 GiB",
    ]
