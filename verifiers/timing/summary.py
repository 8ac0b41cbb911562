"""Turning a timing run into the verdict's :class:`~verifiers.verdict.Timing`."""

from __future__ import annotations

import numpy as np

from tasks.model import size_text
from verifiers.timing.bundle import BEST, CANDIDATE, REFERENCE
from verifiers.timing.measure import Measurement
from verifiers.timing.roofline import Roofline, roofline_fraction
from verifiers.timing.stats import ratio_of_medians
from verifiers.verdict import Timing


def summarize(measurement: Measurement, roofline: Roofline | None, *, confidence: float, resamples: int) -> Timing:
    """Medians, the speedup over the reference (and over the best) with intervals, and the roofline fraction."""
    times = {k: series / 1e9 for k, series in measurement.times_ns.items()}
    candidate = times[CANDIDATE]
    speedup = ratio_of_medians(times[REFERENCE], candidate, confidence=confidence, resamples=resamples)
    candidate_s = float(np.median(candidate))
    timing = Timing(
        size=measurement.instance.size,
        threads=measurement.threads,
        candidate_s=candidate_s,
        reference_s=float(np.median(times[REFERENCE])),
        speedup=speedup.estimate,
        speedup_low=speedup.low,
        speedup_high=speedup.high,
        samples=len(candidate),
    )
    if roofline is not None:
        bound = roofline.bound_s(measurement.instance.task, measurement.instance.symbols)
        timing.roofline_fraction = roofline_fraction(bound, candidate_s)
    if BEST in times:
        versus_best = ratio_of_medians(times[BEST], candidate, confidence=confidence, resamples=resamples)
        timing.best_s = float(np.median(times[BEST]))
        timing.speedup_vs_best_low = versus_best.low
        timing.speedup_vs_best_high = versus_best.high
    return timing


def describe(timing: Timing) -> str:
    """One line for people and models, e.g. ``3.10x [2.95, 3.22] faster than the reference ...``."""
    size = size_text(timing.size)
    text = (
        f"{timing.speedup:.2f}x [{timing.speedup_low:.2f}, {timing.speedup_high:.2f}] the reference's speed "
        f"at {size} with {timing.threads} threads ({timing.candidate_s * 1e3:.3g} ms vs "
        f"{timing.reference_s * 1e3:.3g} ms, {timing.samples} interleaved samples)"
    )
    if timing.roofline_fraction is not None:
        text += f"; {timing.roofline_fraction:.1%} of the machine's roofline"
    if timing.best_s is not None:
        text += f"; vs the current best: [{timing.speedup_vs_best_low:.2f}, {timing.speedup_vs_best_high:.2f}]x"
    return text
