"""Verification stages. Each module holds one stage: a callable ``StageContext -> StageResult``."""

from __future__ import annotations

from typing import Protocol

from verifiers.context import StageContext
from verifiers.verdict import Stage, StageResult


class VerifierStage(Protocol):
    """One stage of the cascade."""

    stage: Stage
    measures: bool
    """True for stages whose figures other work on the machine would distort: they run alone, after a
    ``prepare(ctx)`` method of theirs (builds, inputs) has run alongside other work."""

    def __call__(self, ctx: StageContext) -> StageResult:
        """Judge ``ctx.candidate``; never raises for the candidate's own faults."""
        ...
