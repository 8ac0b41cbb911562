"""Nodes ``verify`` and ``final`` (fanned out with Send): the verification cascade on one candidate."""

from __future__ import annotations

from typing import Any

from agents.graph.runtime import SolveRuntime
from agents.graph.state import SolveState
from verifiers import Candidate, Verdict


def verify_payloads(state: SolveState) -> list[dict[str, Any]]:
    """The payloads of a round's ``verify`` fan-out: each new candidate, timed alongside the champion."""
    best = state.get("best")
    return [{"record": record, "best": best["candidate"] if best else None} for record in state.get("to_verify", [])]


class Verify:
    """Verifies one candidate, timing it alongside the payload's best candidate when there is one.

    With ``final``, the candidate is a finalist: it is timed at the bench size (``runtime.verify_final`` runs the
    timing and anti-cheat stages again; the others' results come from its tournament verdict),
    its logs and verdict are kept apart from its tournament ones, and its record goes to ``finals``.
    """

    def __init__(self, runtime: SolveRuntime, *, final: bool = False) -> None:
        self.runtime = runtime
        self.final = final

    def __call__(self, payload: dict[str, Any]) -> dict[str, Any]:
        record = payload["record"]
        candidate = Candidate.model_validate(record["candidate"])
        best = Candidate.model_validate(payload["best"]) if payload.get("best") else None
        where = self.runtime.run.candidate_dir(candidate)
        if self.final:  # only the stages that depend on the timed size run again
            screen = Verdict.model_validate(record["verdict"])
            verdict = self.runtime.verify_final(candidate, best, where / "final-logs").after(screen)
        else:
            verdict = self.runtime.verify(candidate, best, where / "logs")
        self.runtime.run.record(candidate, verdict, final=self.final)
        timed_against = best.digest if best is not None and verdict.timing and verdict.timing.best_s else None
        result = {**record, "verdict": verdict.model_dump(mode="json"), "timed_against": timed_against}
        if self.final:
            return {"finals": [{**result, "screen_verdict": record["verdict"]}]}
        return {"results": [result]}
