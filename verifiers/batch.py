"""Running built drivers over many (instance, thread count) runs in one sandbox job.

A sandbox job has a fixed cost (a container start, for the docker backend), so a stage runs all
the runs of one test size in one job: a shell script calls each program under ``timeout`` with
its own input and output dirs, records every exit code, and stops at the first run that fails
(a crash or a timeout says enough). Each run writes its outputs, and any input array it changed, and
sanitizer builds write their reports to a file of their own (``log_path``), so nothing depends
on untangling interleaved output.
"""

from __future__ import annotations

import shlex
import signal
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePosixPath

import numpy as np

from sandbox import Job, JobResult, JobStatus, Limits, Sandbox
from tasks.harness import CHECK_INPUTS
from tasks.instance import Instance
from tasks.model import Role
from verifiers.build import Build, BuildRecipe
from verifiers.capacity import BATCH_MEMORY_MB, workdir_mb
from verifiers.execute import IN_DIR, OUT_DIR, instance_files
from verifiers.sanitizers import REPORT_OPTIONS, runtime_env
from verifiers.toolchain import Flavour

SCRIPT = "runs.sh"
BUILD_LOG = f"{OUT_DIR}/build.log"
BUILD_EXIT = f"{OUT_DIR}/build.exit"
"""The compiler's output and exit code, in a job that builds its program first."""
EXIT_FILE = "exit"
REPORT_PREFIX = "report"
TIMEOUT_EXIT = 124
"""What ``timeout`` exits with when it had to stop the program."""
KILL_GRACE_S = 2
"""Seconds between ``timeout``'s SIGTERM and its SIGKILL."""


@dataclass(frozen=True)
class Run:
    """One call of a driver: which program, on which instance, with how many OpenMP threads."""

    key: str
    """Unique name within the batch (letters, digits, ``-``); also the run's output dir."""
    program: str
    """File name of the program among the batch's programs."""
    instance: str
    """Key of the instance among the batch's instances."""
    threads: int


class RunStatus(StrEnum):
    ok = "ok"
    """Exited 0."""
    timeout = "timeout"
    crashed = "crashed"
    """Killed by a signal."""
    exited = "exited"
    """Exited with a non-zero code (sanitizer builds exit with their own code after a report)."""
    not_run = "not-run"
    """An earlier run failed, so the batch stopped first."""


@dataclass
class RunOutcome:
    """What one run gave."""

    run: Run
    status: RunStatus
    exit_code: int | None = None
    signal: int | None = None
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    """Final contents of the output and inout arrays."""
    inputs_after: dict[str, np.ndarray] = field(default_factory=dict)
    """Contents after the call of the input arrays the kernel changed (an input absent here is unchanged)."""
    report: str = ""
    """The sanitizer's report, for sanitizer builds that found something."""

    def describe(self) -> str:
        """How the run ended, in words."""
        if self.status is RunStatus.crashed and self.signal is not None:
            return f"crashed with {signal_name(self.signal)}"
        if self.status is RunStatus.exited:
            return f"exited with code {self.exit_code}"
        return self.status.value


@dataclass(frozen=True)
class Batch:
    """The job's result and every run's outcome, in the order the runs were given."""

    job: JobResult
    outcomes: list[RunOutcome]
    failed_build: Build | None = None
    """The build, when the job built its program first and that failed (then no run ran)."""


def signal_name(number: int) -> str:
    """``SIGSEGV (segmentation fault)`` for 11."""
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
    meaning = signal.strsignal(number)
    return f"{name} ({meaning.lower()})" if meaning else name


def run_batch(
    sandbox: Sandbox,
    programs: dict[str, bytes],
    instances: dict[str, Instance],
    runs: list[Run],
    *,
    run_s: float,
    flavour: Flavour = Flavour.release,
    env: dict[str, str] | None = None,
    memory_mb: int = BATCH_MEMORY_MB,
    build: BuildRecipe | None = None,
) -> Batch:
    """Run ``runs`` in one job; each run gets ``run_s`` seconds of wall time.

    With a ``build`` recipe, the job first builds the program :data:`~verifiers.toolchain.BINARY` that the
    runs call (saving a job, and carrying the program neither out nor back in), and runs nothing when that
    build fails.
    """
    files: dict[str, bytes] = {name: binary for name, binary in programs.items()}
    for key, instance in instances.items():
        for path, content in instance_files(instance).items():
            files[f"{IN_DIR}/{key}/{PurePosixPath(path).name}"] = content
    script = _script(runs, run_s, flavour)
    wall_s = len(runs) * (run_s + KILL_GRACE_S + 1) + 30
    if build is not None:
        files.update(build.files)
        script = _build_script(build) + script
        wall_s += build.limits.wall_s + KILL_GRACE_S
    files[SCRIPT] = script.encode()
    job = Job(
        command=["sh", SCRIPT],
        files=files,
        executable=list(programs),
        env={**runtime_env(flavour), "OMP_WAIT_POLICY": "passive", **(env or {})},
        limits=Limits(
            wall_s=wall_s,
            memory_mb=memory_mb,
            file_size_mb=workdir_mb(sum(len(content) for content in files.values())),
        ),
        collect=[OUT_DIR],
    )
    result = sandbox.run(job)
    failed_build = _failed_build(build, result) if build is not None else None
    return Batch(result, [_outcome(run, instances[run.instance], result) for run in runs], failed_build)


def _build_script(build: BuildRecipe) -> str:
    """Shell lines trying the recipe's commands in turn (each log replacing the last), then stopping unless
    one succeeded."""
    limit = f"timeout -k {KILL_GRACE_S} {build.limits.wall_s:g}"
    attempts = " || ".join(f"{limit} {shlex.join(command)} > {BUILD_LOG} 2>&1" for command in build.commands)
    return f'mkdir -p {OUT_DIR}\n{{ {attempts}; }}\ncode=$?\necho "$code" > {BUILD_EXIT}\n[ "$code" -eq 0 ] || exit 0\n'


def _failed_build(build: BuildRecipe, result: JobResult) -> Build | None:
    """The build of a job that built its program first, as a :class:`Build`, when it failed."""
    raw_code = result.files.get(BUILD_EXIT)
    if raw_code is None:  # the job ended before the build did (a timeout, out of memory, a sandbox error)
        return Build(result=result, binary=None)
    code = int(raw_code.decode().strip() or -1)
    if code == 0:
        return None
    log = result.files.get(BUILD_LOG, b"").decode(errors="replace")
    if code == TIMEOUT_EXIT:
        timed_out = f"the compiler ran longer than {build.limits.wall_s:g} s"
        return Build(result=JobResult(status=JobStatus.timeout, stderr=log, message=timed_out), binary=None)
    return Build(result=JobResult(status=JobStatus.ok, exit_code=code, stderr=log), binary=None)


def _script(runs: list[Run], run_s: float, flavour: Flavour) -> str:
    report_env = " ".join(
        f'{name}="${{{name}}} log_path={OUT_DIR}/$1/{REPORT_PREFIX}"' for name in REPORT_OPTIONS[flavour]
    )
    folders = " ".join(shlex.quote(f"{OUT_DIR}/{run.key}") for run in runs)
    lines = [f"mkdir -p {folders}"] if runs else []  # one process for every run's folder
    lines += [
        "run() {",
        f'  OMP_NUM_THREADS="$4" {report_env} timeout -k {KILL_GRACE_S} {run_s:g} "./$2" '
        f'"{IN_DIR}/$3" "{OUT_DIR}/$1" 0 1 {CHECK_INPUTS}',
        "  code=$?",
        f'  echo "$code" > "{OUT_DIR}/$1/{EXIT_FILE}"',
        '  return "$code"',
        "}",
    ]
    for run in runs:
        args = " ".join(shlex.quote(str(a)) for a in (run.key, run.program, run.instance, run.threads))
        lines.append(f"run {args} || exit 0")
    return "\n".join(lines) + "\n"


def _outcome(run: Run, instance: Instance, result: JobResult) -> RunOutcome:
    folder = f"{OUT_DIR}/{run.key}"
    raw_code = result.files.get(f"{folder}/{EXIT_FILE}")
    if raw_code is None:
        ran = any(path.startswith(f"{folder}/") for path in result.files)
        status = RunStatus.timeout if ran and result.status is JobStatus.timeout else RunStatus.not_run
        return RunOutcome(run, status)
    code = int(raw_code.decode().strip() or -1)
    report = "\n".join(
        content.decode(errors="replace")
        for path, content in sorted(result.files.items())
        if path.startswith(f"{folder}/{REPORT_PREFIX}")
    )
    outcome = RunOutcome(run, RunStatus.ok, exit_code=code, report=report)
    if code == TIMEOUT_EXIT:
        outcome.status = RunStatus.timeout
    elif code > 128:
        outcome.status, outcome.exit_code, outcome.signal = RunStatus.crashed, None, code - 128
    elif code != 0:
        outcome.status = RunStatus.exited
    for param in instance.task.signature.params:
        raw = result.files.get(f"{folder}/{param.name}.bin")
        if raw is None or not param.is_array:
            continue
        values = np.frombuffer(raw, dtype=param.dtype.numpy).copy()
        if param.role in (Role.output, Role.inout):
            outcome.outputs[param.name] = values
        else:
            outcome.inputs_after[param.name] = values
    return outcome
