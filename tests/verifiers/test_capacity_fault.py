"""A job the sandbox had no room for is the sandbox's error (``<stage>.sandbox_capacity``), never the candidate's
failure; a candidate that blows its own memory on a job that fits stays rejected."""

from __future__ import annotations

import signal

import pytest

from sandbox import Job, JobResult, JobStatus, Sandbox
from tasks import load_task
from tasks.loader import SUITE_DIR
from verifiers.batch import Batch, Run, RunOutcome, RunStatus
from verifiers.build import Build
from verifiers.candidate import Candidate
from verifiers.capacity import GiB, SandboxLimits, size_footprint, timing_job
from verifiers.capacity_fault import batch_shortfall, capacity_error, shortfall
from verifiers.cascade import evaluate
from verifiers.context import VerifyConfig
from verifiers.diagnostics import explain_build_failure
from verifiers.stages.timing import TimingStage
from verifiers.timing.bundle import TIMING_BINARY
from verifiers.timing.settings import TimingSettings
from verifiers.verdict import Stage, StageStatus

PREFIX_HASH = load_task(SUITE_DIR / "prefix-hash.yaml")
REDUCE = load_task(SUITE_DIR / "reduce-sum.yaml")
ENOSPC = "tar: in/b.bin: Cannot write: No space left on device\nparaforge-sandbox: setup failed: cannot unpack"


def _estimate(memory: int):
    """The timing job at prefix-hash's largest test size on a machine with ``memory`` bytes."""
    footprint = size_footprint(PREFIX_HASH, PREFIX_HASH.sizes.test[-1])
    return lambda limits: timing_job(footprint, 3, SandboxLimits(workdir=limits.workdir, memory=memory))


def test_a_full_work_dir_is_the_sandboxs_whatever_the_estimate():
    result = JobResult(status=JobStatus.sandbox_error, exit_code=125, message=ENOSPC)
    assert shortfall(result) == "the work dir ran out of space (No space left on device)"
    assert shortfall(result, _estimate(64 * GiB)) == "the work dir ran out of space (No space left on device)"
    quota = JobResult(status=JobStatus.ok, exit_code=1, stderr="write: Disk quota exceeded")
    assert shortfall(quota) == "the work dir ran out of space (Disk quota exceeded)"
    too_big = JobResult(status=JobStatus.killed, signal=signal.SIGXFSZ)
    assert shortfall(too_big) == "the work dir ran out of space (File size limit exceeded)"


def test_a_job_killed_for_memory_is_the_candidates_when_the_estimate_fits():
    oom = JobResult(status=JobStatus.oom, signal=9, message="memory limit of 1200 MB reached; the job was killed")
    assert shortfall(oom, _estimate(64 * GiB)) is None
    assert shortfall(oom) is None


def test_a_job_killed_for_memory_is_the_sandboxs_when_the_estimate_does_not_fit():
    oom = JobResult(status=JobStatus.oom, signal=9, message="memory limit reached")
    what = shortfall(oom, _estimate(64 * 2**20))
    assert what is not None and what.startswith("memory ran out: the job needs about ")
    assert what.endswith("the machine has 64 MiB")


def test_a_batch_whose_runs_crashed_on_a_full_work_dir_is_the_sandboxs():
    run = Run("z0s0-t1", "kernel", "z0s0", 1)
    fits = _estimate(64 * GiB)
    clean = Batch(
        JobResult(status=JobStatus.ok, exit_code=0, stderr="No space left on device"), [RunOutcome(run, RunStatus.ok)]
    )
    assert batch_shortfall(clean, fits) is None, "a batch that ran cleanly is judged as usual"
    crashed = RunOutcome(run, RunStatus.crashed, signal=signal.SIGXFSZ)
    job = JobResult(status=JobStatus.ok, exit_code=0)
    assert batch_shortfall(Batch(job, [crashed]), fits) == "the work dir ran out of space (File size limit exceeded)"
    segv = RunOutcome(run, RunStatus.crashed, signal=signal.SIGSEGV)
    assert batch_shortfall(Batch(job, [segv]), fits) is None


def test_capacity_errors_name_the_stage_and_what_ran_out():
    result = capacity_error(Stage.correctness, "the work dir ran out of space (No space left on device)")
    assert result.status is StageStatus.error and result.reason == "correctness.sandbox_capacity"
    assert "No space left on device" in result.feedback and "Not the code's fault" in result.feedback


def test_a_build_out_of_work_dir_space_is_the_verifiers_error():
    result = JobResult(
        status=JobStatus.ok, exit_code=1, stderr="fatal error: error writing a.o: No space left on device"
    )
    failure = explain_build_failure(Build(result=result, binary=None), REDUCE.signature)
    stage = failure.result(Stage.compile, "compile", "")
    assert stage.status is StageStatus.error and stage.reason == "compile.sandbox_capacity"


class SmallWorkdir:
    """A sandbox whose timing jobs get a work dir of ``mb`` MiB; every other job runs as the inner sandbox runs it."""

    def __init__(self, inner: Sandbox, mb: int) -> None:
        self.inner, self.mb = inner, mb
        self.name, self.unenforced = inner.name, inner.unenforced

    def run(self, job: Job) -> JobResult:
        if TIMING_BINARY in job.executable:
            job = job.model_copy(update={"limits": job.limits.model_copy(update={"file_size_mb": self.mb})})
        return self.inner.run(job)

    def close(self) -> None:
        """The inner sandbox is the fixture's to close."""


def _timed(task, sandbox: Sandbox, source: str, size: dict[str, int]):
    config = VerifyConfig(timing=TimingSettings(size=size, min_samples=2, max_samples=4), timing_threads=2)
    return evaluate(task, Candidate(source=source), sandbox, config=config, stages=[TimingStage()]).stages[0]


def test_a_timing_job_out_of_work_dir_space_is_an_error_locally(local_sandbox, clang):
    """The local backend's work dir limit caps every file: the timing driver's sampled results (2 MiB) outgrow 1 MiB."""
    task = PREFIX_HASH
    result = _timed(task, SmallWorkdir(local_sandbox, 1), task.reference.cpp, {"n": 300_000})
    assert result.status is StageStatus.error, result.feedback
    assert result.reason == "timing.sandbox_capacity"
    assert "File size limit exceeded" in result.feedback


def test_a_candidate_that_exhausts_its_memory_in_a_job_that_fits_is_still_rejected(local_sandbox, clang):
    hostile = REDUCE.reference.cpp.replace(
        "double total = 0.0;", "double total = 0.0;\n        static std::vector<double> hoard(1ull << 40);"
    ).replace("#include <cmath>", "#include <cmath>\n#include <vector>")
    result = _timed(REDUCE, local_sandbox, hostile, {"n": 20_000})
    assert result.status is StageStatus.failed, result.feedback
    assert result.reason == "timing.run_failed"


@pytest.mark.docker
def test_a_timing_job_out_of_work_dir_space_is_an_error_in_docker(clang):
    """gemm at n=1024 carries three 8 MiB arrays; a 16 MiB work dir holds two of them."""
    from sandbox.docker_backend import DockerSandbox
    from sandbox.docker_client import SandboxUnavailable

    try:
        sandbox = DockerSandbox(warm=0)
    except SandboxUnavailable as exc:
        pytest.skip(f"docker sandbox unavailable: {exc}")
    gemm = load_task(SUITE_DIR / "gemm.yaml")
    try:
        result = _timed(gemm, SmallWorkdir(sandbox, 16), gemm.reference.cpp, {"n": 1024})
    finally:
        sandbox.close()
    assert result.status is StageStatus.error, result.feedback
    assert result.reason == "timing.sandbox_capacity"
    assert "No space left on device" in result.feedback
