"""The offline proposer: OpenMP rewrites of the reference found by syntax analysis, no model needed.

It finds the outermost loops of the reference that can run in parallel (see
:mod:`tasks.codeanalysis.loops`), then emits one candidate per combination of pragma styles
(schedule, collapse and simd) and of the task's declared knobs (``#define NAME value`` in front of
the code), every knob setting of a style before the next style. ``request.sample`` rotates the
order so that parallel requests explore different combinations; candidates equal to an elite are
skipped.
"""

from __future__ import annotations

import itertools
from typing import TypeVar

from agents.budget import Usage
from agents.proposers import Proposal, ProposalRequest
from tasks.codeanalysis.loops import parallel_loops
from tasks.codeanalysis.openmp import PragmaStyle, apply_plans, private_arrays
from tasks.codeanalysis.syntax import find_function, parse_cpp
from tasks.model import KernelTask, Role
from verifiers import Candidate

_Item = TypeVar("_Item")
_BOTH = (False, True)

SCHEDULES = ("static", "dynamic,64", "guided", "static,1")
"""Schedules tried, cheapest first; ``static,1`` interleaves iterations for triangular work."""


class OfflineProposer:
    """Candidates from syntactic OpenMP transformations of the reference (and of parents)."""

    name = "offline"

    def plan(self, task: KernelTask, count: int) -> tuple[list[str], Usage]:
        """The knob combinations, as strategies."""
        return [f"parallelize the independent loops with {style.label}" for style in styles()[:count]], Usage()

    def propose(self, request: ProposalRequest) -> list[Proposal]:
        """Up to ``request.count`` distinct rewrites of the reference that are not already elites."""
        task = request.task
        source = task.reference.cpp
        function = find_function(parse_cpp(source), task.signature.function)
        plans = parallel_loops(function) if function is not None else []
        if not plans:
            return []
        seen = {elite.candidate.digest for elite in request.elites}
        found: list[Proposal] = []
        lengths = array_lengths(task)
        privatizes = any(private_arrays(plan, PragmaStyle(private_arrays=True), lengths) for plan in plans)
        usable = [style for style in styles() if privatizes or not style.private_arrays]
        combinations = list(itertools.product(usable, knob_settings(task)))
        for style, knobs in _rotate(combinations, request.sample):
            defines = "".join(f"#define {name} {value}\n" for name, value in knobs.items())
            label = " ".join([style.label, *(f"{name}={value}" for name, value in knobs.items())])
            rewritten = apply_plans(source, plans, style, lengths)
            candidate = Candidate(source=defines + rewritten, origin=f"offline: {label}")
            if candidate.digest not in seen:
                seen.add(candidate.digest)
                found.append(Proposal(candidate=candidate))
            if len(found) >= request.count:
                break
        return found


def styles() -> list[PragmaStyle]:
    """Every pragma style, the plainest first (private arrays first: they beat atomics where they apply)."""
    return [
        PragmaStyle(schedule=schedule, collapse=collapse, simd=simd, private_arrays=private)
        for private, simd, collapse, schedule in itertools.product(
            (True, False), (False, True), (False, True), SCHEDULES
        )
    ]


def array_lengths(task: KernelTask) -> dict[str, int]:
    """Output arrays of a constant length (``shape: 256``), by name: those may get private copies."""
    return {
        param.name: param.shape.evaluate({})
        for param in task.signature.params
        if param.shape is not None and not param.shape.symbols and param.role in (Role.output, Role.inout)
    }


def knob_settings(task: KernelTask) -> list[dict[str, int]]:
    """Every combination of the task's knob values (one empty setting for a task without knobs)."""
    names = sorted(task.knobs)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*(task.knobs[n] for n in names))]


def _rotate(items: list[_Item], start: int) -> list[_Item]:
    start %= len(items)
    return items[start:] + items[:start]
