"""Node ``select``: this generation's verified candidates enter the islands and the archive; the champion is kept."""

from __future__ import annotations

from typing import Any

from agents.graph.requests import scored_results
from agents.graph.runtime import SolveRuntime
from agents.graph.state import SolveState
from agents.selection.archive import Archive
from agents.selection.islands import Islands
from agents.selection.scored import Scored
from agents.selection.tournament import better


class Select:
    def __init__(self, runtime: SolveRuntime) -> None:
        self.runtime = runtime

    def __call__(self, state: SolveState) -> dict[str, Any]:
        config = self.runtime.config
        generation = state["generation"]
        islands = Islands.model_validate(state["islands"]) if state.get("islands") else Islands.create(config.islands)
        archive = Archive.model_validate(state["archive"]) if state.get("archive") else Archive()
        islands_of = {r.get("digest"): r.get("island", 0) for r in state.get("results", [])}
        best = Scored.model_validate(state["best"]) if state.get("best") else None
        for entry in scored_results(dict(state), generation):
            islands.add(islands_of.get(entry.digest, 0), entry)
            archive.add(entry)
            best = entry if best is None else better(best, entry)
        if generation % config.migration_every == 0:
            islands.migrate()
        return {
            "islands": islands.model_dump(mode="json"),
            "archive": archive.model_dump(mode="json"),
            "best": best.model_dump(mode="json") if best is not None else None,
        }
