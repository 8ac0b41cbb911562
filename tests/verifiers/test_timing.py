"""Timing: bootstrap intervals, the interleaved driver, roofline arithmetic and cache, the timing stage."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sandbox import Job, JobResult, JobStatus
from tasks import load_task, parse_task
from tasks.loader import SUITE_DIR
from tasks.oracle import run_oracle
from tasks.perturb import differences
from tasks.timing_harness import sample_positions, timing_source
from verifiers.candidate import Candidate
from verifiers.cascade import evaluate
from verifiers.context import VerifyConfig
from verifiers.stages.compile import CompileStage
from verifiers.stages.timing import TimingStage
from verifiers.timing import roofline_cache
from verifiers.timing.bundle import build_bundle
from verifiers.timing.measure import run_timing, timing_instance, timing_versions
from verifiers.timing.roofline import BandwidthPoint, Roofline, roofline_fraction
from verifiers.timing.roofline_probe import measure_roofline
from verifiers.timing.settings import TimingSettings
from verifiers.timing.stats import expanded_tail, ratio_of_medians, t_quantile
from verifiers.verdict import StageStatus

REDUCE = load_task(SUITE_DIR / "reduce-sum.yaml")
PARALLEL = """
#include <cmath>
#include <cstdint>
void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}
"""
FAST_TIMING = TimingSettings(size={"n": 20000}, min_samples=10, max_samples=30, budget_s=0.5)


def test_ratio_of_medians_is_exact_for_an_exact_ratio():
    base = np.array([5.0, 1.0, 3.0, 2.0, 4.0, 7.0, 6.0, 9.0, 8.0, 10.0])
    interval = ratio_of_medians(2 * base, base, resamples=500)
    assert interval.estimate == pytest.approx(2.0)
    assert interval.low == pytest.approx(2.0) and interval.high == pytest.approx(2.0)
    assert interval.excludes(1.0) and not interval.excludes(2.0)
    assert interval.relative_halfwidth == pytest.approx(0.0)


def test_ratio_of_medians_covers_the_true_ratio_under_shared_noise():
    rng = np.random.default_rng(7)
    drift = np.exp(np.cumsum(rng.normal(0, 0.05, 40)))
    slow = 1.5 * drift * np.exp(rng.normal(0, 0.03, 40))
    fast = drift * np.exp(rng.normal(0, 0.03, 40))
    interval = ratio_of_medians(slow, fast, resamples=2000)
    assert interval.low < 1.5 < interval.high
    assert interval.low <= interval.estimate <= interval.high
    assert interval.relative_halfwidth < 0.1


def test_ratio_of_medians_rarely_separates_identical_kernels():
    """The A/A property on synthetic heavy-tailed, drifting samples: at most about 5% false positives at 20 pairs."""
    rng = np.random.default_rng(11)
    trials, positives = 400, 0
    for trial in range(trials):
        drift = np.exp(np.cumsum(rng.normal(0, 0.02, 20)))
        a, b = (
            drift * np.exp(rng.normal(0, 0.05, 20)) * (1 + (rng.random(20) < 0.1) * rng.exponential(0.5, 20))
            for _ in "ab"
        )
        positives += ratio_of_medians(a, b, resamples=500, seed=trial).excludes(1.0)
    assert positives / trials <= 0.06


def test_expanded_tail_widens_small_samples_only():
    assert t_quantile(0.975, 9) == pytest.approx(2.262, abs=2e-3)
    assert t_quantile(0.975, 29) == pytest.approx(2.045, abs=1e-3)
    assert expanded_tail(0.95, 10) == pytest.approx(0.0086, abs=3e-4)
    assert 0.0086 < expanded_tail(0.95, 30) < expanded_tail(0.95, 1000) < 0.025


def test_ratio_of_medians_rejects_unpaired_series():
    with pytest.raises(ValueError, match="equally long"):
        ratio_of_medians(np.ones(3), np.ones(4))


def test_sample_positions_cover_short_results_whole_and_spread_long_ones():
    assert list(sample_positions(5, 123)) == [0, 1, 2, 3, 4]
    picked = sample_positions(10 * 2**18 + 3, 7)
    assert len(picked) == 2**18 and picked[0] == 7 % 10 and np.all(np.diff(picked) == 10)


def test_timing_driver_restores_outputs_outside_the_timed_region():
    source = timing_source(REDUCE)
    loop = source[source.index("for (long pf_it = 0;") :]
    assert loop.index("pf_restore(pf_k);") < loop.index("const auto pf_start = Clock::now();")
    assert loop.index("pf_call(pf_k);") < loop.index("const auto pf_stop_time = Clock::now();")
    assert "RTLD_LOCAL" in source


@pytest.mark.parametrize("kernels", [2, 3])
def test_timing_driver_interleaves_kernels_in_rotating_order(local_sandbox, clang, kernels):
    bundle = build_bundle(REDUCE, [REDUCE.reference.cpp] + [PARALLEL] * (kernels - 1), local_sandbox)
    assert bundle.ok, bundle.failures
    settings = TimingSettings(size={"n": 5000}, warmup=2, min_samples=7, max_samples=7)
    measurement = run_timing(
        local_sandbox, bundle, timing_instance(REDUCE, settings), kernels=kernels, settings=settings, threads=2
    )
    assert measurement.ok, measurement.describe_failure()
    assert measurement.stop == "max-samples"
    assert [len(measurement.times_ns[k]) for k in range(kernels)] == [7] * kernels
    assert len(measurement.order) == 7 * kernels
    assert measurement.final_instance is measurement.instance  # one version only
    for iteration in range(7):
        calls = [k for i, k in measurement.order if i == iteration]
        first = (iteration + settings.warmup) % kernels
        assert calls == [(first + j) % kernels for j in range(kernels)]
    expected = measurement.results[0]["out"]
    for k in range(1, kernels):
        assert measurement.results[k]["out"] == pytest.approx(expected, rel=1e-9)
    assert measurement.changed_inputs == {}


def test_timing_driver_alternates_input_versions_and_ends_on_the_second(local_sandbox, clang):
    """Iterations alternate between the instance and a near-duplicate: a kernel remembering results by address
    hands back the first version's result on the second."""
    memo = PARALLEL.replace(
        "    double total = 0.0;",
        "    static const double* seen = nullptr; static double kept = 0;\n"
        "    if (x == seen) { out[0] = kept; return; }\n    double total = 0.0;",
    ).replace("    out[0] = total;", "    seen = x; kept = total; out[0] = total;")
    bundle = build_bundle(REDUCE, [REDUCE.reference.cpp, PARALLEL, memo], local_sandbox)
    settings = TimingSettings(size={"n": 5000}, warmup=1, min_samples=4, max_samples=4)
    base, second = timing_versions(REDUCE, settings)
    assert second is not None and len(differences(base, second)["x"]) == 4
    measurement = run_timing(local_sandbox, bundle, base, second, kernels=3, settings=settings, threads=2)
    assert measurement.ok, measurement.describe_failure()
    assert len(measurement.times_ns[1]) == 5  # sampling runs on to an odd iteration: 1 warm-up + 5
    assert measurement.final_instance is second
    expected = run_oracle(second)["out"]
    assert measurement.results[0]["out"] == pytest.approx(expected, rel=1e-9)
    assert measurement.results[1]["out"] == pytest.approx(expected, rel=1e-9)
    assert measurement.results[2]["out"] == pytest.approx(run_oracle(base)["out"], rel=1e-9)  # stale
    assert measurement.changed_inputs == {}


def test_timing_driver_keeps_kernels_apart(local_sandbox, clang):
    """A candidate cannot reach another kernel of the timing program: not by lookup, not by linking."""
    lookup = """
#include <dlfcn.h>
#include <cstdint>
void reduce_sum(const double*, int64_t, double* out) {
    out[0] = dlsym(RTLD_DEFAULT, "pf_kernel_0") != nullptr || dlsym(RTLD_DEFAULT, "reduce_sum") != nullptr;
}
"""
    bundle = build_bundle(REDUCE, [REDUCE.reference.cpp, lookup], local_sandbox)
    settings = TimingSettings(size={"n": 2}, min_samples=2, max_samples=2)
    measurement = run_timing(
        local_sandbox, bundle, timing_instance(REDUCE, settings), kernels=2, settings=settings, threads=1
    )
    assert measurement.ok and measurement.results[1]["out"][0] == 0.0
    linked = """
#include <cstdint>
extern "C" void pf_kernel_0(const double*, int64_t, double*);
void reduce_sum(const double* x, int64_t n, double* out) { pf_kernel_0(x, n, out); }
"""
    assert "lib1" in build_bundle(REDUCE, [REDUCE.reference.cpp, linked], local_sandbox).failures


def _roofline() -> Roofline:
    points = [(2**18, 200e9), (2**21, 150e9), (2**24, 120e9), (2**27, 40e9), (2**29, 20e9)]
    return Roofline(
        fingerprint="test",
        threads=2,
        bandwidth=[BandwidthPoint(working_set_bytes=size, bytes_per_s=rate) for size, rate in points],
        fp64_flops=100e9,
        fp32_flops=200e9,
    )


def test_roofline_bandwidth_by_working_set():
    roofline = _roofline()
    assert roofline.bandwidth_at(1000) == 200e9  # smaller than any probe: the best of all
    assert roofline.bandwidth_at(2**22) == 150e9  # between 2 MiB and 16 MiB: the 2 MiB figure
    assert roofline.bandwidth_at(2**30) == 20e9
    noisy = roofline.model_copy(
        update={"bandwidth": [*roofline.bandwidth[:4], BandwidthPoint(working_set_bytes=2**29, bytes_per_s=50e9)]}
    )
    assert noisy.bandwidth_at(2**28) == 50e9  # a bigger set measured faster lifts the bound


def test_roofline_bound_and_fraction():
    roofline = _roofline()
    n = 20_000_000  # reduce-sum: 8n bytes (160 MB, the 128 MiB bandwidth), 20n flops (double precision)
    memory_s, compute_s = 8 * n / 40e9, 20 * n / 100e9
    assert roofline.bound_s(REDUCE, {"n": n}) == pytest.approx(max(memory_s, compute_s))
    assert roofline_fraction(0.004, 0.008) == pytest.approx(0.5)
    assert roofline_fraction(0.004, 0.0) == float("inf")
    single = parse_task((SUITE_DIR / "reduce-sum.yaml").read_text().replace("dtype: float64", "dtype: float32"))
    assert roofline.peak_flops(REDUCE) == 100e9 and roofline.peak_flops(single) == 200e9


def test_roofline_is_probed_once_per_fingerprint_and_cached_on_disk(tmp_path, monkeypatch, local_sandbox):
    monkeypatch.setenv("PARAFORGE_HOME", str(tmp_path))
    calls = []

    def probe(sandbox, threads):
        calls.append(threads)
        return _roofline().model_copy(update={"threads": threads})

    first = roofline_cache.machine_roofline(local_sandbox, 2, probe=probe)
    path = roofline_cache.roofline_path(local_sandbox, 2)
    assert path.is_relative_to(tmp_path) and json.loads(path.read_text())["threads"] == 2
    roofline_cache._memo.clear()
    assert roofline_cache.machine_roofline(local_sandbox, 2, probe=probe) == first
    assert calls == [2]  # read back from disk, not probed again
    roofline_cache.machine_roofline(local_sandbox, 1, probe=probe)
    assert calls == [2, 1]  # another thread count is another measurement
    roofline_cache._memo.clear()
    path.write_text("{not json")
    roofline_cache.machine_roofline(local_sandbox, 2, probe=probe)
    assert calls == [2, 1, 2]  # a damaged file is measured again


def test_roofline_probe_runs_in_the_sandbox(local_sandbox, clang):
    roofline = measure_roofline(local_sandbox, 2, working_sets=[2**16, 2**20], seconds=0.01, fma_iterations=20000)
    assert [p.working_set_bytes for p in roofline.bandwidth] == [2**16, 2**20]
    assert all(p.bytes_per_s > 1e8 for p in roofline.bandwidth)
    assert roofline.fp32_flops > 1e8 and roofline.fp64_flops > 1e8 and roofline.threads == 2


@pytest.fixture
def quick_roofline(tmp_path, monkeypatch, local_sandbox):
    """A roofline cache holding a made-up measurement for two threads, so that stage tests never run the probe."""
    monkeypatch.setenv("PARAFORGE_HOME", str(tmp_path))
    roofline_cache._memo.clear()
    path = roofline_cache.roofline_path(local_sandbox, 2)
    path.parent.mkdir(parents=True)
    path.write_text(_roofline().model_dump_json())
    yield
    roofline_cache._memo.clear()


def test_timing_stage_reports_speedup_interval_and_roofline(local_sandbox, clang, quick_roofline):
    config = VerifyConfig(timing=FAST_TIMING, timing_threads=2)
    best = Candidate(source=REDUCE.reference.cpp)
    verdict = evaluate(
        REDUCE, Candidate(source=PARALLEL), local_sandbox, config=config, best=best, stages=[TimingStage()]
    )
    result = verdict.stages[0]
    assert result.status is StageStatus.passed, result.feedback
    timing = verdict.timing
    assert timing is not None and timing.size == {"n": 20000} and timing.threads == 2
    assert timing.speedup_low <= timing.speedup <= timing.speedup_high
    assert timing.speedup == pytest.approx(timing.reference_s / timing.candidate_s)
    assert timing.samples >= FAST_TIMING.min_samples
    assert timing.roofline_fraction == pytest.approx(_roofline().bound_s(REDUCE, {"n": 20000}) / timing.candidate_s)
    assert timing.best_s is not None and timing.speedup_vs_best_low <= timing.speedup_vs_best_high
    assert "the reference's speed" in result.feedback


def test_timing_stage_fails_a_candidate_that_does_not_link_alone(local_sandbox, clang, quick_roofline):
    source = 'extern "C" double helper_from_elsewhere(double);\n' + PARALLEL.replace(
        "out[0] = total;", "out[0] = helper_from_elsewhere(total);"
    )
    config = VerifyConfig(timing=FAST_TIMING, timing_threads=2)
    verdict = evaluate(REDUCE, Candidate(source=source), local_sandbox, config=config, stages=[TimingStage()])
    assert verdict.stages[0].status is StageStatus.failed
    assert verdict.stages[0].reason == "timing.build_failed"
    assert "helper_from_elsewhere" in verdict.stages[0].feedback


class CommandLog:
    """A sandbox that records the command of every job it runs."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.unenforced, self.commands = inner, inner.name, inner.unenforced, []

    def run(self, job: Job) -> JobResult:
        self.commands.append(" ".join(job.command))
        return self.inner.run(job)

    def close(self) -> None:
        self.inner.close()


def test_the_compile_stage_builds_the_library_that_is_timed(local_sandbox, clang, quick_roofline):
    config = VerifyConfig(timing=FAST_TIMING, timing_threads=2)
    stages = [CompileStage(), TimingStage()]
    evaluate(REDUCE, Candidate(source=PARALLEL), local_sandbox, config=config, stages=stages)  # drivers, reference
    sandbox = CommandLog(local_sandbox)
    source = PARALLEL.replace("double total", "double sum_of_all").replace("total", "sum_of_all")
    verdict = evaluate(REDUCE, Candidate(source=source), sandbox, config=config, stages=stages)
    assert verdict.accepted, verdict.feedback()
    compiles = [command for command in sandbox.commands if "clang++" in command]
    assert len(compiles) == 1 and "-fPIC" in compiles[0] and "objcopy" in compiles[0], sandbox.commands
    assert len(sandbox.commands) == 2, "one build job, one timing job"


def test_a_kernel_that_links_with_the_driver_but_not_alone_fails_timing(local_sandbox, clang, quick_roofline):
    calls_main = "out[0] = total + (n < 0 ? main(0, 0) : 0);"
    source = "int main(int, char**);\n" + PARALLEL.replace("out[0] = total;", calls_main)
    config = VerifyConfig(timing=FAST_TIMING, timing_threads=2)
    verdict = evaluate(
        REDUCE, Candidate(source=source), local_sandbox, config=config, stages=[CompileStage(), TimingStage()]
    )
    compile_, timing = verdict.stages
    assert compile_.status is StageStatus.passed, compile_.feedback
    assert (timing.status, timing.reason) == (StageStatus.failed, "timing.build_failed")
    assert "main" in timing.feedback


class RefusingTimingRuns:
    """A sandbox that fails every timing run itself (as a daemon answering with an error does)."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.unenforced = inner, inner.name, inner.unenforced

    def run(self, job: Job) -> JobResult:
        if "./timing" in " ".join(job.command):
            return JobResult(status=JobStatus.sandbox_error, message="the daemon answered 500")
        return self.inner.run(job)

    def close(self) -> None:
        self.inner.close()


def test_a_timing_run_the_sandbox_could_not_start_is_the_verifiers_error(local_sandbox, clang, quick_roofline):
    config = VerifyConfig(timing=FAST_TIMING, timing_threads=2)
    sandbox = RefusingTimingRuns(local_sandbox)
    verdict = evaluate(REDUCE, Candidate(source=PARALLEL), sandbox, config=config, stages=[TimingStage()])
    result = verdict.stages[0]
    assert (result.status, result.reason) == (StageStatus.error, "timing.sandbox")
    assert "the daemon answered 500" in result.feedback and "not the candidate's fault" in result.feedback


def test_a_screen_times_at_the_screen_size_to_the_looser_precision() -> None:
    task = load_task(SUITE_DIR / "reduce-sum.yaml")
    screen, bench = TimingSettings(screen=True), TimingSettings()
    assert screen.timed_size(task) == task.sizes.screen[0] and screen.precision(task) == screen.screen_target
    assert bench.timed_size(task) == task.sizes.bench[0] and bench.precision(task) == bench.target
    fixed = TimingSettings(screen=True, size={"n": 1000})  # a fixed size is no screen
    assert fixed.timed_size(task) == {"n": 1000} and fixed.precision(task) == fixed.target
    unscreened = task.model_copy(update={"sizes": task.sizes.model_copy(update={"screen": []})})
    assert screen.timed_size(unscreened) == task.sizes.bench[0] and screen.precision(unscreened) == screen.target
    assert (screen.sample_floor(task), bench.sample_floor(task)) == (screen.screen_min_samples, bench.min_samples)
    assert fixed.sample_floor(task) == screen.sample_floor(unscreened) == fixed.min_samples


POSITIVE = parse_task("""
name: is-positive
family: transform
description: Marks the positive elements.
targets: [cpp-openmp]
work: {bytes: 9*n, flops: n}
signature:
  function: is_positive
  params:
    - {name: x, dtype: float64, shape: n, role: input}
    - {name: n, dtype: int64, role: size}
    - {name: flags, dtype: bool, shape: n, role: output}
inputs:
  - {kind: uniform, param: x, low: -1, high: 1}
sizes:
  test: [{n: 0}, {n: 1}, {n: 7}, {n: 1009}]
  bench: [{n: 20000}]
reference:
  cpp: |
    #include <cstdint>
    void is_positive(const double* x, int64_t n, bool* flags) {
        for (int64_t i = 0; i < n; ++i) flags[i] = x[i] > 0;
    }
""")


def test_timing_stage_times_a_kernel_with_a_bool_output(local_sandbox, clang, quick_roofline):
    parallel = POSITIVE.reference.cpp.replace("    for", "    #pragma omp parallel for\n    for")
    config = VerifyConfig(timing=FAST_TIMING, timing_threads=2)
    verdict = evaluate(POSITIVE, Candidate(source=parallel), local_sandbox, config=config, stages=[TimingStage()])
    assert verdict.stages[0].status is StageStatus.passed, verdict.stages[0].feedback
    assert verdict.timing is not None and verdict.timing.speedup > 0
