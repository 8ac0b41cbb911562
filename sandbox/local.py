"""The local backend: a subprocess with rlimits in its own session. Weaker than containers.

Each job runs in a fresh temporary dir, in a new session and process group, with CPU, memory,
file-size and core rlimits; the whole group is killed when the wall time runs out. Where the
kernel permits unprivileged user namespaces (or we are root), the job also runs in a fresh network
namespace through ``unshare``, so it has no network. It cannot stop writes to the host's files
the user may write, nor hide the host's processes; :attr:`LocalSandbox.unenforced` says so.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from functools import cache
from pathlib import Path

from sandbox.job import Job, JobError, JobResult, JobStatus
from sandbox.output import CappedBuffer, drain
from sandbox.workdir import collect, populate

_BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


@cache
def _unshare_works() -> bool:
    """Whether ``unshare --net`` can create a network namespace here."""
    if not shutil.which("unshare"):
        return False
    try:
        probe = subprocess.run(["unshare", "--net", "--map-root-user", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


class LocalSandbox:
    """Subprocess backend for machines without Docker. It says what it cannot enforce."""

    name = "local"

    def __init__(self, scratch: Path | None = None) -> None:
        self._scratch = scratch
        isolation = {"filesystem", "processes-visible"}
        if not _unshare_works():
            isolation.add("network")
        self.unenforced = frozenset(isolation)

    def run(self, job: Job) -> JobResult:
        """Run ``job`` as a local subprocess under rlimits."""
        with tempfile.TemporaryDirectory(prefix="paraforge-job-", dir=self._scratch) as tmp:
            workdir = Path(tmp) / "work"
            workdir.mkdir()
            try:
                populate(workdir, job)
            except (JobError, OSError) as exc:
                return JobResult(status=JobStatus.sandbox_error, message=str(exc))
            return self._execute(job, workdir)

    def close(self) -> None:
        """Nothing is held between jobs."""

    def _execute(self, job: Job, workdir: Path) -> JobResult:
        limits = job.limits
        env = {**_BASE_ENV, "HOME": str(workdir), "TMPDIR": str(workdir), **job.env}
        command = list(job.command)
        if not limits.network and "network" not in self.unenforced:
            command = ["unshare", "--net", "--map-root-user", "--", *command]

        def confine() -> None:
            cpu = max(1, int(limits.cpu_seconds + 0.999))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            size = limits.file_size_mb * 2**20
            resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if not job.env.get("PARAFORGE_SANITIZER"):
                memory = limits.memory_mb * 2**20
                resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))

        started = time.monotonic()
        usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        try:
            process = subprocess.Popen(
                command,
                cwd=workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                preexec_fn=confine,
            )
        except OSError as exc:
            return JobResult(status=JobStatus.sandbox_error, message=f"cannot start {command[0]!r}: {exc}")
        out, err = CappedBuffer(limits.output_bytes), CappedBuffer(limits.output_bytes)
        pumps = [drain(process.stdout, out), drain(process.stderr, err)]
        timed_out = False
        try:
            process.wait(timeout=limits.wall_s)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(process.pid)
            process.wait()
        for pump in pumps:
            pump.join(timeout=5)
        wall = time.monotonic() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (usage.ru_utime - usage_before.ru_utime) + (usage.ru_stime - usage_before.ru_stime)
        status, message = _classify(process.returncode, timed_out, out, err, limits.wall_s)
        try:
            files = collect(workdir, job.collect, max_bytes=limits.file_size_mb * 2**20 * 4)
        except JobError as exc:
            status, message, files = JobStatus.sandbox_error, str(exc), {}
        return JobResult(
            status=status,
            exit_code=process.returncode if process.returncode >= 0 else None,
            signal=-process.returncode if process.returncode < 0 else None,
            stdout=out.text(),
            stderr=err.text(),
            stdout_dropped=out.dropped,
            stderr_dropped=err.dropped,
            files=files,
            wall_s=wall,
            cpu_s=cpu,
            message=message,
        )


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _classify(
    returncode: int, timed_out: bool, out: CappedBuffer, err: CappedBuffer, wall_s: float
) -> tuple[JobStatus, str]:
    if timed_out:
        return JobStatus.timeout, f"wall time limit of {wall_s:g} s reached; the process group was killed"
    if returncode == -signal.SIGXCPU or (returncode == -signal.SIGKILL and "memory" in err.text().lower()):
        return JobStatus.timeout, "CPU time limit reached"
    if "std::bad_alloc" in err.text() or "Cannot allocate memory" in err.text():
        return JobStatus.oom, "memory limit reached"
    if returncode < 0:
        return JobStatus.killed, f"killed by signal {signal.Signals(-returncode).name}"
    if out.dropped or err.dropped:
        return JobStatus.output_capped, f"output cap reached; {out.dropped + err.dropped} bytes dropped"
    return JobStatus.ok, ""
