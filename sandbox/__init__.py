"""Where untrusted code runs: the :class:`Sandbox` protocol, its jobs and backends."""

from sandbox.docker_client import SandboxUnavailable
from sandbox.guarantees import Guarantee
from sandbox.job import Job, JobError, JobResult, JobStatus, Limits
from sandbox.protocol import Sandbox
from sandbox.registry import available_backends, open_sandbox

__all__ = [
    "Guarantee",
    "Job",
    "JobError",
    "JobResult",
    "JobStatus",
    "Limits",
    "Sandbox",
    "SandboxUnavailable",
    "available_backends",
    "open_sandbox",
]
