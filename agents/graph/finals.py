"""The final: a tournament screened at the task's screen size is decided at its bench size.

Every candidate of a screened run is timed at ``sizes.screen`` (about a tenth of the bench work), which
is enough to rank candidates and tell the hopeless from the promising. Node ``finalists`` takes the
champion and the next fastest candidates (``SolveConfig.finalists`` in all); each is timed again at the
bench size and its timed results checked there (node ``final``, fanned out with Send: the timing and
anti-cheat stages, ``verifiers.timed_stages``; its other stages' results carry over), every finalist
but the leader timed in the same job as the leader; node ``crown`` makes the best of them the champion
the run publishes (after ``final_recheck``, see :mod:`agents.graph.recheck`). A finalist that fails at
the bench size is out. A run that was not screened (the task has no screen size, the settings turn
screening off or fix a timing size) skips the final.
"""

from __future__ import annotations

from typing import Any

from langgraph.types import Send

from agents.graph.records import accepted, scored_of
from agents.graph.runtime import SolveRuntime
from agents.graph.state import SolveState
from agents.selection.scored import Scored
from agents.selection.tournament import champion


class Finalists:
    """Node ``finalists``: the champion first, then the fastest other accepted candidates."""

    def __init__(self, runtime: SolveRuntime) -> None:
        self.runtime = runtime

    def __call__(self, state: SolveState) -> dict[str, Any]:
        best = state.get("best")
        if best is None or not self.runtime.config.verify_settings().timing.screening(self.runtime.task):
            return {"finalists": []}
        leader = Scored.model_validate(best).digest
        records: dict[str, dict[str, Any]] = {}
        for record in state.get("results", []):
            if accepted(record):
                records.setdefault(record["digest"], record)
        others = sorted((r for d, r in records.items() if d != leader), key=lambda r: -scored_of(r).timing.speedup)
        finalists = [records[leader], *others] if leader in records else others
        return {"finalists": finalists[: self.runtime.config.finalists]}


def final_payloads(state: SolveState) -> list[dict[str, Any]]:
    """The payloads of the ``final`` fan-out: every finalist, each but the leader timed against the leader."""
    finalists = state.get("finalists", [])
    if not finalists:
        return []
    leader = finalists[0]["candidate"]
    return [{"record": finalists[0], "best": None}] + [{"record": record, "best": leader} for record in finalists[1:]]


def after_finalists(state: SolveState) -> list[Send] | str:
    """Fan the finalists out to ``final``; or go to publish when there are none."""
    return [Send("final", payload) for payload in final_payloads(state)] or "publish"


class Crown:
    """Node ``crown``: the finalist that wins at the bench size becomes the run's champion (None if all failed)."""

    def __init__(self, runtime: SolveRuntime) -> None:
        self.runtime = runtime

    def __call__(self, state: SolveState) -> dict[str, Any]:
        order = [r["digest"] for r in state.get("finalists", [])]
        passed = sorted((r for r in state.get("finals", []) if accepted(r)), key=lambda r: order.index(r["digest"]))
        winner = champion([scored_of(r) for r in passed])
        return {"best": winner.model_dump(mode="json") if winner is not None else None}
