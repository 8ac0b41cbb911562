"""What a sandbox runs (a :class:`Job`) and what comes back (a :class:`JobResult`)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from enum import StrEnum
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_PATH_LENGTH = 255
"""Longest job file path accepted (in characters), and longest single name part."""


class JobError(ValueError):
    """A job that cannot be run as given (for example a hostile file name)."""


class Limits(BaseModel):
    """Resource limits of one job. Every backend enforces every limit it does not declare unenforced."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    wall_s: float = Field(default=60.0, gt=0)
    """Wall-clock time; the job's whole process tree is killed after it."""
    cpu_s: float | None = Field(default=None, gt=0)
    """CPU time over all threads; default: wall time times the CPUs given."""
    memory_mb: int = Field(default=2048, ge=16)
    """Resident memory (and swap: none beyond it)."""
    pids: int = Field(default=256, ge=8)
    """Processes and threads at once."""
    file_size_mb: int = Field(default=1024, ge=1)
    """Largest file the job may write, and the size of its work dir."""
    output_bytes: int = Field(default=1_000_000, ge=1024)
    """Per stream (stdout, stderr): more than this keeps the head and the tail."""
    cpus: float | None = Field(default=None, gt=0)
    """CPU quota in cores; default: all of them."""
    network: bool = False
    gpu: bool = False

    @property
    def cpu_seconds(self) -> float:
        """The CPU-time limit in force."""
        import os

        return self.cpu_s or self.wall_s * (self.cpus or os.cpu_count() or 1)


class Job(BaseModel):
    """Files to place in a fresh work dir, a command to run there, its environment and limits."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    command: list[str] = Field(min_length=1)
    """Program and arguments, run in the work dir (no shell unless the command asks for one)."""
    files: dict[str, bytes | Path] = {}
    """Relative path -> content, or a host file whose content is copied in."""
    env: dict[str, str] = {}
    """The only environment variables the job sees, besides PATH, HOME, LANG and TMPDIR."""
    limits: Limits = Limits()
    executable: list[str] = []
    """Paths among ``files`` to mark executable (compiled programs carried from an earlier job)."""
    collect: list[str] = []
    """Relative paths of files (or dirs, collected recursively) to bring back after the run."""
    image: str | None = None
    """Container image, for container backends; default: the backend's toolchain image."""
    while_running: Callable[[], AbstractContextManager[object]] | None = Field(default=None, exclude=True, repr=False)
    """Entered just before the command starts and left as soon as it ends, after the files are in and
    before any is collected: for example a lock that keeps a measurement alone on the machine."""

    @field_validator("files", "executable", "collect", mode="after")
    @classmethod
    def _safe_paths(cls, value: dict | list) -> dict | list:
        for path in value:
            check_relative_path(path)
        return value


def while_running(job: Job) -> AbstractContextManager[object]:
    """What ``job`` holds while its command runs (nothing, unless it says)."""
    return job.while_running() if job.while_running is not None else nullcontext()


def check_relative_path(path: str) -> PurePosixPath:
    """``path`` as a safe relative path inside the work dir, or a :class:`JobError` saying why not."""
    if not isinstance(path, str) or not path:
        raise JobError(f"job file path must be a non-empty string, got {path!r}")
    if "\x00" in path:
        raise JobError(f"job file path {path!r} contains a NUL byte")
    if len(path) > 4 * MAX_PATH_LENGTH:
        raise JobError(f"job file path is {len(path)} characters long (limit {4 * MAX_PATH_LENGTH})")
    pure = PurePosixPath(path)
    if pure.is_absolute() or path.startswith("~"):
        raise JobError(f"job file path {path!r} is absolute; paths must be relative to the work dir")
    if any(part in ("..", ".") for part in path.split("/")) or "\\" in path:
        raise JobError(f"job file path {path!r} leaves or aliases the work dir ('..', '.' or '\\')")
    if any(len(part) > MAX_PATH_LENGTH for part in pure.parts):
        raise JobError(f"job file path {path[:40]!r}... has a part longer than {MAX_PATH_LENGTH} characters")
    if any(ord(c) < 32 for c in path):
        raise JobError(f"job file path {path!r} contains control characters")
    return pure


class JobStatus(StrEnum):
    """How a job ended."""

    ok = "ok"
    """It ran to its end (whatever its exit code)."""
    timeout = "timeout"
    oom = "oom"
    output_capped = "output-capped"
    """It ended, but printed more than the output cap; the middle of the output was dropped."""
    killed = "killed"
    """A signal ended it (other than the sandbox's own timeout or OOM kill)."""
    sandbox_error = "sandbox-error"
    """The sandbox itself failed; the job may not have run."""


class JobResult(BaseModel):
    """The outcome of one job."""

    model_config = ConfigDict(extra="forbid")

    status: JobStatus
    exit_code: int | None = None
    signal: int | None = None
    stdout: str = ""
    stderr: str = ""
    stdout_dropped: int = 0
    """Bytes of stdout dropped from the middle by the output cap."""
    stderr_dropped: int = 0
    files: dict[str, bytes] = {}
    """Collected output files, by relative path."""
    wall_s: float = 0.0
    cpu_s: float = 0.0
    message: str = ""
    """The sandbox's explanation for statuses other than ok."""

    @property
    def succeeded(self) -> bool:
        """Ran to the end and exited 0."""
        return self.status is JobStatus.ok and self.exit_code == 0

    def describe_failure(self) -> str:
        """A short account of why the job did not succeed (empty when it did)."""
        if self.status is not JobStatus.ok:
            return f"{self.status.value}: {self.message}".strip()
        if self.exit_code:
            return f"exited with code {self.exit_code}: {self.stderr.strip()[-2000:]}"
        return ""
