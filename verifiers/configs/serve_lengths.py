"""Request lengths of a serving workload: the cap of a length distribution and equally likely samples of it.

The samples are the distribution's quantiles at the midpoints of ``points`` equal probability bins, capped
at :func:`length_cap`; averages over them stand in for expectations (mean prefill time, its second
moment in the queueing formula).
"""

from __future__ import annotations

import math
from statistics import NormalDist

from tasks.configs.model import LengthDistribution
from verifiers.configs.serve_constants import serving_constants

QUANTILE_POINTS = 64
"""Number of equally likely samples that stand in for a length distribution."""


def _lognormal_mu(dist: LengthDistribution) -> float:
    return math.log(dist.mean) - dist.sigma**2 / 2


def _quantile(dist: LengthDistribution, probability: float) -> float:
    if dist.kind == "fixed":
        return dist.mean
    if dist.kind == "uniform":
        assert dist.low is not None and dist.high is not None  # checked by LengthDistribution
        return dist.low + probability * (dist.high - dist.low)
    return math.exp(_lognormal_mu(dist) + dist.sigma * NormalDist().inv_cdf(probability))


def length_cap(dist: LengthDistribution) -> int:
    """The longest request: ``max`` when given, else ``high`` (uniform), ``mean`` (fixed), or a high quantile."""
    if dist.max is not None:
        return dist.max
    return max(1, math.ceil(_quantile(dist, serving_constants().length_quantile_without_max)))


def length_samples(dist: LengthDistribution, points: int = QUANTILE_POINTS) -> list[float]:
    """``points`` equally likely lengths of ``dist``, each at least 1 and at most :func:`length_cap`."""
    cap = length_cap(dist)
    return [min(cap, max(1.0, _quantile(dist, (index + 0.5) / points))) for index in range(points)]


def mean_length(dist: LengthDistribution) -> float:
    """The mean length after capping (what the engine really sees on average)."""
    samples = length_samples(dist)
    return sum(samples) / len(samples)
