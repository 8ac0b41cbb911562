"""The local backend: a subprocess under rlimits, in its own session and namespaces. Weaker than containers.

Each job runs in a fresh temporary dir, in a new session and process group, with CPU, memory
(``RLIMIT_DATA``), file-size, open-file and core rlimits. Where ``unshare`` may create namespaces
(as root, or where unprivileged user namespaces are allowed), the job also gets a network namespace
(no network), a PID namespace (it cannot see the host's processes, and when its namespace's init dies
every process in it dies: nothing outlives the job), a /dev/shm of its own, and a small init so that
the job itself is not PID 1. Run as root, the job drops to ``nobody`` (with ``RLIMIT_NPROC`` then
bounding its processes). It cannot stop writes to host files its user may write, nor reads of the host's files;
:attr:`LocalSandbox.unenforced` lists every such gap.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sandbox.exit_status import death_signal, signal_name
from sandbox.guarantees import Guarantee
from sandbox.job import Job, JobError, JobResult, JobStatus, Limits, check_relative_path, while_running
from sandbox.output import CappedBuffer, drain
from sandbox.workdir import collect, populate

_BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
_NOBODY = 65534
_NOFILE = 4096
_INIT_SHIM = ["sh", "-c", '"$@" & wait $!', "sh"]
"""PID 1 of the job's namespace: the job runs as its child, so that signals reach it as usual."""
_PRIVATE_SHM = ["sh", "-c", 'mount -t tmpfs -o nosuid,nodev,size=64m tmpfs /dev/shm && exec "$@"', "sh"]
"""A /dev/shm of the job's own, as a container has. PIDs repeat across PID namespaces, so a shared
/dev/shm lets one job see another's per-PID files: libomp then aborts, taking them for a second
OpenMP runtime in its own process."""
_MEMORY_MARKERS = ("std::bad_alloc", "Cannot allocate memory", "MemoryError", "out of memory")


_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class _Isolation:
    """What this machine lets the local backend do."""

    namespaces: bool
    """``unshare`` can make network, PID and mount namespaces."""
    drop_to_nobody: bool
    """We are root and ``setpriv`` can switch the job to ``nobody``."""

    @property
    def unenforced(self) -> frozenset[str]:
        gaps = {Guarantee.filesystem}
        if not self.namespaces:
            gaps |= {Guarantee.network, Guarantee.host_processes, Guarantee.process_tree, Guarantee.private_shm}
        if not self.drop_to_nobody:
            gaps.add(Guarantee.pids)
        return frozenset(gaps)

    def prefix(self, network: bool) -> list[str]:
        """The command words that wrap a job's command."""
        words: list[str] = []
        if self.namespaces:
            words += ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc"]
            words += [] if network else ["--net"]
            words += [] if os.geteuid() == 0 else ["--map-root-user"]
            words += ["--", *_PRIVATE_SHM]
        if self.drop_to_nobody:
            words += ["setpriv", f"--reuid={_NOBODY}", f"--regid={_NOBODY}", "--clear-groups", "--no-new-privs"]
            words += ["--pdeathsig=KILL", "--"]  # a change of user clears the death signal: set it again
        if self.namespaces:
            words += _INIT_SHIM
        return words


def _die_with_parent() -> None:
    """Have the kernel SIGKILL the job's first process if ParaForge dies first (``unshare --kill-child``
    then takes the whole namespace down), so a killed run leaves no job running on."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


@cache
def _isolation() -> _Isolation:
    """Probe once what isolation this machine permits."""
    root = os.geteuid() == 0
    namespaces = False
    if shutil.which("unshare"):
        probe = _Isolation(namespaces=True, drop_to_nobody=False).prefix(network=False)
        try:
            namespaces = subprocess.run([*probe, "true"], capture_output=True, timeout=10).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            namespaces = False
    return _Isolation(namespaces=namespaces, drop_to_nobody=root and shutil.which("setpriv") is not None)


class LocalSandbox:
    """Subprocess backend for machines without Docker. It says what it cannot enforce."""

    name = "local"

    def __init__(self, scratch: Path | None = None) -> None:
        self._scratch = scratch
        self._isolation = _isolation()
        self.unenforced = self._isolation.unenforced

    def run(self, job: Job) -> JobResult:
        """Run ``job`` as a local subprocess under rlimits."""
        with tempfile.TemporaryDirectory(prefix="paraforge-job-", dir=self._scratch) as tmp:
            workdir = Path(tmp) / "work"
            workdir.mkdir()
            try:
                for rel in job.collect:
                    check_relative_path(rel)
                populate(workdir, job)
                if self._isolation.drop_to_nobody:
                    _hand_over(Path(tmp), workdir)
            except (JobError, OSError) as exc:
                return JobResult(status=JobStatus.sandbox_error, message=str(exc))
            return self._execute(job, workdir)

    def close(self) -> None:
        """Nothing is held between jobs."""

    def _execute(self, job: Job, workdir: Path) -> JobResult:
        limits = job.limits
        env = {**_BASE_ENV, "HOME": str(workdir), "TMPDIR": str(workdir), **job.env}
        command = [*self._isolation.prefix(limits.network), *job.command]
        nproc = limits.pids if self._isolation.drop_to_nobody else None

        def confine() -> None:
            _die_with_parent()
            cpu = max(1, int(limits.cpu_seconds + 0.999))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            size = limits.file_size_mb * 2**20
            resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            resource.setrlimit(resource.RLIMIT_NOFILE, (_NOFILE, _NOFILE))
            if nproc is not None:
                resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
            if not job.env.get("PARAFORGE_SANITIZER"):
                memory = limits.memory_mb * 2**20
                resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))

        with while_running(job):
            ran = _run_process(command, workdir, env, limits, confine)
        if isinstance(ran, JobResult):
            return ran
        code, out, err = ran.exit_code, ran.stdout, ran.stderr
        died_by = death_signal(code)
        status, message = _classify(code, died_by, ran.timed_out, out, err, limits.wall_s)
        try:
            files = collect(workdir, job.collect, max_bytes=limits.file_size_mb * 2**20 * 4)
        except JobError as exc:
            status, message, files = JobStatus.sandbox_error, str(exc), {}
        return JobResult(
            status=status,
            exit_code=code if died_by is None else None,
            signal=died_by,
            stdout=out.text(),
            stderr=err.text(),
            stdout_dropped=out.dropped,
            stderr_dropped=err.dropped,
            files=files,
            wall_s=ran.wall_s,
            cpu_s=ran.cpu_s,
            message=message,
        )


@dataclass(frozen=True)
class _Ran:
    """How the job's process tree ran."""

    exit_code: int
    timed_out: bool
    wall_s: float
    cpu_s: float
    stdout: CappedBuffer
    stderr: CappedBuffer


def _run_process(
    command: list[str], workdir: Path, env: dict[str, str], limits: Limits, confine: Callable[[], None]
) -> _Ran | JobResult:
    """Run ``command`` in its own session until it ends or its wall time passes, then kill its group.

    Returns a sandbox-error result when the command cannot start.
    """
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
    return _Ran(process.returncode, timed_out, wall, cpu, out, err)


def _hand_over(tmp: Path, workdir: Path) -> None:
    """Give the work dir to ``nobody``; its parent stays root's, passable but not writable."""
    tmp.chmod(0o711)
    for path in [workdir, *workdir.rglob("*")]:
        os.lchown(path, _NOBODY, _NOBODY)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _classify(
    code: int, died_by: int | None, timed_out: bool, out: CappedBuffer, err: CappedBuffer, wall_s: float
) -> tuple[JobStatus, str]:
    if timed_out:
        return JobStatus.timeout, f"wall time limit of {wall_s:g} s reached; the job's processes were killed"
    if died_by == signal.SIGXCPU:
        return JobStatus.timeout, "CPU time limit reached"
    if code != 0 and any(marker in err.text() for marker in _MEMORY_MARKERS):
        return JobStatus.oom, "memory limit reached"
    if died_by is not None:
        return JobStatus.killed, f"killed by signal {signal_name(died_by)}"
    if out.dropped or err.dropped:
        return JobStatus.output_capped, f"output cap reached; {out.dropped + err.dropped} bytes dropped"
    return JobStatus.ok, ""
