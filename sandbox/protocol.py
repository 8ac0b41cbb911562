"""The protocol every sandbox backend satisfies."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from sandbox.job import Job, JobResult


@runtime_checkable
class Sandbox(Protocol):
    """Runs untrusted jobs in isolation."""

    name: str
    """Backend name, e.g. ``docker`` or ``local``."""
    unenforced: frozenset[str]
    """Limits or isolation properties this backend cannot guarantee (empty for a full sandbox)."""

    def run(self, job: Job) -> JobResult:
        """Run ``job`` in a fresh work dir and return its result. Never raises for the job's own failures.

        The command runs inside ``job.while_running`` when that is given (see :func:`sandbox.job.while_running`).

        Raises:
            SandboxUnavailable: the backend itself can no longer be reached (its daemon stopped answering).
        """
        ...

    def close(self) -> None:
        """Release everything the backend holds (containers, temp dirs)."""
        ...
