"""Deciding which of two verified candidates is better, without mistaking noise for speed.

A candidate beats another only when the difference is significant at the verifier's confidence
level: when both were timed in the same job (the newer one against the current best), the
interval of their direct speedup ratio must exclude 1; otherwise their speedup intervals against
the reference must not overlap. When neither wins significantly, the simpler (smaller) one wins,
and on equal size the earlier one stays.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from agents.selection.scored import Scored


def significantly_faster(a: Scored, b: Scored) -> bool:
    """Whether ``a`` is faster than ``b`` beyond measurement noise."""
    if a.timed_against == b.digest and a.timing.speedup_vs_best_low is not None:
        return a.timing.speedup_vs_best_low > 1.0
    if b.timed_against == a.digest and b.timing.speedup_vs_best_high is not None:
        return b.timing.speedup_vs_best_high < 1.0
    return a.timing.speedup_low > b.timing.speedup_high


def better(a: Scored, b: Scored) -> Scored:
    """The winner of a match between ``a`` and ``b``."""
    if significantly_faster(a, b):
        return a
    if significantly_faster(b, a):
        return b
    return a if a.size <= b.size else b


def champion(entries: Sequence[Scored]) -> Scored | None:
    """The winner of successive matches over ``entries`` (in the order given)."""
    winner: Scored | None = None
    for entry in entries:
        winner = entry if winner is None else better(winner, entry)
    return winner


def tournament(entries: Sequence[Scored], size: int, rng: random.Random) -> Scored:
    """A parent chosen by a tournament among ``size`` entries drawn at random."""
    contestants = rng.sample(list(entries), min(size, len(entries)))
    winner = champion(contestants)
    assert winner is not None  # entries is not empty
    return winner
