"""Verification stages. Each module holds one stage: a callable ``StageContext -> StageResult``."""

from __future__ import annotations

from typing import Protocol

from verifiers.context import StageContext
from verifiers.verdict import Stage, StageResult


class VerifierStage(Protocol):
    """One stage of the cascade.

    Stages run with :data:`verifiers.machine_lock.MACHINE` held shared; a job whose figures other
    work on the machine would distort holds it exclusively while its command runs
    (``Job.while_running=MACHINE.exclusive``).
    """

    stage: Stage

    def __call__(self, ctx: StageContext) -> StageResult:
        """Judge ``ctx.candidate``; never raises for the candidate's own faults."""
        ...
