"""Where untrusted code runs: the :class:`Sandbox` protocol, its jobs and backends."""

from sandbox.job import Job, JobError, JobResult, JobStatus, Limits
from sandbox.protocol import Sandbox
from sandbox.registry import available_backends, open_sandbox

__all__ = [
    "Job",
    "JobError",
    "JobResult",
    "JobStatus",
    "Limits",
    "Sandbox",
    "available_backends",
    "open_sandbox",
]
