"""Metrics of an evaluation run: build@k, pass@k, speedup_n@k, efficiency_n@k, fast_p, geometric-mean speedup.

The estimators follow the papers that introduced them:

* pass@k and build@k: the unbiased estimator of Chen et al. 2021, "Evaluating Large Language Models Trained on
  Code" (arXiv:2107.03374), in its numerically stable product form.
* speedup_n@k and efficiency_n@k: Nichols et al. 2024, "Can Large Language Models Write Parallel Code?"
  (ParEval, HPDC'24, arXiv:2401.12554); see :func:`speedup_at_k` for how this module reads them.
* fast_p: Ouyang et al. 2025, "KernelBench: Can LLMs Write Efficient GPU Kernels?" (arXiv:2502.10517),
  ``fastp`` in KernelBench's ``src/score.py``.

:func:`suite_metrics` turns an :class:`~evals.records.EvalResults` into the headline :class:`SuiteMetrics`, and
:func:`compare_tasks` lines two runs up task by task.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agents.budget import Usage
from evals.records import CandidateResult, EvalResults, TaskResult, TaskStatus

FAST_P_THRESHOLDS = (0.0, 1.0, 1.5, 2.0)


class Interval(BaseModel):
    """A point estimate with its confidence interval."""

    model_config = ConfigDict(extra="forbid")

    value: float
    low: float
    high: float


class ExternalAgreement(BaseModel):
    """How ParaForge's verdicts compare with a benchmark's own verdicts on the same recorded answers."""

    model_config = ConfigDict(extra="forbid")

    source: str
    both_accept: int = 0
    both_reject: int = 0
    benchmark_only_accepts: int = 0
    """Answers the benchmark scored valid that ParaForge rejected (races, UB, cheats, ...)."""
    paraforge_only_accepts: int = 0
    rejections_by_reason: dict[str, int] = Field(default_factory=dict)
    """Why ParaForge rejected answers the benchmark scored valid."""


class SuiteMetrics(BaseModel):
    """The headline figures of one run."""

    model_config = ConfigDict(extra="forbid")

    tasks: int
    solved: int
    errors: int
    ks: list[int]
    build_at_k: dict[int, float]
    pass_at_k: dict[int, float]
    speedup_at_k: dict[int, float]
    """ParEval's speedup_n@k, n = the threads the candidates were timed at."""
    efficiency_at_k: dict[int, float]
    threads: int | None
    """The n of speedup_n@k (None when nothing was timed)."""
    fast_p: dict[float, float]
    """KernelBench's fast_p on point estimates, per threshold p."""
    verified_fast_p: dict[float, float]
    """fast_p counting only speedups whose interval's lower end exceeds p."""
    geomean_speedup: Interval | None
    """Geometric mean of the solved tasks' winners' speedups, with a bootstrap interval over tasks."""
    mean_roofline_fraction: float | None
    prompt_tokens: int
    completion_tokens: int
    cost: float
    cost_per_task: float
    cost_per_solved: float | None
    tokens_per_task: float
    tokens_per_solved: float | None
    failures_by_stage: dict[str, int]
    failures_by_reason: dict[str, int]
    external: list[ExternalAgreement] = Field(default_factory=list)


class TaskDelta(BaseModel):
    """One task of two runs side by side (``agent report A B``)."""

    model_config = ConfigDict(extra="forbid")

    task: str
    status_a: TaskStatus | None
    """The task's status in run A (None when A does not have the task)."""
    status_b: TaskStatus | None
    speedup_a: float | None
    speedup_b: float | None
    ratio: float | None
    """``speedup_b / speedup_a`` when the task is solved in both runs."""
    significant: bool
    """The two speedup intervals do not overlap (False when either run has no interval)."""


# ---------------------------------------------------------------------------------------------------------------
# Per-task estimators
# ---------------------------------------------------------------------------------------------------------------


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased pass@k estimator of Chen et al. 2021 (arXiv:2107.03374, eq. 1 and Fig. 3).

    ``1 - C(n-c, k) / C(n, k)``, the probability that at least one of ``k`` samples drawn without replacement
    from ``n`` (of which ``c`` pass) passes, computed as ``1 - prod_{i=n-c+1}^{n} (1 - k/i)`` so that no
    binomial coefficient is formed. build@k is the same estimator with ``c`` = the candidates that compiled.

    Args:
        n: Samples drawn for the task.
        c: Samples that passed.
        k: Samples the metric assumes one would draw.

    Returns:
        The estimate, in [0, 1]; 1.0 when ``n - c < k`` (every draw of ``k`` holds a passing sample).

    Raises:
        ValueError: ``k < 1``, ``k > n``, ``c < 0`` or ``c > n``.
    """
    if k < 1 or c < 0 or c > n:
        raise ValueError(f"pass@k needs k >= 1 and 0 <= c <= n (got n={n}, c={c}, k={k})")
    if k > n:
        raise ValueError(f"pass@k needs k <= n (got n={n}, k={k})")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def speedup_at_k(speedups: Sequence[float], k: int) -> float:
    """ParEval's speedup_n@k for one task: the expected best speedup among ``k`` of the ``N`` samples.

    Definition followed (Nichols et al. 2024, "Can Large Language Models Write Parallel Code?", HPDC'24,
    arXiv:2401.12554, the speedup_n@k formula): with the ``N`` samples' speedups sorted ascending,
    ``s_1 <= ... <= s_N``,

        speedup_n@k = sum_{j=1}^{N} C(j-1, k-1) / C(N, k) * s_j

    which is ``E[max of k samples drawn without replacement]``: ``C(j-1, k-1) / C(N, k)`` is the probability that
    ``s_j`` is the largest of the ``k`` drawn. The suite value is the mean over tasks. An incorrect sample is
    passed in as speedup 0, so ``N`` counts every sample drawn.

    Where this differs from ParEval's released ``analysis/metrics.py`` (``_speedupk``): that code keeps only the
    valid samples (``N`` = valid samples rather than samples drawn), sorts *runtimes* ascending (so the largest
    weight lands on the slowest sample) and its ``nCr`` returns 1 when ``n < r``. This function implements the
    expected-maximum reading above, with ``math.comb`` (0 when ``j - 1 < k - 1``).

    Args:
        speedups: One speedup per sample (0 for an incorrect sample).
        k: Samples drawn.

    Returns:
        The expected maximum speedup of ``k`` samples: the mean for ``k = 1``, the maximum for ``k = N``.

    Raises:
        ValueError: ``k < 1``, ``k > N`` or a negative speedup.
    """
    count = len(speedups)
    if k < 1 or k > count:
        raise ValueError(f"speedup@k needs 1 <= k <= N (got N={count}, k={k})")
    if any(s < 0 for s in speedups):
        raise ValueError("speedups must be >= 0 (an incorrect sample counts as 0)")
    draws = math.comb(count, k)
    ordered = sorted(speedups)
    return sum(math.comb(j - 1, k - 1) / draws * s for j, s in enumerate(ordered, start=1))


def efficiency_at_k(speedups: Sequence[float], k: int, threads: int) -> float:
    """ParEval's efficiency_n@k for one task: speedup_n@k divided by the ``n`` resources (here threads).

    Nichols et al. 2024 (arXiv:2401.12554) define efficiency_n@k as speedup_n@k with each sample's speedup divided
    by the resources ``n`` (threads, processes) it ran on, as ParEval's ``_efficiencyk`` in ``analysis/metrics.py``
    does; with one ``n`` for all samples that is ``speedup_n@k / n``.

    Args:
        speedups: One speedup per sample (0 for an incorrect sample).
        k: Samples drawn.
        threads: The ``n`` the samples were timed at.

    Returns:
        The expected parallel efficiency of the best of ``k`` samples.

    Raises:
        ValueError: ``threads < 1``, or as :func:`speedup_at_k`.
    """
    if threads < 1:
        raise ValueError(f"threads must be >= 1 (got {threads})")
    return speedup_at_k(speedups, k) / threads


def fast_p(outcomes: Sequence[tuple[bool, float | None]], p: float) -> float:
    """KernelBench's fast_p (Ouyang et al. 2025, arXiv:2502.10517, Sec. 3; ``fastp`` in ``src/score.py``).

    The fraction of problems whose result is correct and whose speedup over the reference is strictly greater
    than ``p``. fast_0 is the correctness rate: for ``p = 0`` every correct result counts, even one recorded
    without a speedup; for ``p > 0`` a correct result without a speedup does not count.

    Args:
        outcomes: One ``(correct, speedup)`` per problem.
        p: The speedup threshold, >= 0.

    Returns:
        The fraction in [0, 1]; 0.0 when there are no outcomes (as KernelBench's ``fastp`` with ``n = 0``).

    Raises:
        ValueError: ``p < 0``.
    """
    if p < 0:
        raise ValueError(f"fast_p needs p >= 0 (got {p})")
    if not outcomes:
        return 0.0
    return sum(_is_fast(correct, speedup, p) for correct, speedup in outcomes) / len(outcomes)


def verified_fast_p(outcomes: Sequence[tuple[bool, float | None]], p: float) -> float:
    """fast_p on the lower end of each speedup's confidence interval instead of its point estimate.

    A problem counts when its result is correct and the interval's lower end exceeds ``p``, so a speedup that is
    within timing noise of ``p`` does not count. For ``p = 0`` this equals the correctness rate, like fast_0.

    Args:
        outcomes: One ``(correct, speedup_low)`` per problem.
        p: The speedup threshold, >= 0.

    Returns:
        The fraction in [0, 1]; 0.0 when there are no outcomes.

    Raises:
        ValueError: ``p < 0``.
    """
    return fast_p(outcomes, p)


def _is_fast(correct: bool, speedup: float | None, p: float) -> bool:
    if not correct:
        return False
    return p == 0 or (speedup is not None and speedup > p)


def geometric_mean_interval(
    speedups: Sequence[float], confidence: float = 0.95, resamples: int = 4000, seed: int = 0
) -> Interval:
    """Geometric mean of ``speedups`` with a percentile bootstrap interval over the items.

    The items are resampled with replacement ``resamples`` times (numpy ``default_rng(seed)``, so the result is
    deterministic); the interval is the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` percentiles of the
    resampled geometric means, widened if needed so that it holds the point estimate. One item gives
    ``low = high = value``.

    Args:
        speedups: Positive values, one per item (task).
        confidence: Coverage of the interval, in (0, 1).
        resamples: Bootstrap resamples, >= 1.
        seed: Seed of the resampling.

    Returns:
        The geometric mean and its interval.

    Raises:
        ValueError: No items, an item <= 0, ``confidence`` outside (0, 1) or ``resamples < 1``.
    """
    if not speedups:
        raise ValueError("geometric mean of no items")
    if any(s <= 0 for s in speedups):
        raise ValueError("geometric mean needs positive values")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1) (got {confidence})")
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1 (got {resamples})")
    if len(speedups) == 1:
        value = float(speedups[0])
        return Interval(value=value, low=value, high=value)
    logs = np.log(np.asarray(speedups, dtype=float))
    value = float(np.exp(logs.mean()))
    rng = np.random.default_rng(seed)
    means = logs[rng.integers(0, len(logs), size=(resamples, len(logs)))].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.exp(np.percentile(means, [tail, 100 - tail]))
    return Interval(value=value, low=min(float(low), value), high=max(float(high), value))


# ---------------------------------------------------------------------------------------------------------------
# A whole run
# ---------------------------------------------------------------------------------------------------------------


def default_ks(samples: int) -> list[int]:
    """``[1, 5, 10, 15, ...]`` up to ``samples`` (always at least ``[1]``)."""
    return [1, *range(5, samples + 1, 5)]


def suite_metrics(results: EvalResults, ks: Sequence[int] | None = None) -> SuiteMetrics:
    """The headline metrics of a run: counts, usage and cost over every task that was not skipped (config tasks
    too), the candidate metrics over its ``kernel`` tasks.

    Per task, with ``n`` its candidates: pass@k takes ``c`` = accepted candidates, build@k ``c`` = compiled ones,
    speedup_n@k each candidate's ``speedup`` when accepted and 0 otherwise, and efficiency_n@k that divided by
    ``threads`` (the most common ``threads`` among accepted candidates, the larger on a tie; with no such value,
    efficiency is left empty). The suite value of each is the mean over tasks.

    Which tasks count for a given ``k``: a task with fewer than ``k`` candidates is left out of that ``k``'s mean
    (the estimators need ``k <= n``), and a task with status ``error`` counts as 0 for every ``k``. A ``k`` for
    which no task other than error tasks has ``k`` candidates is dropped from ``ks`` and from the per-k dicts.

    fast_p and verified_fast_p are per-candidate means: per task the fraction of its candidates that are accepted
    and faster than ``p`` (point estimate, resp. interval lower end), then the mean over tasks (a task with status
    ``error`` or without candidates counts as 0). With one candidate per task this is KernelBench's fast_p.

    Args:
        results: The run.
        ks: The k of the per-k metrics; by default ``[1, 5, 10, ...]`` up to the run's ``samples``.

    Returns:
        The metrics; rates are empty dicts when no task was evaluated.

    Raises:
        ValueError: A ``k`` below 1.
    """
    if ks is not None and any(k < 1 for k in ks):
        raise ValueError(f"every k must be >= 1 (got {list(ks)})")
    tasks = [t for t in results.tasks if t.kind == "kernel" and t.status != TaskStatus.skipped]
    names = {t.task for t in tasks}
    candidates = {t.task: results.candidates_of(t.task) for t in tasks}
    judged = [c for c in results.candidates if c.task in names]
    ks = list(ks) if ks is not None else default_ks(results.meta.samples)
    threads = _common_threads(judged)
    per_k = _per_k_metrics(tasks, candidates, ks, threads)
    solved = [t for t in tasks if t.status == TaskStatus.solved]
    evaluated = [t for t in results.tasks if t.status != TaskStatus.skipped]  # config tasks too
    solved_any = [t for t in evaluated if t.status == TaskStatus.solved]
    usage = sum((t.usage for t in evaluated), Usage())
    tokens = usage.prompt_tokens + usage.completion_tokens
    return SuiteMetrics(
        tasks=len(evaluated),
        solved=len(solved_any),
        errors=sum(t.status == TaskStatus.error for t in evaluated),
        ks=sorted(per_k["pass"]),
        build_at_k=per_k["build"],
        pass_at_k=per_k["pass"],
        speedup_at_k=per_k["speedup"],
        efficiency_at_k=per_k["efficiency"],
        threads=threads,
        fast_p=_suite_fast_p(tasks, candidates, low_end=False),
        verified_fast_p=_suite_fast_p(tasks, candidates, low_end=True),
        geomean_speedup=_geomean(solved),
        mean_roofline_fraction=_mean([t.roofline_fraction for t in solved if t.roofline_fraction is not None]),
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        cost=usage.cost,
        cost_per_task=usage.cost / len(evaluated) if evaluated else 0.0,
        cost_per_solved=usage.cost / len(solved_any) if solved_any else None,
        tokens_per_task=tokens / len(evaluated) if evaluated else 0.0,
        tokens_per_solved=tokens / len(solved_any) if solved_any else None,
        failures_by_stage=_count(c.failed_stage for c in judged),
        failures_by_reason=_count(c.reason for c in judged),
        external=external_agreement(judged),
    )


def _per_k_metrics(
    tasks: Sequence[TaskResult], candidates: dict[str, list[CandidateResult]], ks: Sequence[int], threads: int | None
) -> dict[str, dict[int, float]]:
    """build@k, pass@k, speedup_n@k and efficiency_n@k per k, as :func:`suite_metrics` describes."""
    out: dict[str, dict[int, float]] = {"build": {}, "pass": {}, "speedup": {}, "efficiency": {}}
    errors = sum(t.status == TaskStatus.error for t in tasks)
    for k in sorted(set(ks)):
        rows = [_task_at_k(candidates[t.task], k) for t in tasks if t.status != TaskStatus.error]
        rows = [r for r in rows if r is not None]
        if not rows:
            continue
        rows += [(0.0, 0.0, 0.0)] * errors
        build, passed, speedup = (sum(column) / len(rows) for column in zip(*rows, strict=True))
        out["build"][k], out["pass"][k], out["speedup"][k] = build, passed, speedup
        if threads is not None:
            out["efficiency"][k] = speedup / threads
    return out


def _task_at_k(candidates: Sequence[CandidateResult], k: int) -> tuple[float, float, float] | None:
    """``(build@k, pass@k, speedup@k)`` of one task; None when it has fewer than ``k`` candidates."""
    n = len(candidates)
    if n < k:
        return None
    speedups = [(c.speedup or 0.0) if c.accepted else 0.0 for c in candidates]
    return (
        pass_at_k(n, sum(c.compiled for c in candidates), k),
        pass_at_k(n, sum(c.accepted for c in candidates), k),
        speedup_at_k(speedups, k),
    )


def _common_threads(candidates: Iterable[CandidateResult]) -> int | None:
    """The most common ``threads`` among accepted candidates (the larger on a tie), or None."""
    counts = Counter(c.threads for c in candidates if c.accepted and c.threads is not None)
    if not counts:
        return None
    return max(counts, key=lambda threads: (counts[threads], threads))


def _suite_fast_p(
    tasks: Sequence[TaskResult], candidates: dict[str, list[CandidateResult]], *, low_end: bool
) -> dict[float, float]:
    """Mean over tasks of each task's per-candidate fast_p, per threshold of :data:`FAST_P_THRESHOLDS`."""
    if not tasks:
        return {}
    out: dict[float, float] = {}
    for p in FAST_P_THRESHOLDS:
        per_task = []
        for task in tasks:
            judged = [] if task.status == TaskStatus.error else candidates[task.task]
            outcomes = [(c.accepted, c.speedup_low if low_end else c.speedup) for c in judged]
            per_task.append(fast_p(outcomes, p))
        out[p] = sum(per_task) / len(per_task)
    return out


def _geomean(solved: Sequence[TaskResult]) -> Interval | None:
    speedups = [t.speedup for t in solved if t.speedup is not None and t.speedup > 0]
    return geometric_mean_interval(speedups) if speedups else None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _count(keys: Iterable[str | None]) -> dict[str, int]:
    """Occurrences of each non-None key, most frequent first (ties by name)."""
    counts = Counter(key for key in keys if key is not None)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def external_agreement(candidates: Iterable[CandidateResult]) -> list[ExternalAgreement]:
    """ParaForge's verdicts against each benchmark's own, one :class:`ExternalAgreement` per source.

    ParaForge accepts a candidate when ``candidate.accepted``; the benchmark accepts it when
    ``candidate.external.valid``. Candidates without an external verdict, or whose benchmark verdict is unknown
    (``valid is None``), are not counted. ``rejections_by_reason`` counts, for the answers the benchmark scored
    valid and ParaForge rejected, the candidate's ``reason`` (else its ``failed_stage``, else ``unknown``).

    Args:
        candidates: Judged candidates.

    Returns:
        One agreement per source, sorted by source name.
    """
    by_source: dict[str, ExternalAgreement] = {}
    for c in candidates:
        if c.external is None or c.external.valid is None:
            continue
        row = by_source.setdefault(c.external.source, ExternalAgreement(source=c.external.source))
        if c.accepted and c.external.valid:
            row.both_accept += 1
        elif c.accepted:
            row.paraforge_only_accepts += 1
        elif c.external.valid:
            row.benchmark_only_accepts += 1
            why = c.reason or c.failed_stage or "unknown"
            row.rejections_by_reason[why] = row.rejections_by_reason.get(why, 0) + 1
        else:
            row.both_reject += 1
    return [by_source[source] for source in sorted(by_source)]


# ---------------------------------------------------------------------------------------------------------------
# Two runs side by side
# ---------------------------------------------------------------------------------------------------------------


def compare_tasks(a: EvalResults, b: EvalResults) -> list[TaskDelta]:
    """Each task of run ``a`` or run ``b`` side by side, in ``a``'s order, then ``b``'s tasks that ``a`` lacks.

    ``ratio`` is ``speedup_b / speedup_a`` when the task is solved in both runs with positive speedups.
    ``significant`` is True when both runs give the task a speedup interval and the two intervals do not overlap.

    Args:
        a: The first (baseline) run.
        b: The second run.

    Returns:
        One delta per task name.
    """
    tasks_a = {t.task: t for t in a.tasks}
    tasks_b = {t.task: t for t in b.tasks}
    names = list(dict.fromkeys([*tasks_a, *tasks_b]))
    return [_delta(name, tasks_a.get(name), tasks_b.get(name)) for name in names]


def _delta(name: str, a: TaskResult | None, b: TaskResult | None) -> TaskDelta:
    speedup_a, speedup_b = _solved_speedup(a), _solved_speedup(b)
    ratio = speedup_b / speedup_a if speedup_a and speedup_b is not None else None
    interval_a, interval_b = _interval(a), _interval(b)
    significant = (
        interval_a is not None
        and interval_b is not None
        and (interval_a[1] < interval_b[0] or interval_b[1] < interval_a[0])
    )
    return TaskDelta(
        task=name,
        status_a=a.status if a else None,
        status_b=b.status if b else None,
        speedup_a=speedup_a,
        speedup_b=speedup_b,
        ratio=ratio,
        significant=significant,
    )


def _solved_speedup(task: TaskResult | None) -> float | None:
    return task.speedup if task is not None and task.status == TaskStatus.solved else None


def _interval(task: TaskResult | None) -> tuple[float, float] | None:
    if task is None or task.status != TaskStatus.solved or task.speedup_low is None or task.speedup_high is None:
        return None
    return task.speedup_low, task.speedup_high
