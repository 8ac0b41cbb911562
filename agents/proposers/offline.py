"""The offline proposer: OpenMP rewrites of the reference found by syntax analysis, no model needed.

It finds the outermost loops of the reference that can run in parallel (see
:mod:`agents.codeanalysis.loops`), then emits one candidate per combination of pragma knobs:
schedule, collapse and simd. Parents given in the request are re-tuned the same way, so a
later generation explores the knobs around the best candidates found so far.
"""

from __future__ import annotations

import itertools

from agents.codeanalysis.loops import parallel_loops
from agents.codeanalysis.openmp import PragmaStyle, apply_plans
from agents.codeanalysis.syntax import find_function, parse_cpp
from agents.proposers import ProposalRequest
from verifiers.candidate import Candidate

SCHEDULES = ("static", "dynamic,64", "guided", "static,1")
"""Schedules tried, cheapest first; ``static,1`` interleaves iterations for triangular work."""


class OfflineProposer:
    """Candidates from syntactic OpenMP transformations of the reference (and of parents)."""

    name = "offline"

    def propose(self, request: ProposalRequest) -> list[Candidate]:
        """Up to ``request.count`` distinct rewrites not seen among the parents."""
        task = request.task
        bases = [task.reference.cpp] + [p.source for p in request.parents if "#pragma omp" not in p.source]
        seen = {p.digest for p in request.parents}
        found: list[Candidate] = []
        for base, style in itertools.product(bases, styles()):
            tree = parse_cpp(base)
            function = find_function(tree, task.signature.function)
            if function is None:
                continue
            plans = parallel_loops(function)
            if not plans:
                continue
            candidate = Candidate(source=apply_plans(base, plans, style), origin=f"offline: {style.label}")
            if candidate.digest not in seen:
                seen.add(candidate.digest)
                found.append(candidate)
            if len(found) >= request.count:
                break
        return found


def styles() -> list[PragmaStyle]:
    """Every knob combination, the plainest first."""
    return [
        PragmaStyle(schedule=schedule, collapse=collapse, simd=simd)
        for simd, collapse, schedule in itertools.product((False, True), (False, True), SCHEDULES)
    ]
