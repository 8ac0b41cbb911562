"""Validating a task end to end: its reference builds, runs, agrees with its oracle, and is timed; and every job
a verification of it runs fits the sandbox (:mod:`verifiers.capacity`)."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sandbox import Sandbox
from tasks.compare import compare_outputs
from tasks.instance import Instance, InstanceError, make_instance
from tasks.model import KernelTask, size_text
from tasks.oracle import OracleError, run_oracle
from verifiers.build import build_kernel
from verifiers.capacity import Footprint, JobEstimate, SandboxLimits, estimate_jobs, instance_footprint, size_footprint
from verifiers.context import VerifyConfig
from verifiers.execute import run_instance
from verifiers.stages.anticheat import REPEAT_CYCLES

CHECK_SEED = 0
BENCH_REPEATS = 3


@dataclass
class SizeCheck:
    """The reference on one size."""

    size: dict[str, int]
    ok: bool
    message: str = ""
    median_s: float | None = None
    symbols: dict[str, int] = field(default_factory=dict)


@dataclass
class TaskCheck:
    """Everything a task check found."""

    task: KernelTask
    build_log: str = ""
    tests: list[SizeCheck] = field(default_factory=list)
    benches: list[SizeCheck] = field(default_factory=list)
    """The reference timed at the screen sizes, then at the bench sizes."""
    problems: list[str] = field(default_factory=list)
    jobs: list[JobEstimate] = field(default_factory=list)
    """The verification's jobs sized against the sandbox; any that does not fit is among the problems."""

    @property
    def ok(self) -> bool:
        return not self.problems and all(check.ok for check in self.tests + self.benches)


def check_reference(
    task: KernelTask,
    sandbox: Sandbox,
    *,
    bench: bool = True,
    config: VerifyConfig | None = None,
    limits: SandboxLimits | None = None,
    on_step: Callable[[str], None] = lambda _: None,
) -> TaskCheck:
    """Build the reference with the generated driver, run every test size against the oracle, time the screen and
    bench sizes, and size the jobs of a verification under ``config`` against ``limits`` (default: this machine
    and a job's default work dir)."""
    report = TaskCheck(task)
    footprints = _Footprints()
    on_step("build")
    build = build_kernel(task, task.reference.cpp, sandbox)
    if not build.ok:
        report.problems.append(f"reference does not build: {build.log[-3000:]}")
        return report
    report.build_log = build.log
    for size in task.sizes.test:
        on_step(f"test {size_text(size)}")
        report.tests.append(_check_size(task, build.binary, size, sandbox, footprints))
    if bench:
        for size in [*task.sizes.screen, *task.sizes.bench]:
            on_step(f"time {size_text(size)}")
            report.benches.append(_time_size(task, build.binary, size, sandbox, footprints))
    on_step("size the verification's jobs")
    try:
        report.jobs = estimate_jobs(
            task,
            config or VerifyConfig(),
            limits or SandboxLimits.here(),
            probe_cycles=REPEAT_CYCLES,
            footprint=footprints.of,
        )
    except InstanceError as exc:
        report.problems.append(f"cannot size the verification's jobs: {exc}")
    report.problems += [problem for job in report.jobs for problem in job.problems()]
    return report


class _Footprints:
    """The footprints of the instances the check generated, so that sizing the jobs generates none of them again."""

    def __init__(self) -> None:
        self._seen: dict[tuple[tuple[str, int], ...], Footprint] = {}

    def make(self, task: KernelTask, size: dict[str, int]) -> Instance:
        """The check's instance of ``task`` at ``size``, its footprint kept.

        Raises:
            InstanceError: The inputs could not be generated.
        """
        instance = make_instance(task, size, CHECK_SEED)
        self._seen[tuple(sorted(size.items()))] = instance_footprint(instance)
        return instance

    def of(self, task: KernelTask, size: Mapping[str, int]) -> Footprint:
        """The footprint at ``size``: a generated instance's when the check made one."""
        key = tuple(sorted(size.items()))
        return self._seen[key] if key in self._seen else size_footprint(task, size)


def _check_size(
    task: KernelTask, binary: bytes, size: dict[str, int], sandbox: Sandbox, footprints: _Footprints
) -> SizeCheck:
    try:
        instance = footprints.make(task, size)
    except InstanceError as exc:
        return SizeCheck(size, False, f"input generation failed: {exc}")
    execution = run_instance(sandbox, binary, instance, wall_s=task.limits.test_s, threads=1)
    if not execution.ok:
        return SizeCheck(size, False, f"reference run failed: {execution.describe_failure()}", symbols=instance.symbols)
    if task.reference.numpy is None:
        return SizeCheck(size, True, "no oracle; ran cleanly", symbols=instance.symbols)
    try:
        expected = run_oracle(instance)
    except OracleError as exc:
        return SizeCheck(size, False, str(exc), symbols=instance.symbols)
    mismatches = compare_outputs(task, expected, execution.outputs)
    if mismatches:
        text = "; ".join(map(str, mismatches))
        return SizeCheck(size, False, f"reference disagrees with the oracle: {text}", symbols=instance.symbols)
    return SizeCheck(size, True, "matches the oracle", symbols=instance.symbols)


def _time_size(
    task: KernelTask, binary: bytes, size: dict[str, int], sandbox: Sandbox, footprints: _Footprints
) -> SizeCheck:
    try:
        instance = footprints.make(task, size)
    except InstanceError as exc:
        return SizeCheck(size, False, f"input generation failed: {exc}")
    execution = run_instance(
        sandbox, binary, instance, warmup=1, repeats=BENCH_REPEATS, wall_s=task.limits.bench_s, threads=1
    )
    if not execution.ok:
        return SizeCheck(size, False, f"reference run failed: {execution.describe_failure()}", symbols=instance.symbols)
    median = statistics.median(execution.times_ns) / 1e9
    return SizeCheck(size, True, "", median_s=median, symbols=instance.symbols)
