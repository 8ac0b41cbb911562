"""Validating a task end to end: its reference builds, runs, agrees with its oracle, and is timed."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox import Sandbox
from tasks.compare import compare_outputs
from tasks.instance import InstanceError, make_instance
from tasks.model import KernelTask, size_text
from tasks.oracle import OracleError, run_oracle
from verifiers.build import build_kernel
from verifiers.execute import run_instance

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

    @property
    def ok(self) -> bool:
        return not self.problems and all(check.ok for check in self.tests + self.benches)


def check_reference(
    task: KernelTask,
    sandbox: Sandbox,
    *,
    bench: bool = True,
    on_step: Callable[[str], None] = lambda _: None,
) -> TaskCheck:
    """Build the reference with the generated driver, run every test size against the oracle, time the screen and
    bench sizes."""
    report = TaskCheck(task)
    on_step("build")
    build = build_kernel(task, task.reference.cpp, sandbox)
    if not build.ok:
        report.problems.append(f"reference does not build: {build.log[-3000:]}")
        return report
    report.build_log = build.log
    for size in task.sizes.test:
        on_step(f"test {size_text(size)}")
        report.tests.append(_check_size(task, build.binary, size, sandbox))
    if bench:
        for size in [*task.sizes.screen, *task.sizes.bench]:
            on_step(f"time {size_text(size)}")
            report.benches.append(_time_size(task, build.binary, size, sandbox))
    return report


def _check_size(task: KernelTask, binary: bytes, size: dict[str, int], sandbox: Sandbox) -> SizeCheck:
    try:
        instance = make_instance(task, size, CHECK_SEED)
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


def _time_size(task: KernelTask, binary: bytes, size: dict[str, int], sandbox: Sandbox) -> SizeCheck:
    try:
        instance = make_instance(task, size, CHECK_SEED)
    except InstanceError as exc:
        return SizeCheck(size, False, f"input generation failed: {exc}")
    execution = run_instance(
        sandbox, binary, instance, warmup=1, repeats=BENCH_REPEATS, wall_s=task.limits.bench_s, threads=1
    )
    if not execution.ok:
        return SizeCheck(size, False, f"reference run failed: {execution.describe_failure()}", symbols=instance.symbols)
    median = statistics.median(execution.times_ns) / 1e9
    return SizeCheck(size, True, "", median_s=median, symbols=instance.symbols)
