"""Metrics of an evaluation run, each checked against values worked out by hand."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from agents.budget import Usage
from evals.metrics import (
    FAST_P_THRESHOLDS,
    default_ks,
    efficiency_at_k,
    external_agreement,
    fast_p,
    geometric_mean_interval,
    pass_at_k,
    speedup_at_k,
    suite_metrics,
    verified_fast_p,
)
from evals.metrics import compare_tasks as compare
from evals.records import (
    CandidateResult,
    EvalMode,
    EvalResults,
    ExternalVerdict,
    RunMeta,
    TaskResult,
    TaskStatus,
)

approx = pytest.approx


def _run(tasks: list[TaskResult], candidates: list[CandidateResult], samples: int = 5) -> EvalResults:
    meta = RunMeta(run_id="r", suite="s", mode=EvalMode.samples, samples=samples)
    return EvalResults(meta=meta, tasks=tasks, candidates=candidates)


def _ok(task: str, index: int, speedup: float, low: float | None = None, threads: int | None = 8) -> CandidateResult:
    """An accepted candidate."""
    return CandidateResult(
        task=task,
        index=index,
        compiled=True,
        accepted=True,
        speedup=speedup,
        speedup_low=low,
        speedup_high=None if low is None else speedup * 1.1,
        threads=threads,
    )


def _bad(task: str, index: int, stage: str, reason: str, compiled: bool = True) -> CandidateResult:
    """A rejected candidate."""
    return CandidateResult(task=task, index=index, compiled=compiled, failed_stage=stage, reason=reason)


# ---------------------------------------------------------------------------------------------------------------
# pass@k / build@k
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (5, 2, 2, 0.7),  # 1 - C(3,2)/C(5,2) = 1 - 3/10
        (4, 1, 2, 0.5),  # 1 - C(3,2)/C(4,2) = 1 - 3/6
        (10, 3, 1, 0.3),  # k=1: c/n = 3/10
        (10, 3, 5, 1 - 21 / 252),  # 1 - C(7,5)/C(10,5) = 1 - 21/252
        (5, 0, 2, 0.0),  # c=0: C(5,2)/C(5,2) = 1 -> 0
        (5, 5, 2, 1.0),  # c=n
        (5, 4, 2, 1.0),  # n-c = 1 < k: every pair holds a pass
        (3, 1, 3, 1.0),  # k=n with one pass: the draw is every sample
        (3, 0, 3, 0.0),  # k=n, no pass
    ],
)
def test_pass_at_k_hand_computed(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == approx(expected, abs=1e-12)


def test_pass_at_k_matches_exact_binomials_for_large_n() -> None:
    # The product form against the exact ratio of big integers.
    exact = 1 - Fraction(math.comb(193, 50), math.comb(200, 50))
    assert pass_at_k(200, 7, 50) == approx(float(exact), rel=1e-12)
    assert pass_at_k(10_000, 1, 1) == approx(1e-4, rel=1e-12)  # c/n


@pytest.mark.parametrize(("n", "c", "k"), [(3, 1, 4), (0, 0, 1), (5, 2, 0), (5, 6, 1), (5, -1, 1)])
def test_pass_at_k_rejects_bad_input(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


# ---------------------------------------------------------------------------------------------------------------
# speedup_n@k / efficiency_n@k
# ---------------------------------------------------------------------------------------------------------------


def test_speedup_at_k_hand_computed() -> None:
    # sorted [0, 1.5, 3], C(3,2) = 3, weights C(0,1)=0, C(1,1)=1, C(2,1)=2: (0 + 1*1.5 + 2*3) / 3 = 2.5
    assert speedup_at_k([0.0, 1.5, 3.0], 2) == approx(2.5)
    assert speedup_at_k([3.0, 0.0, 1.5], 2) == approx(2.5)  # order of the samples does not matter
    # sorted [1,2,3,4], C(4,2) = 6, weights 0,1,2,3: (1*2 + 2*3 + 3*4) / 6 = 20/6
    assert speedup_at_k([4.0, 1.0, 3.0, 2.0], 2) == approx(20 / 6)


def test_speedup_at_k_is_mean_at_one_and_max_at_n() -> None:
    assert speedup_at_k([0.0, 1.5, 3.0], 1) == approx(1.5)  # (0 + 1.5 + 3) / 3
    assert speedup_at_k([0.0, 1.5, 3.0], 3) == approx(3.0)  # only C(2,2)=1 over C(3,3)=1 is left: the max
    assert speedup_at_k([0.0, 0.0], 2) == 0.0  # nothing correct


@pytest.mark.parametrize(("speedups", "k"), [([1.0, 2.0], 3), ([1.0], 0), ([], 1), ([1.0, -0.5], 1)])
def test_speedup_at_k_rejects_bad_input(speedups: list[float], k: int) -> None:
    with pytest.raises(ValueError):
        speedup_at_k(speedups, k)


def test_efficiency_at_k_divides_by_threads() -> None:
    assert efficiency_at_k([0.0, 1.5, 3.0], 2, 4) == approx(0.625)  # 2.5 / 4
    with pytest.raises(ValueError):
        efficiency_at_k([1.0], 1, 0)


# ---------------------------------------------------------------------------------------------------------------
# fast_p
# ---------------------------------------------------------------------------------------------------------------


def test_fast_p_hand_computed() -> None:
    outcomes = [(True, 2.0), (True, 0.8), (False, 5.0), (True, None)]
    assert fast_p(outcomes, 0.0) == approx(3 / 4)  # correctness rate; the wrong 5x never counts
    assert fast_p(outcomes, 1.0) == approx(1 / 4)  # only 2.0
    assert fast_p(outcomes, 1.5) == approx(1 / 4)
    assert fast_p(outcomes, 2.0) == 0.0  # strictly greater: 2.0 is not > 2.0


def test_verified_fast_p_uses_the_interval_low_end() -> None:
    lows = [(True, 1.05), (True, 0.95), (False, 3.0)]
    assert verified_fast_p(lows, 1.0) == approx(1 / 3)  # 1.05 > 1; 0.95 is not; the third is wrong
    assert verified_fast_p(lows, 0.0) == approx(2 / 3)  # p=0: correctness rate


def test_fast_p_edge_cases() -> None:
    assert fast_p([], 1.0) == 0.0
    with pytest.raises(ValueError):
        fast_p([(True, 2.0)], -1.0)


# ---------------------------------------------------------------------------------------------------------------
# Geometric mean
# ---------------------------------------------------------------------------------------------------------------


def test_geometric_mean_interval_of_two_items() -> None:
    # sqrt(2 * 8) = 4; the resamples {2,2}, {2,8}, {8,8} have geomeans 2, 4, 8, each pair ~1/4 of 4000 draws,
    # so the 2.5th and 97.5th percentiles are 2 and 8.
    interval = geometric_mean_interval([2.0, 8.0])
    assert interval.value == approx(4.0)
    assert interval.low == approx(2.0)
    assert interval.high == approx(8.0)


def test_geometric_mean_interval_is_deterministic_and_brackets_value() -> None:
    data = [1.0, 2.0, 4.0, 8.0, 1.5, 3.0]
    wide = geometric_mean_interval(data, confidence=0.95, seed=3)
    assert wide == geometric_mean_interval(data, confidence=0.95, seed=3)
    # (1*2*4*8*1.5*3)^(1/6) = 288^(1/6)
    assert wide.value == approx(288 ** (1 / 6))
    assert wide.low < wide.value < wide.high
    narrow = geometric_mean_interval(data, confidence=0.5, seed=3)
    assert wide.low < narrow.low <= narrow.high < wide.high


def test_geometric_mean_interval_single_and_constant_items() -> None:
    one = geometric_mean_interval([3.0])
    assert (one.value, one.low, one.high) == (3.0, 3.0, 3.0)
    same = geometric_mean_interval([2.0, 2.0, 2.0])
    assert (same.low, same.value, same.high) == (approx(2.0), approx(2.0), approx(2.0))


@pytest.mark.parametrize(
    ("speedups", "kwargs"),
    [([], {}), ([1.0, 0.0], {}), ([-1.0], {}), ([1.0, 2.0], {"confidence": 1.0}), ([1.0, 2.0], {"resamples": 0})],
)
def test_geometric_mean_interval_rejects_bad_input(speedups: list[float], kwargs: dict) -> None:
    with pytest.raises(ValueError):
        geometric_mean_interval(speedups, **kwargs)


# ---------------------------------------------------------------------------------------------------------------
# A whole run
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture
def run() -> EvalResults:
    """Four evaluated kernel tasks (two solved, one unsolved, one error) plus a skipped task and a config task."""
    tasks = [
        TaskResult(
            task="t1",
            status=TaskStatus.solved,
            speedup=2.0,
            speedup_low=1.8,
            speedup_high=2.2,
            roofline_fraction=0.5,
            usage=Usage(prompt_tokens=100, completion_tokens=50, cost=0.10),
        ),
        TaskResult(
            task="t2",
            status=TaskStatus.solved,
            speedup=8.0,
            usage=Usage(prompt_tokens=200, completion_tokens=100, cost=0.30),
        ),
        TaskResult(
            task="t3", status=TaskStatus.unsolved, usage=Usage(prompt_tokens=50, completion_tokens=50, cost=0.05)
        ),
        TaskResult(task="t4", status=TaskStatus.error, error="bad task file"),
        TaskResult(
            task="t5",
            status=TaskStatus.skipped,
            speedup=100.0,
            usage=Usage(prompt_tokens=1000, completion_tokens=1000, cost=5.0),
        ),
        TaskResult(task="c1", kind="train_config", status=TaskStatus.solved, speedup=50.0, usage=Usage(cost=9.0)),
    ]
    candidates = [
        # t1: one accepted (2.0x, low 1.8) of three; one race, one that did not compile
        _ok("t1", 0, 2.0, low=1.8),
        _bad("t1", 1, "race", "race.data_race"),
        _bad("t1", 2, "compile", "compile.error", compiled=False),
        # t2: both accepted, 8.0x (low 0.9, noisy) at 8 threads and 1.2x (low 1.1) at 4 threads
        _ok("t2", 1, 1.2, low=1.1, threads=4),
        _ok("t2", 0, 8.0, low=0.9),
        # t3: both compiled, both wrong
        _bad("t3", 0, "correctness", "output.mismatch"),
        _bad("t3", 1, "correctness", "output.mismatch"),
        # t5 is skipped and c1 is a config task: none of these may count
        _ok("t5", 0, 100.0, threads=2),
        _ok("t5", 1, 100.0, threads=2),
        _bad("t5", 2, "timeout", "timeout.wall"),
        _ok("c1", 0, 50.0, threads=2),
    ]
    return _run(tasks, candidates, samples=5)


def test_suite_counts_and_default_ks(run: EvalResults) -> None:
    m = suite_metrics(run)
    assert (m.tasks, m.solved, m.errors) == (5, 3, 1)  # t1..t4 and config c1; skipped t5 left out
    # default ks for samples=5 are [1, 5]; no task has 5 candidates, so k=5 is dropped
    assert m.ks == [1]
    assert set(m.pass_at_k) == {1}
    # accepted threads: t1 8, t2 8 and 4 (t5's and c1's 2s do not count) -> 8
    assert m.threads == 8


def test_suite_per_k_metrics(run: EvalResults) -> None:
    m = suite_metrics(run, ks=[1, 2, 3, 5])
    assert m.ks == [1, 2, 3]  # k=5: no task has 5 candidates
    # k=1, four tasks: pass = c/n: t1 1/3, t2 2/2, t3 0, t4 (error) 0 -> (1/3 + 1) / 4 = 1/3
    assert m.pass_at_k[1] == approx(1 / 3)
    # build@1: t1 2/3 compiled, t2 1, t3 1, t4 0 -> (2/3 + 2) / 4 = 2/3
    assert m.build_at_k[1] == approx(2 / 3)
    # speedup@1 = mean per task: t1 (2+0+0)/3, t2 (8+1.2)/2 = 4.6, t3 0, t4 0 -> (2/3 + 4.6) / 4
    assert m.speedup_at_k[1] == approx((2 / 3 + 4.6) / 4)
    assert m.efficiency_at_k[1] == approx((2 / 3 + 4.6) / 4 / 8)
    # k=2: pass t1 1 - C(2,2)/C(3,2) = 2/3, t2 1 (n-c=0<2), t3 0, t4 0 -> (2/3 + 1) / 4 = 5/12
    assert m.pass_at_k[2] == approx(5 / 12)
    # build@2: t1 n-c = 1 < 2 -> 1, t2 1, t3 1, t4 0 -> 3/4
    assert m.build_at_k[2] == approx(3 / 4)
    # speedup@2: t1 sorted [0,0,2] -> (1*0 + 2*2)/3 = 4/3, t2 max(1.2, 8) = 8, t3 0, t4 0 -> (4/3 + 8) / 4 = 7/3
    assert m.speedup_at_k[2] == approx(7 / 3)
    # k=3: only t1 has 3 candidates (pass@3 = 1), plus the error task t4 as 0 -> 1/2
    assert m.pass_at_k[3] == approx(0.5)
    assert m.speedup_at_k[3] == approx(1.0)  # t1's max 2.0, t4 0 -> 2/2


def test_suite_fast_p(run: EvalResults) -> None:
    m = suite_metrics(run)
    assert set(m.fast_p) == set(FAST_P_THRESHOLDS)
    # per task, the fraction of candidates accepted and > p; t3 and t4 are 0 at every p; mean over 4 tasks
    # p=0:   t1 1/3, t2 2/2          -> (1/3 + 1) / 4 = 1/3
    # p=1:   t1 1/3 (2.0), t2 2/2    -> 1/3
    # p=1.5: t1 1/3, t2 1/2 (8.0)    -> (1/3 + 1/2) / 4 = 5/24
    # p=2:   t1 0 (2.0 is not > 2), t2 1/2 -> 1/8
    assert m.fast_p == {0.0: approx(1 / 3), 1.0: approx(1 / 3), 1.5: approx(5 / 24), 2.0: approx(1 / 8)}
    # verified, on the lows: t1 1.8; t2 0.9 and 1.1
    # p=0: correctness 1/3; p=1: t1 1/3, t2 1/2 (1.1) -> 5/24; p=1.5: t1 1/3 -> 1/12; p=2: 0
    assert m.verified_fast_p == {0.0: approx(1 / 3), 1.0: approx(5 / 24), 1.5: approx(1 / 12), 2.0: 0.0}


def test_suite_speedup_cost_and_failures(run: EvalResults) -> None:
    m = suite_metrics(run)
    assert m.geomean_speedup is not None
    assert m.geomean_speedup.value == approx(4.0)  # sqrt(2 * 8), solved t1 and t2 only
    assert m.mean_roofline_fraction == approx(0.5)  # t2 has no roofline value
    # tokens and cost over t1..t4 and c1: prompt 100+200+50, completion 50+100+50, cost 0.10+0.30+0.05+9.0
    assert (m.prompt_tokens, m.completion_tokens) == (350, 200)
    assert m.cost == approx(9.45)
    assert m.cost_per_task == approx(9.45 / 5)
    assert m.cost_per_solved == approx(9.45 / 3)  # t1, t2 and c1 solved
    assert m.tokens_per_task == approx(550 / 5)
    assert m.tokens_per_solved == approx(550 / 3)
    # t5's timeout does not count
    assert m.failures_by_stage == {"correctness": 2, "compile": 1, "race": 1}
    assert list(m.failures_by_stage) == ["correctness", "compile", "race"]  # most frequent first
    assert m.failures_by_reason == {"output.mismatch": 2, "compile.error": 1, "race.data_race": 1}
    assert m.external == []


def test_error_task_counts_zero_even_with_accepted_candidates() -> None:
    tasks = [
        TaskResult(task="ok", status=TaskStatus.solved, speedup=2.0),
        TaskResult(task="err", status=TaskStatus.error, error="crash"),
    ]
    run = _run(tasks, [_ok("ok", 0, 2.0), _ok("err", 0, 10.0)])
    m = suite_metrics(run, ks=[1, 2])
    # k=1: ok 1, err 0 -> 1/2; speedup (2 + 0) / 2 = 1; k=2: "ok" has one candidate, only the error task is left
    assert m.ks == [1]
    assert m.pass_at_k == {1: approx(0.5)}
    assert m.speedup_at_k == {1: approx(1.0)}
    assert m.fast_p[0.0] == approx(0.5)
    assert m.errors == 1


def test_task_without_candidates_is_left_out_of_pass_at_k_but_not_of_fast_p() -> None:
    tasks = [
        TaskResult(task="a", status=TaskStatus.solved, speedup=3.0),
        TaskResult(task="b", status=TaskStatus.unsolved),
    ]
    # "a": one of two accepted, timed without a thread count
    candidates = [_ok("a", 0, 3.0, threads=None), _bad("a", 1, "correctness", "output.mismatch")]
    m = suite_metrics(_run(tasks, candidates), ks=[1])
    assert m.pass_at_k == {1: approx(0.5)}  # only "a": c/n = 1/2
    assert m.fast_p[0.0] == approx(0.25)  # ("a" 1/2 + "b" 0) / 2
    assert m.threads is None
    assert m.efficiency_at_k == {}  # no thread count to divide by
    assert m.speedup_at_k == {1: approx(1.5)}  # (3 + 0) / 2


def test_threads_tie_takes_the_larger() -> None:
    tasks = [TaskResult(task="a", status=TaskStatus.solved, speedup=2.0)]
    m = suite_metrics(_run(tasks, [_ok("a", 0, 2.0, threads=4), _ok("a", 1, 1.0, threads=16)]))
    assert m.threads == 16
    assert m.efficiency_at_k[1] == approx(1.5 / 16)  # speedup@1 = (2 + 1) / 2


def test_threads_come_from_accepted_candidates_only() -> None:
    tasks = [TaskResult(task="a", status=TaskStatus.solved, speedup=2.0)]
    rejected = [
        CandidateResult(task="a", index=i, compiled=True, failed_stage="correctness", threads=32) for i in (1, 2)
    ]
    m = suite_metrics(_run(tasks, [_ok("a", 0, 2.0, threads=4), *rejected]))
    assert m.threads == 4  # the two rejected candidates at 32 threads do not vote


def test_empty_run() -> None:
    m = suite_metrics(_run([], []))
    assert (m.tasks, m.solved, m.errors) == (0, 0, 0)
    assert m.ks == []
    assert m.pass_at_k == m.build_at_k == m.speedup_at_k == m.efficiency_at_k == {}
    assert m.fast_p == m.verified_fast_p == {}
    assert m.geomean_speedup is None
    assert m.mean_roofline_fraction is None
    assert (m.cost, m.cost_per_task, m.tokens_per_task) == (0.0, 0.0, 0.0)
    assert m.cost_per_solved is None
    assert m.tokens_per_solved is None
    assert m.threads is None


def test_suite_rejects_k_below_one(run: EvalResults) -> None:
    with pytest.raises(ValueError):
        suite_metrics(run, ks=[0, 1])


@pytest.mark.parametrize(("samples", "expected"), [(1, [1]), (4, [1]), (5, [1, 5]), (12, [1, 5, 10])])
def test_default_ks(samples: int, expected: list[int]) -> None:
    assert default_ks(samples) == expected


# ---------------------------------------------------------------------------------------------------------------
# External agreement
# ---------------------------------------------------------------------------------------------------------------


def _judged(index: int, accepted: bool, valid: bool | None, source: str = "ParEval", **kw) -> CandidateResult:
    return CandidateResult(
        task="t",
        index=index,
        accepted=accepted,
        external=ExternalVerdict(source=source, valid=valid),
        **kw,
    )


def test_external_agreement_counts_each_cell() -> None:
    candidates = [
        _judged(0, True, True),  # both accept
        _judged(1, True, True),  # both accept
        _judged(2, False, False, failed_stage="correctness"),  # both reject
        _judged(3, False, True, failed_stage="race", reason="race.data_race"),  # benchmark only
        _judged(4, False, True, failed_stage="race", reason="race.data_race"),  # benchmark only
        _judged(5, False, True, failed_stage="ub"),  # benchmark only, no reason -> its stage
        _judged(6, False, True),  # benchmark only, nothing recorded -> unknown
        _judged(7, True, False),  # ParaForge only
        _judged(8, True, None),  # benchmark verdict unknown: not counted
        CandidateResult(task="t", index=9, accepted=True),  # no external verdict
        _judged(10, True, True, source="KernelBench"),
    ]
    rows = external_agreement(candidates)
    assert [r.source for r in rows] == ["KernelBench", "ParEval"]
    kb, pe = rows
    assert (kb.both_accept, kb.both_reject, kb.benchmark_only_accepts, kb.paraforge_only_accepts) == (1, 0, 0, 0)
    assert (pe.both_accept, pe.both_reject, pe.benchmark_only_accepts, pe.paraforge_only_accepts) == (2, 1, 4, 1)
    assert pe.rejections_by_reason == {"race.data_race": 2, "ub": 1, "unknown": 1}


def test_suite_external_only_counts_evaluated_tasks() -> None:
    tasks = [
        TaskResult(task="t", status=TaskStatus.solved, speedup=1.5),
        TaskResult(task="s", status=TaskStatus.skipped),
    ]
    candidates = [
        _judged(0, True, True),
        _judged(1, False, True, failed_stage="race", reason="race.data_race"),
        CandidateResult(task="s", index=0, external=ExternalVerdict(source="ParEval", valid=True)),
    ]
    m = suite_metrics(_run(tasks, candidates))
    assert len(m.external) == 1
    assert (m.external[0].both_accept, m.external[0].benchmark_only_accepts) == (1, 1)
    assert m.external[0].rejections_by_reason == {"race.data_race": 1}


# ---------------------------------------------------------------------------------------------------------------
# Two runs side by side
# ---------------------------------------------------------------------------------------------------------------


def _solved(task: str, speedup: float, low: float | None = None, high: float | None = None) -> TaskResult:
    return TaskResult(task=task, status=TaskStatus.solved, speedup=speedup, speedup_low=low, speedup_high=high)


def test_compare_tasks() -> None:
    a = _run(
        [
            _solved("t1", 2.0, 1.8, 2.2),
            _solved("t2", 2.0, 1.5, 3.0),
            TaskResult(task="t3", status=TaskStatus.unsolved),
            _solved("t4", 1.0),
            _solved("t6", 2.0, 1.0, 2.0),
        ],
        [],
    )
    b = _run(
        [
            _solved("t5", 1.1),
            _solved("t1", 3.0, 2.5, 3.5),
            _solved("t2", 2.5, 2.0, 3.0),
            _solved("t3", 1.2, 1.1, 1.3),
            _solved("t6", 3.0, 2.0, 4.0),
        ],
        [],
    )
    deltas = {d.task: d for d in compare(a, b)}
    assert [d.task for d in compare(a, b)] == ["t1", "t2", "t3", "t4", "t6", "t5"]  # a's order, then b's extras
    # t1: 3.0 / 2.0 = 1.5; [1.8, 2.2] and [2.5, 3.5] do not overlap
    assert deltas["t1"].ratio == approx(1.5)
    assert deltas["t1"].significant
    # t2: 2.5 / 2.0 = 1.25; [1.5, 3.0] and [2.0, 3.0] overlap
    assert deltas["t2"].ratio == approx(1.25)
    assert not deltas["t2"].significant
    # t3 is solved only in b: no ratio
    assert (deltas["t3"].status_a, deltas["t3"].status_b) == (TaskStatus.unsolved, TaskStatus.solved)
    assert (deltas["t3"].speedup_a, deltas["t3"].speedup_b, deltas["t3"].ratio) == (None, 1.2, None)
    assert not deltas["t3"].significant
    # t4 only in a, t5 only in b
    assert (deltas["t4"].status_b, deltas["t4"].speedup_a, deltas["t4"].ratio) == (None, 1.0, None)
    assert (deltas["t5"].status_a, deltas["t5"].speedup_b) == (None, 1.1)
    # t6: intervals [1, 2] and [2, 4] touch at 2: that is overlap
    assert deltas["t6"].ratio == approx(1.5)
    assert not deltas["t6"].significant
