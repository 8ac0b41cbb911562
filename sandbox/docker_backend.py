"""The docker backend: every job in a hardened container, warm containers reused across jobs.

A job is a single exec of the job script (:mod:`sandbox.container_script`), which takes the job's files
as a tar on its stdin, runs the job as ``nobody`` under ``timeout`` and sends the collected files back
as a tar on its stdout; the host kills the whole container if the job outlives its wall time by more
than a grace. Container-wide limits (memory = memory + swap, pids, CPU quota, work-dir size, file
size, GPU) come from the job's :class:`~sandbox.job.Limits`, so jobs share a warm container only
with jobs of equal limits. A warm container is reused only if no process of the job survived it.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import docker
import requests

from sandbox.archive import pack_job, unpack_collected
from sandbox.constants import DEFAULT_IMAGE
from sandbox.container import JOB_UID, Box, ContainerSpec, ExecOutcome
from sandbox.container_script import WORK_ROOT, job_command
from sandbox.docker_client import SandboxUnavailable, connect, sweep_orphans
from sandbox.exit_status import SIGNALLED, death_signal, signal_name
from sandbox.job import Job, JobError, JobResult, JobStatus, Limits, check_relative_path, while_running
from sandbox.pool import WarmPool

log = logging.getLogger(__name__)

_TIMEOUT_EXIT = 124
"""Exit status of ``timeout`` when it stopped the job with SIGTERM."""


class _StaleContainer(Exception):
    """A reused container failed before the job started; the job is retried in a fresh one."""


class DockerSandbox:
    """Runs jobs in hardened Docker containers, keeping up to ``warm`` idle containers per set of limits."""

    name = "docker"
    unenforced: frozenset[str] = frozenset()

    def __init__(
        self, client: docker.DockerClient | None = None, *, image: str = DEFAULT_IMAGE, warm: int | None = None
    ) -> None:
        """Connect (unless given a client), sweep containers left by crashed runs, and start an empty pool.

        Args:
            client: a Docker client; default: one from the environment, checked to hold ``image``.
            image: the image of jobs that name none.
            warm: idle containers kept per set of limits (default: one per CPU plus one, as many as the
                verifiers run at once); 0 starts a cold container for every job. An idle container holds the files of
                its last job until its next job wipes them.
        """
        self._client = client or connect(image)
        self._image = image
        sweep_orphans(self._client)
        self._pool = WarmPool(self._client, keep=(os.cpu_count() or 1) + 1 if warm is None else warm)

    def run(self, job: Job) -> JobResult:
        """Run ``job`` in a container; failures of the job itself come back as statuses, never raised.

        Raises:
            SandboxUnavailable: the Docker daemon stopped answering (its connection failed or broke).
        """
        if job.limits.network:
            return _error("the docker backend gives jobs no network; use the local backend for networked jobs")
        try:
            for rel in job.collect:
                check_relative_path(rel)
            archive = pack_job(job, JOB_UID) if job.files else b""
        except (JobError, OSError) as exc:
            return _error(str(exc))
        spec = ContainerSpec.of(job, self._image)
        try:
            try:
                return self._attempt(job, spec, archive, fresh=False)
            except _StaleContainer:
                return self._attempt(job, spec, archive, fresh=True)
        except docker.errors.DockerException as exc:
            return _error(_explain(spec, exc))
        except requests.exceptions.RequestException as exc:
            raise SandboxUnavailable(f"the Docker daemon stopped answering: {exc}") from exc

    def container_names(self) -> frozenset[str]:
        """Names of the containers this sandbox holds now (idle in the pool or running a job)."""
        return self._pool.names()

    def close(self) -> None:
        """Remove every container this sandbox started (a daemon gone leaves them to the next run's sweep)."""
        try:
            self._pool.close()
        except requests.exceptions.RequestException as exc:
            log.warning("sandbox containers left behind, the Docker daemon does not answer: %s", exc)

    def _attempt(self, job: Job, spec: ContainerSpec, archive: bytes, fresh: bool) -> JobResult:
        box = self._pool.acquire(spec, fresh=fresh)
        reusable = False
        max_bytes = 2 * job.limits.file_size_mb * 2**20 + 2**20
        try:
            command = job_command(job.limits, job.command, len(archive), job.collect)
            with _stale_if_reused(box):
                started = box.start_exec(command, _env(job))
            outcome = box.finish_exec(started, archive, job.limits, max_bytes, lambda: while_running(job))
            if outcome.setup_failed and box.reused:
                raise _StaleContainer(outcome.output.stderr.text())
            result = _result(box, outcome, job.limits)
            reusable = self._pool.keeps and not outcome.setup_failed and _left_nothing(box, outcome)
            if result.status is not JobStatus.sandbox_error and job.collect and outcome.output.archive:
                try:
                    result.files = unpack_collected(outcome.output.archive, job.collect, max_bytes)
                except JobError as exc:
                    result.status, result.message = JobStatus.sandbox_error, str(exc)
            return result
        finally:
            self._pool.release(box, reusable)


@contextmanager
def _stale_if_reused(box: Box) -> Iterator[None]:
    """Docker refusing a reused container's request means that container went bad: start a fresh one."""
    try:
        yield
    except docker.errors.APIError as exc:
        if box.reused:
            raise _StaleContainer from exc
        raise


def _left_nothing(box: Box, outcome: ExecOutcome) -> bool:
    """Whether no process of the job outlived it.

    A job script that exited by itself ran its final ``kill -9 -1``; one that died by a signal (which
    the job may have sent it) did not, so the container's processes are listed. A leftover that
    escapes both (by tampering with the script) is caught by the next job's script, which finds it
    and makes the job move to a fresh container.
    """
    if outcome.exit_code is None:
        return False
    return outcome.exit_code <= SIGNALLED or not box.has_leftovers()


def _env(job: Job) -> dict[str, str]:
    """The job's environment: its own variables over HOME, TMPDIR and LANG (PATH comes from the container)."""
    return {"HOME": WORK_ROOT, "TMPDIR": WORK_ROOT, "LANG": "C.UTF-8", **job.env}


def _result(box: Box, outcome: ExecOutcome, limits: Limits) -> JobResult:
    """The job's result from how its exec ended."""
    code, stdout, stderr = outcome.exit_code, outcome.output.stdout, outcome.output.stderr
    died_by = death_signal(code) if code is not None else None
    status, message = JobStatus.ok, ""
    if outcome.host_killed:
        status, message = JobStatus.timeout, f"wall time limit of {limits.wall_s:g} s reached; the container was killed"
    elif code in (_TIMEOUT_EXIT, SIGNALLED + signal.SIGKILL) and outcome.wall_s >= limits.wall_s:
        status, message = JobStatus.timeout, f"wall time limit of {limits.wall_s:g} s reached; the job was killed"
    elif died_by == signal.SIGXCPU:
        status, message = JobStatus.timeout, "CPU time limit reached"
    elif died_by == signal.SIGKILL and box.oom_killed_since(outcome.started_at):
        status, message = JobStatus.oom, f"memory limit of {limits.memory_mb} MB reached; the job was killed"
    elif outcome.setup_failed:
        status, message = JobStatus.sandbox_error, stderr.text().strip()
    elif died_by is not None:
        status, message = JobStatus.killed, f"killed by signal {signal_name(died_by)}"
    elif stdout.dropped or stderr.dropped:
        dropped = stdout.dropped + stderr.dropped
        status, message = JobStatus.output_capped, f"output cap reached; {dropped} bytes dropped"
    return JobResult(
        status=status,
        exit_code=code if died_by is None else None,
        signal=died_by,
        stdout=stdout.text(),
        stderr=stderr.text(),
        stdout_dropped=stdout.dropped,
        stderr_dropped=stderr.dropped,
        wall_s=outcome.wall_s,
        message=message,
    )


def _explain(spec: ContainerSpec, exc: docker.errors.DockerException) -> str:
    if spec.gpu and "capabilities" in str(exc):
        return f"no GPU is available to Docker here (the NVIDIA container toolkit is needed): {exc}"
    return f"docker failed: {exc}"


def _error(message: str) -> JobResult:
    return JobResult(status=JobStatus.sandbox_error, message=message)
