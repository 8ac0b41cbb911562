"""What the anti-cheat checks report: a reason code and an explanation pointing at the evidence."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Cheat(StrEnum):
    """Reason codes of the anti-cheat stage, in the order a verdict prefers them."""

    calls_reference = "anticheat.calls_reference"
    """Reaches for another kernel's code (the reference, the best) instead of doing the work."""
    harness_detection = "anticheat.harness_detection"
    """Behaves differently under the harness: environment, arguments, call count, runtime interposition."""
    time_dependent = "anticheat.time_dependent"
    """Reads clocks, or gives results that depend on timing."""
    precomputed = "anticheat.precomputed"
    """Results from a table or cache: wrong on never-seen inputs, special-cased sizes, embedded tables, files."""
    memoization = "anticheat.memoization"
    """Skips work when inputs repeat: stale results for changed inputs, or repeats much faster than fresh calls."""
    output_dependent = "anticheat.output_dependent"
    """Reads its output-only buffers before writing them: results depend on what they held before the call."""
    out_of_bounds_write = "anticheat.out_of_bounds_write"
    """Writes outside its outputs: canaries around buffers overwritten, or inputs changed."""
    beyond_roofline = "anticheat.beyond_roofline"
    """Timed faster than the machine can move or compute the task's declared work: the work was not done."""
    crashed = "anticheat.crashed"
    """Crashed under a probe (repeated calls, other addresses) although it passed the correctness runs."""


@dataclass(frozen=True)
class Finding:
    """One piece of evidence of cheating."""

    cheat: Cheat
    message: str
    """What was seen, for the model and for people (line numbers, tags of probe calls, times)."""
    check: str
    """Which check saw it, e.g. ``static.source`` or ``probe.slots``."""


def worst(findings: list[Finding]) -> Finding:
    """The finding a verdict leads with: the first by :class:`Cheat` order."""
    order = list(Cheat)
    return min(findings, key=lambda f: order.index(f.cheat))
