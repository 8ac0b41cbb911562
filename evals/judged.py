"""A verdict as one row of an evaluation: the figures metrics and reports need, the full verdict kept aside."""

from __future__ import annotations

from agents.budget import Usage
from evals.records import CandidateResult, ExternalVerdict
from verifiers import Candidate, Stage, StageStatus, Verdict


class VerifierError(RuntimeError):
    """The verifier could not decide on a candidate (sandbox or toolchain trouble): not the candidate's fault."""


def judged(
    task: str,
    index: int,
    candidate: Candidate,
    verdict: Verdict,
    *,
    usage: Usage | None = None,
    generation: int = 0,
    external: ExternalVerdict | None = None,
    verdict_path: str | None = None,
) -> CandidateResult:
    """The row of ``candidate``, judged by ``verdict``."""
    failure = verdict.failure
    timing = verdict.timing
    compiled = any(s.stage is Stage.compile and s.status is StageStatus.passed for s in verdict.stages)
    return CandidateResult(
        task=task,
        index=index,
        digest=candidate.digest,
        origin=candidate.origin,
        generation=generation,
        compiled=compiled,
        accepted=verdict.accepted and timing is not None,
        failed_stage=failure.stage.value if failure is not None else None,
        reason=failure.reason if failure is not None else None,
        speedup=timing.speedup if timing else None,
        speedup_low=timing.speedup_low if timing else None,
        speedup_high=timing.speedup_high if timing else None,
        threads=timing.threads if timing else None,
        roofline_fraction=timing.roofline_fraction if timing else None,
        usage=usage or Usage(),
        external=external,
        verdict_path=verdict_path,
    )


def check_decided(verdict: Verdict) -> None:
    """Raise VerifierError when a stage of ``verdict`` could not run: the candidate must not count as failed."""
    failure = verdict.failure
    if failure is not None and failure.status is StageStatus.error:
        raise VerifierError(f"{failure.stage.value} stage could not run ({failure.reason}): {failure.feedback[:300]}")


def no_candidate(
    task: str, index: int, problem: str, *, usage: Usage | None = None, generation: int = 0
) -> CandidateResult:
    """The row of a proposal that gave no candidate (an unusable reply, a proposer out of ideas)."""
    return CandidateResult(
        task=task,
        index=index,
        generation=generation,
        failed_stage="proposal",
        reason="proposal.no_candidate",
        origin=problem[:200],
        usage=usage or Usage(),
    )


def best_of(results: list[CandidateResult]) -> CandidateResult | None:
    """The accepted candidate with the highest speedup (the higher lower bound breaks ties)."""
    accepted = [r for r in results if r.accepted and r.speedup is not None]
    return max(accepted, key=lambda r: (r.speedup, r.speedup_low or 0.0), default=None)
