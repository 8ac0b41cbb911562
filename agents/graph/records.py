"""Reading the records the graph keeps in its state."""

from __future__ import annotations

from typing import Any

from agents.selection.scored import Scored
from verifiers import Candidate, StageStatus, Verdict


def candidate_of(record: dict[str, Any]) -> Candidate:
    return Candidate.model_validate(record["candidate"])


def verdict_of(record: dict[str, Any]) -> Verdict | None:
    return Verdict.model_validate(record["verdict"]) if record.get("verdict") else None


def accepted(record: dict[str, Any]) -> bool:
    """A verification record whose candidate passed every stage and was timed."""
    verdict = verdict_of(record)
    return verdict is not None and verdict.accepted and verdict.timing is not None


def verifier_failed(record: dict[str, Any]) -> bool:
    """A verification record that the verifier could not decide (sandbox or toolchain trouble, not the code)."""
    verdict = verdict_of(record)
    failure = verdict.failure if verdict is not None else None
    return failure is not None and failure.status is StageStatus.error


def scored_of(record: dict[str, Any]) -> Scored:
    verdict = verdict_of(record)
    assert verdict is not None and verdict.timing is not None
    return Scored(
        candidate=candidate_of(record),
        timing=verdict.timing,
        generation=record["generation"],
        parent=record.get("parent"),
        timed_against=record.get("timed_against"),
    )


def failure_text(record: dict[str, Any]) -> str:
    """What went wrong, for a repair prompt."""
    verdict = verdict_of(record)
    if verdict is not None:
        return verdict.feedback()
    return record.get("problem") or "unknown failure"


def failed_stage(record: dict[str, Any]) -> str | None:
    """The stage that rejected the record's candidate (``proposal`` when no candidate came out)."""
    verdict = verdict_of(record)
    if verdict is None:
        return "proposal"
    failure = verdict.failure
    return failure.stage.value if failure is not None else None


def failures_by_stage(results: list[dict[str, Any]]) -> dict[str, int]:
    """How many records each stage rejected (``proposal`` for replies that gave no candidate)."""
    failures: dict[str, int] = {}
    for record in results:
        stage = failed_stage(record)
        if stage is not None:
            failures[stage] = failures.get(stage, 0) + 1
    return failures
