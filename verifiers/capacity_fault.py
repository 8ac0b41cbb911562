"""Telling a sandbox that ran out of room from a candidate at fault, for every stage that runs jobs.

A job that fails because the sandbox is too small for the verifier's own data says nothing about
the candidate: its stage reports an error (``<stage>.sandbox_capacity``, with what ran out), never a
failure the candidate is blamed and repaired for. The rule:

* **Work dir**: a job whose status, message or output (or a run's log) shows the work dir full or a
  file over its limit (ENOSPC "No space left on device", EDQUOT "Disk quota exceeded", EFBIG "File
  too large", SIGXFSZ "File size limit exceeded") ran out because of the sandbox, always. The work
  dir holds what the verifier puts there (instances, their copies, results) and a kernel has no
  business writing files; a candidate that fills it on purpose, or prints those words, gets an error
  verdict, which is never accepted, repaired, cached or published, so it gains nothing.
* **Memory**: a failed job is the sandbox's fault only when its estimated footprint
  (:mod:`verifiers.capacity`: the verifier's own arrays, copies and work dir, from the instances the
  job carried) already exceeds the memory the job has. When the estimate fits, a job killed for
  memory means the candidate used more than its share: that stays the candidate's failure, like any
  crash, so a hostile kernel that allocates without bound is still rejected.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterable

from sandbox import JobResult
from verifiers.batch import Batch, RunStatus
from verifiers.capacity import JobEstimate, SandboxLimits, size_text
from verifiers.verdict import Stage, StageResult, StageStatus

FULL_WORKDIR = ("No space left on device", "Disk quota exceeded", "File too large", "File size limit exceeded")
"""How tools and shells say that the work dir is full or a file outgrew its limit."""

CAPACITY_REASON = "sandbox_capacity"
"""Suffix of the reason of a stage whose job the sandbox had no room for."""
Expected = Callable[[SandboxLimits], JobEstimate]
"""The failed job's estimate on a sandbox of the given limits (asked for only when memory may have run out)."""


class CapacityShortfall(RuntimeError):
    """A job ran out of room in the sandbox; the message says what ran out."""


def shortfall(
    result: JobResult,
    expected: Expected | None = None,
    *,
    signals: Iterable[int | None] = (),
    logs: Iterable[str] = (),
) -> str | None:
    """What the sandbox lacked for a failed job, when the failure is the sandbox's (see the module's rule).

    Args:
        result: The failed job's result.
        expected: The job's estimate; without it, only a full work dir is recognised.
        signals: Signals that ended runs inside the job.
        logs: Runs' own logs inside the job.
    """
    texts = [result.message, result.stdout, result.stderr, *logs]
    full = next((sign for sign in FULL_WORKDIR if any(sign in text for text in texts)), None)
    if full is None and signal.SIGXFSZ in {result.signal, *signals}:
        full = "File size limit exceeded"
    if full is not None:
        return f"the work dir ran out of space ({full})"
    if expected is None:
        return None
    memory = expected(SandboxLimits.here()).memory
    if memory.fits:
        return None
    return f"memory ran out: the job needs about {memory.describe()}, {memory.holder} {size_text(memory.limit)}"


def batch_shortfall(batch: Batch, expected: Expected) -> str | None:
    """:func:`shortfall` of a batch job when the job or one of its runs failed (None when all ran cleanly)."""
    failed = [o for o in batch.outcomes if o.status not in (RunStatus.ok, RunStatus.not_run)]
    if batch.job.succeeded and not failed:
        return None
    return shortfall(batch.job, expected, signals=[o.signal for o in failed], logs=[o.report for o in failed])


def capacity_feedback(job: str, what: str) -> str:
    """What the verdict says about a ``job`` the sandbox had no room for (``what`` ran out)."""
    return (
        f"The sandbox ran out of room for the {job} job: {what}. Not the code's fault; lower the task's sizes "
        "or give the sandbox more (`agent tasks check` sizes every job)."
    )


def capacity_error(stage: Stage, what: str, logs: str | None = None) -> StageResult:
    """The stage's error result (``<stage>.sandbox_capacity``) for a job the sandbox had no room for."""
    return StageResult(
        stage=stage,
        status=StageStatus.error,
        reason=f"{stage.value}.{CAPACITY_REASON}",
        feedback=capacity_feedback(stage.value, what),
        logs=logs,
        details={"capacity": what},
    )
