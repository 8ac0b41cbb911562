"""The graph's state: plain JSON-friendly values, so that every checkpoint can be read back."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict


def add_usage(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    """Reducer summing usage counters."""
    total = dict(old or {})
    for key, value in (new or {}).items():
        total[key] = total.get(key, 0) + value
    return total


def add_records(old: list[dict[str, Any]] | None, new: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Reducer of verification records: appended, except that a record of a candidate already listed takes
    its place (the candidate was verified again after an environment error, see ``agents.graph.recheck``)."""
    records = list(old or [])
    where = {record["digest"]: index for index, record in enumerate(records) if record.get("digest")}
    for record in new or []:
        index = where.get(record.get("digest") or "")
        if index is None:
            records.append(record)
        else:
            records[index] = record
    return records


class SolveState(TypedDict, total=False):
    """Everything a run knows; list fields only grow, and records carry their round."""

    generation: int
    round: int
    """Increments at every fan-out of proposals (new generation or repair round)."""
    strategies: list[str]
    requests: list[dict[str, Any]]
    """Proposal requests of the next fan-out (replaced, not accumulated)."""
    to_verify: list[dict[str, Any]]
    """Proposal records of the current round whose candidates are new (replaced)."""
    proposals: Annotated[list[dict[str, Any]], operator.add]
    """One record per proposer answer: round, candidate (or problem), parent, repair_round."""
    results: Annotated[list[dict[str, Any]], add_records]
    """One record per candidate verified (or reply without one): round, candidate, verdict (or problem), parent,
    repair_round."""
    usage: Annotated[dict[str, Any], add_usage]
    islands: dict[str, Any]
    archive: dict[str, Any]
    best: dict[str, Any] | None
    """The champion (a ``Scored``); after a final, the finalist that won at the bench size."""
    finalists: list[dict[str, Any]]
    """Result records of the candidates that go to the final, the tournament's champion first (replaced)."""
    finals: Annotated[list[dict[str, Any]], add_records]
    """One record per finalist verified at the bench size."""
    stop_reason: str | None
    started: float
