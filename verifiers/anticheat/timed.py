"""Checks on the timing run: the candidate's timed results, and its time against the roofline.

The timing run is a never-seen instance at the benchmark size, with the reference run alongside:
its results are the expected ones. Floating-point results are compared with tolerances 1000 times
the task's (at least 1e-6 relative): rounding grows with size and parallel summation order, while a
table entry or a skipped computation is off by far more. When the timed results are wrong, one
call of the candidate in a fresh process on the same instance tells a kernel that is wrong on new
inputs (``precomputed``) from one that is only wrong when called repeatedly in the same buffers with
slightly changing inputs, as the timing driver does (``memoization``).
"""

from __future__ import annotations

import numpy as np

from sandbox import Sandbox
from tasks.compare import compare_array
from tasks.model import CompareMode, Comparison, KernelTask
from tasks.probe_harness import READONLY_EXIT
from verifiers.anticheat.findings import Cheat, Finding
from verifiers.anticheat.probe import run_single
from verifiers.timing.bundle import CANDIDATE, REFERENCE, Bundle
from verifiers.timing.measure import Measurement
from verifiers.timing.roofline import Roofline, roofline_fraction

TOLERANCE_SCALE = 1000.0
MIN_RTOL = 1e-6


def timed_rule(task: KernelTask, name: str) -> Comparison:
    """The comparison of result ``name`` at the timed size: the task's, loosened for floats."""
    rule = task.comparison(name)
    if rule.mode is CompareMode.exact or not task.signature.param(name).dtype.is_float:
        return rule
    return Comparison(mode=rule.mode, rtol=max(rule.rtol * TOLERANCE_SCALE, MIN_RTOL), atol=rule.atol * TOLERANCE_SCALE)


def result_mismatches(task: KernelTask, expected: dict[str, np.ndarray], actual: dict[str, np.ndarray]) -> list[str]:
    """Results of ``actual`` that differ from ``expected`` under :func:`timed_rule`."""
    problems = []
    for param in task.signature.results:
        got = actual.get(param.name)
        if got is None:
            problems.append(f"{param.name}: missing")
        elif message := compare_array(expected[param.name], got, timed_rule(task, param.name)):
            problems.append(f"{param.name}: {message}")
    return problems


def timed_result_findings(sandbox: Sandbox, bundle: Bundle, measurement: Measurement) -> list[Finding]:
    """The candidate's inputs and results in the timing run, against the originals and the reference's results."""
    task = measurement.instance.task
    if changed := measurement.changed_inputs.get(CANDIDATE):
        message = f"changed its input{'s' if len(changed) > 1 else ''} {', '.join(changed)} during the timing run"
        return [Finding(Cheat.out_of_bounds_write, message, "timed.inputs")]
    expected = measurement.results[REFERENCE]
    problems = result_mismatches(task, expected, measurement.results[CANDIDATE])
    if not problems:
        return []
    size = measurement.instance.size
    final = measurement.final_instance or measurement.instance
    single = run_single(sandbox, bundle, final, threads=measurement.threads, seed=measurement.sample_seed)
    if single.exit_code == READONLY_EXIT:
        message = (single.log.strip().splitlines() or ["wrote to a read-only input"])[-1].removeprefix("probe: ")
        return [Finding(Cheat.out_of_bounds_write, message, "timed.fresh_inputs")]
    alone = result_mismatches(task, expected, single.results.get("single", {}))
    if alone:
        message = f"wrong on never-seen inputs at size {size}, in a fresh process too: {'; '.join(alone)}"
        return [Finding(Cheat.precomputed, message, "timed.fresh_inputs")]
    message = (
        f"right when called once in a fresh process at size {size}, but wrong in the timing run, where it is "
        "called again and again in the same buffers while a few input elements change between calls: it "
        f"returns results remembered from earlier calls ({'; '.join(problems)})"
    )
    return [Finding(Cheat.memoization, message, "timed.results")]


def roofline_findings(measurement: Measurement, roofline: Roofline, slack: float) -> list[Finding]:
    """A median timed call faster than moving the declared bytes allows (over ``slack``): the work was not done.

    Only the memory side of the roofline counts here: the declared operations are those of the
    reference's algorithm, and a better algorithm may honestly need far fewer (an O(n log n)
    closest pair against the O(n^2) reference), but every correct kernel must read its inputs and
    write its outputs at least once.
    """
    instance = measurement.instance
    bound = roofline.memory_bound_s(instance.task, instance.symbols)
    candidate_s = float(np.median(measurement.times_ns[CANDIDATE])) / 1e9
    fraction = roofline_fraction(bound, candidate_s)
    if fraction <= slack:
        return []
    message = (
        f"a call takes {candidate_s * 1e6:.3g} us at size {instance.size}, but just moving the task's declared "
        f"{instance.task.work.bytes.evaluate(instance.symbols)} bytes takes at least {bound * 1e6:.3g} us on this "
        f"machine ({fraction:.1f}x the memory roofline): the work is not being done"
    )
    return [Finding(Cheat.beyond_roofline, message, "timed.roofline")]
