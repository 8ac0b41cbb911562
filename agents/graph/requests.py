"""Building the proposal requests of a generation or of a repair round (as plain dicts)."""

from __future__ import annotations

from typing import Any

from agents.graph.records import accepted, failure_text, scored_of, verifier_failed
from agents.graph.runtime import SolveRuntime
from agents.proposers import Elite
from agents.selection.archive import Archive
from agents.selection.islands import Islands
from agents.selection.scored import Scored

TEMPERATURES = (0.2, 0.6, 1.0)
ELITES_SHOWN = 3


def _elite(entry: Scored) -> dict[str, Any]:
    timing = entry.timing
    return Elite(
        candidate=entry.candidate,
        speedup=timing.speedup,
        speedup_low=timing.speedup_low,
        speedup_high=timing.speedup_high,
    ).model_dump(mode="json")


def generation_requests(runtime: SolveRuntime, state: dict[str, Any]) -> list[dict[str, Any]]:
    """One request per member of the next generation, spread over strategies, temperatures and islands."""
    config = runtime.config
    generation = state["generation"]
    strategies = state.get("strategies") or [None]
    islands = Islands.model_validate(state["islands"]) if state.get("islands") else None
    archive = Archive.model_validate(state["archive"]) if state.get("archive") else None
    requests = []
    for index in range(config.population):
        elites: list[Scored] = []
        if islands is not None:
            population = islands.populations[index % len(islands.populations)]
            elites = sorted(population, key=lambda e: -e.timing.speedup)[:ELITES_SHOWN]
        if archive is not None and len(elites) < ELITES_SHOWN:
            known = {e.digest for e in elites}
            extra = [e for e in archive.elites() if e.digest not in known]
            elites += sorted(extra, key=lambda e: -e.timing.speedup)[: ELITES_SHOWN - len(elites)]
        requests.append(
            {
                "strategy": strategies[index % len(strategies)],
                "temperature": TEMPERATURES[index % len(TEMPERATURES)],
                "sample": (generation - 1) * config.population + index,
                "elites": [_elite(e) for e in elites],
                "island": index % config.islands,
                "parent": elites[0].digest if elites else None,
                "repair_round": 0,
            }
        )
    return requests


def repair_requests(runtime: SolveRuntime, state: dict[str, Any]) -> list[dict[str, Any]]:
    """One request per failed candidate of the current round that may still be repaired."""
    if not runtime.repairs:
        return []
    current = state["round"]
    requests = []
    for index, record in enumerate(r for r in state.get("results", []) if r["round"] == current):
        if accepted(record) or verifier_failed(record) or record["repair_round"] >= runtime.config.repair_rounds:
            continue  # a verifier's failure is no feedback on the code: nothing to repair
        attempt = record.get("candidate")
        if attempt is None and record.get("reply"):
            attempt = {"source": record["reply"], "origin": "unusable reply"}
        if attempt is None:
            continue  # the model was unreachable: nothing to repair
        requests.append(
            {
                "repair_of": attempt,
                "reply": record.get("reply"),
                "feedback": failure_text(record),
                "temperature": TEMPERATURES[0],
                "sample": 10_000 * current + index,
                "island": record.get("island", 0),
                "parent": record.get("digest"),
                "repair_round": record["repair_round"] + 1,
                "elites": [],
                "strategy": None,
            }
        )
    return requests


def scored_results(state: dict[str, Any], generation: int | None = None) -> list[Scored]:
    """Accepted, timed results (of one generation when given)."""
    return [
        scored_of(r)
        for r in state.get("results", [])
        if accepted(r) and (generation is None or r["generation"] == generation)
    ]
