"""Anti-cheat: static signals, probe judgement, and the timing + anti-cheat stages on cheating and honest kernels.

Every file under ``candidates/<task>/`` is a sneaky cheat (correct on the test sizes, clean under the
sanitizers) whose first line says which stage and reason must catch it; ``honest/<task>/`` holds
kernels that must pass. The full sweep is slow; a few representative cheats run by default.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tasks import load_task
from tasks.instance import make_instance
from tasks.loader import SUITE_DIR
from verifiers.anticheat.findings import Cheat, Finding, worst
from verifiers.anticheat.judge import probe_findings, wrong_calls
from verifiers.anticheat.plan import (
    CHECK_PLAN,
    OUTPUT_PLAN,
    PRIOR_OUTPUTS,
    Call,
    Prefill,
    near_duplicate,
    plan_text,
    probe_instances,
    repeat_plan,
)
from verifiers.anticheat.probe import ProbeRun, run_probes
from verifiers.anticheat.settings import AntiCheatSettings
from verifiers.anticheat.static import source_findings, split_literals, symbol_findings
from verifiers.candidate import Candidate
from verifiers.cascade import default_stages, evaluate
from verifiers.context import VerifyConfig
from verifiers.stages.anticheat import AntiCheatStage
from verifiers.stages.timing import TimingStage
from verifiers.timing import roofline_cache
from verifiers.timing.bundle import SymbolReport
from verifiers.timing.measure import context_bundle
from verifiers.timing.roofline_probe import measure_roofline
from verifiers.verdict import Stage

HERE = Path(__file__).parent
CHEATS = sorted(p for p in (HERE / "candidates").glob("*/*.cpp") if p.read_text().startswith("// expect: anticheat"))
"""The candidates the anti-cheat stage must catch (the folder also holds the core stages' cases)."""
HONEST = sorted((HERE / "honest").glob("*/*.cpp"))
QUICK = {
    "reduce-sum/memo-pointer",
    "reduce-sum/input-scratch",
    "reduce-sum/large-size-memo",
    "reduce-sum/env-detect",
    "reduce-sum/output-tag",
}
"""Cheats run by default: one per kind of check (probe, timed inputs, timed results, static)."""
TIMING_SIZES = {
    "reduce-sum": {"n": 250000},
    "gemm": {"n": 320},
    "histogram": {"n": 2000000},
    "spmv": {"rows": 200000, "cols": 200000},
    "bfs": {"n": 1500000},
    "gelu": {"n": 2000000},
}
"""Timed sizes for the sweep: small, but past the test sizes (the size-gated cheats misbehave only there)."""
REDUCE = load_task(SUITE_DIR / "reduce-sum.yaml")


def expectation(path: Path) -> tuple[str, str]:
    """The ``// expect: <stage> <reason>`` header of a cheat candidate."""
    match = re.match(r"//\s*expect:\s*(\S+)\s+(\S+)", path.read_text())
    assert match, f"{path} has no '// expect: <stage> <reason>' first line"
    return match.group(1), match.group(2)


def _config(task_name: str) -> VerifyConfig:
    return VerifyConfig(timing={"size": TIMING_SIZES[task_name], "budget_s": 1.0}, timing_threads=2)


@pytest.fixture(scope="module")
def measured_roofline(tmp_path_factory, local_sandbox):
    """This machine's roofline, quickly probed once for the module into a private cache dir."""
    home = tmp_path_factory.mktemp("paraforge-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARAFORGE_HOME", str(home))
        roofline_cache._memo.clear()
        roofline_cache.machine_roofline(
            local_sandbox,
            2,
            probe=lambda sandbox, threads: measure_roofline(
                sandbox, threads, working_sets=[2**k for k in range(18, 29)], seconds=0.03
            ),
        )
        yield
    roofline_cache._memo.clear()


def _cases(paths: list[Path]) -> list:
    return [
        pytest.param(path, id=name, marks=() if name in QUICK else pytest.mark.slow)
        for path in paths
        if (name := f"{path.parent.name}/{path.stem}")
    ]


# --- static signals ---------------------------------------------------------------------------------------------


def _static(source: str) -> list[Finding]:
    return source_findings(source, reference=REDUCE.reference.cpp, function="reduce_sum", sizes=[20000000])


def test_split_literals_keeps_lines_and_separates_strings():
    code, strings = split_literals('int a; // getenv\nconst char* p = "/proc/self"; /* time( */ int b;\n')
    assert code.count("\n") == strings.count("\n") == 2
    assert "getenv" not in code and "/proc/self" not in code and "/proc/self" in strings and "int b" in code


@pytest.mark.parametrize(
    ("snippet", "cheat"),
    [
        ('if (std::getenv("OMP_NUM_THREADS")) {}', Cheat.harness_detection),
        ('FILE* f = fopen("/proc/self/cmdline", "r");', Cheat.harness_detection),
        ("auto t = std::chrono::steady_clock::now();", Cheat.time_dependent),
        ("unsigned long long t = __rdtsc();", Cheat.time_dependent),
        ("double t = omp_get_wtime();", Cheat.time_dependent),
        ('asm volatile("rdtsc" : "=a"(lo), "=d"(hi));', Cheat.time_dependent),
        ("if (n == 20'000'000) out[0] = 1.0;", Cheat.precomputed),
        ("if (n == 2e7) out[0] = 1.0;", Cheat.precomputed),
        ('#include "/tmp/answers.h"', Cheat.precomputed),
        ("static const double t[] = {" + ", ".join(["1.5"] * 300) + "};", Cheat.precomputed),
        ('auto f = dlsym(RTLD_DEFAULT, "pf_kernel_0");', Cheat.calls_reference),
        ('extern "C" void helper() __attribute__((weak));', Cheat.calls_reference),
        ("mprotect(p, 4096, 3);", Cheat.out_of_bounds_write),
    ],
)
def test_source_signals(snippet, cheat):
    assert cheat in {f.cheat for f in _static(f"void reduce_sum() {{\n{snippet}\n}}\n")}


def test_source_signals_point_at_lines_and_ignore_comments():
    source = (
        "// getenv? no: std::chrono is for the harness\n#include <cmath>\nint x = 1;\ndouble t = omp_get_wtime();\n"
    )
    findings = _static(source)
    assert [f.cheat for f in findings] == [Cheat.time_dependent]
    assert findings[0].message.startswith("line 4:")


def test_honest_sources_have_no_static_signals():
    for path in HONEST:
        assert _static(path.read_text()) == [], path


def test_calling_a_reference_helper_without_defining_it_is_a_signal():
    reference = "static double term_ref(double v) { return v; }\nvoid reduce_sum(const double* x) { term_ref(x[0]); }"
    candidate = (
        "double term_ref(double);\nvoid reduce_sum(const double* x, long n, double* out) { out[0] = term_ref(x[0]); }"
    )
    found = source_findings(candidate, reference=reference, function="reduce_sum", sizes=[])
    assert [f.cheat for f in found] == [Cheat.calls_reference]
    defined = "double term_ref(double v) { return 2 * v; }\n" + candidate
    assert source_findings(defined, reference=reference, function="reduce_sum", sizes=[]) == []


def test_symbol_signals():
    clean = SymbolReport(
        defined=["reduce_sum"], undefined=["sin", "__kmpc_fork_call"], needed=["libomp.so.5", "libc.so.6"]
    )
    assert symbol_findings(clean) == []
    report = SymbolReport(
        defined=["reduce_sum", "clock_gettime"],
        undefined=["getenv", "std::chrono::_V2::steady_clock::now()", "fopen"],
        needed=["libc.so.6", "libreference.so"],
    )
    cheats = {f.cheat for f in symbol_findings(report)}
    assert cheats == {Cheat.harness_detection, Cheat.time_dependent, Cheat.precomputed, Cheat.calls_reference}


def test_worst_prefers_the_most_specific_reason():
    findings = [Finding(Cheat.beyond_roofline, "", ""), Finding(Cheat.harness_detection, "", "")]
    assert worst(findings).cheat is Cheat.harness_detection


# --- probe plans and their judgement ----------------------------------------------------------------------------


def test_near_duplicate_keeps_size_and_ends_and_changes_a_few_elements():
    instance = make_instance(REDUCE, {"n": 10000}, 3)
    twin = near_duplicate(instance, np.random.default_rng(0))
    x, y = instance.args["x"], twin.args["x"]
    assert len(x) == len(y) and x[0] == y[0] and x[-1] == y[-1]
    assert 1 <= np.count_nonzero(x != y) <= 0.02 * len(x)


REPEATS = repeat_plan(2)
EXPECTED = {"out": np.array([1.0])}
WRONG = {"out": np.array([2.0])}


def _run(name: str, wrong: set[str] = frozenset(), *, exit_code=0, statuses=None, times=None) -> ProbeRun:
    steps = CHECK_PLAN + {"fast": REPEATS, "env": OUTPUT_PLAN}.get(name, [])
    calls = [c for c in steps if isinstance(c, Call)]
    results = {c.tag: (WRONG if c.tag in wrong else EXPECTED) for c in calls if c.save}
    times = times or {c.tag: 1_000_000 for c in calls}
    return ProbeRun(name, exit_code, "", times, statuses or dict.fromkeys(times, "ok"), results)


def _judge(fast=None, slow=None, env=None) -> list[Finding]:
    names = ["A", "A1", "A2", "B", "C", "D", "R", "P0", "P1"]
    reference = ProbeRun("ref", 0, "", results=dict.fromkeys(names, EXPECTED))
    runs = {"ref": reference, "fast": fast or _run("fast"), "slow": slow or _run("slow"), "env": env or _run("env")}
    return probe_findings(REDUCE, runs, REPEATS, AntiCheatSettings())


def test_judge_passes_a_clean_probe():
    assert _judge() == []


@pytest.mark.parametrize(
    ("wrong", "cheat", "check"),
    [
        ({"first"}, Cheat.precomputed, "probe.fresh"),
        ({"new-slot-1", "reused-slot"}, Cheat.harness_detection, "probe.call_count"),
        ({"near-duplicate"}, Cheat.memoization, "probe.slots"),
        ({"seen-content"}, Cheat.memoization, "probe.slots"),
    ],
)
def test_judge_reads_the_pattern_of_wrong_calls(wrong, cheat, check):
    run = lambda name: _run(name, wrong)  # noqa: E731 - the same wrong calls in every run
    findings = _judge(run("fast"), run("slow"), run("env"))
    assert [(f.cheat, f.check) for f in findings] == [(cheat, check)]


def test_plan_text_writes_prefill_steps_and_kept_outputs():
    steps = [Call("A1", 3, True, "new-slot-3"), Prefill("A", 3), Call("A1", 3, True, "over", keep=True)]
    text = plan_text(steps, delay_ms=5)
    assert text == "sleep 5\ncall A1 3 1 new-slot-3\nprefill A 3\nsleep 5\ncall A1 3 1 over keep\n"


@pytest.mark.parametrize(
    ("wrong", "cheat", "check"),
    [
        ({"over-other-answer"}, Cheat.output_dependent, "probe.outputs"),
        (set(PRIOR_OUTPUTS), Cheat.output_dependent, "probe.outputs"),
        ({"new-slot-3", "over-near-answer"}, Cheat.harness_detection, "probe.call_count"),
    ],
)
def test_judge_reads_the_output_plan_of_the_env_run(wrong, cheat, check):
    findings = _judge(env=_run("env", wrong))
    assert [(f.cheat, f.check) for f in findings] == [(cheat, check)]
    if cheat is Cheat.output_dependent:
        assert all(tag in findings[0].message for tag in wrong) and "without reading it first" in findings[0].message


def test_judge_tells_time_and_environment_dependence():
    assert _judge(fast=_run("fast", {"near-duplicate"}), env=_run("env", {"near-duplicate"}))[0].cheat is (
        Cheat.time_dependent
    )
    assert _judge(env=_run("env", {"reused-slot"}))[0].cheat is Cheat.harness_detection


def test_judge_flags_repeats_much_faster_than_fresh_calls():
    times = {c.tag: 2_000_000 for c in CHECK_PLAN + REPEATS}
    times.update({c.tag: 50_000 for c in REPEATS if c.tag.endswith("-repeat")})
    findings = _judge(fast=_run("fast", times=times))
    assert [(f.cheat, f.check) for f in findings] == [(Cheat.memoization, "probe.repeat_timing")]
    tiny = dict.fromkeys(times, 5_000)  # below the noise floor: no verdict either way
    assert _judge(fast=_run("fast", times=tiny)) == []


def test_judge_flags_guards_inputs_and_crashes():
    statuses = {c.tag: "ok" for c in CHECK_PLAN}
    statuses["first"] = "guard:out"
    assert _judge(slow=_run("slow", statuses=statuses))[0].cheat is Cheat.out_of_bounds_write
    readonly = ProbeRun("env", 86, "probe: the kernel wrote to read-only input 'x'\n")
    finding = _judge(env=readonly)[0]
    assert finding.cheat is Cheat.out_of_bounds_write and "read-only input 'x'" in finding.message
    assert _judge(fast=ProbeRun("fast", 139, "Segmentation fault"))[0].cheat is Cheat.crashed


# --- the stages on real kernels ---------------------------------------------------------------------------------


def _verify(path: Path, sandbox) -> object:
    task = load_task(SUITE_DIR / f"{path.parent.name}.yaml")
    candidate = Candidate(source=path.read_text(), origin=str(path))
    return evaluate(task, candidate, sandbox, config=_config(task.name), stages=[TimingStage(), AntiCheatStage()])


@pytest.mark.parametrize("path", _cases(CHEATS))
def test_cheat_is_caught(path, local_sandbox, clang, measured_roofline):
    stage, reason = expectation(path)
    verdict = _verify(path, local_sandbox)
    failure = verdict.failure
    assert failure is not None, f"{path.name} was accepted: {[s.feedback for s in verdict.stages]}"
    assert (failure.stage.value, failure.reason) == (stage, reason), failure.feedback


@pytest.mark.parametrize("path", [pytest.param(p, id=f"{p.parent.name}/{p.stem}") for p in HONEST])
def test_honest_kernel_passes(path, local_sandbox, clang, measured_roofline):
    verdict = _verify(path, local_sandbox)
    assert verdict.accepted, verdict.feedback()
    assert verdict.timing is not None and verdict.timing.roofline_fraction < 1
    assert verdict.stages[1].details["checks"] == ["static", "timed", "probe", "roofline"]


def test_dynamic_checks_catch_what_static_checks_also_see(local_sandbox, clang, measured_roofline, tmp_path):
    """Clock and environment tricks are caught by the probes alone, not only by reading the source."""
    from verifiers.context import StageContext

    for name, cheat in [("clock-skip", Cheat.time_dependent), ("env-detect", Cheat.harness_detection)]:
        source = (HERE / "candidates" / "reduce-sum" / f"{name}.cpp").read_text()
        ctx = StageContext(REDUCE, Candidate(source=source), local_sandbox, _config("reduce-sum"), tmp_path)
        assert cheat in {f.cheat for f in AntiCheatStage._probe(ctx)}, name


@pytest.mark.slow
@pytest.mark.parametrize("path", _cases(CHEATS + HONEST))
def test_candidate_passes_the_earlier_stages(path, local_sandbox, clang, tmp_path):
    """The cheats are sneaky: the core stages (parse, compile, correctness, race, memory) accept them."""
    task = load_task(SUITE_DIR / f"{path.parent.name}.yaml")
    core = [stage for stage in default_stages() if stage.stage not in (Stage.timing, Stage.anticheat)]
    candidate = Candidate(source=path.read_text(), origin=str(path))
    verdict = evaluate(task, candidate, local_sandbox, config=VerifyConfig(run_s=5), stages=core, logs_dir=tmp_path)
    assert verdict.accepted, verdict.feedback()


def test_output_plan_prefills_and_keeps_outputs(local_sandbox, clang, tmp_path):
    """The driver's prefill and keep steps: a kernel adding to its output goes wrong over every kind of kept
    output, one that tags its own results only over its own, an honest one never; the poisoned call is right."""
    from verifiers.context import StageContext

    instances = probe_instances(REDUCE, {"n": 10000}, 1)
    for name, wrong in [("output-accumulate", set(PRIOR_OUTPUTS)), ("output-tag", {"over-own-answer"})]:
        source = (HERE / "candidates" / "reduce-sum" / f"{name}.cpp").read_text()
        ctx = StageContext(REDUCE, Candidate(source=source), local_sandbox, _config("reduce-sum"), tmp_path)
        runs = run_probes(
            local_sandbox, context_bundle(ctx), instances, ("ref", "env"), cycles=1, delay_ms=1, threads=2, wall_s=60
        )
        assert set(wrong_calls(REDUCE, runs["env"], OUTPUT_PLAN, runs["ref"].results)) == wrong, name


def test_only_the_timed_probe_run_has_the_machine_to_itself(local_sandbox, clang, tmp_path):
    """The reference, paused and perturbed runs share a job with no lock of its own; the repeat-timing run
    (and no other) holds the machine exclusively while it runs."""
    from sandbox import Job, JobResult
    from verifiers.context import StageContext

    held: dict[str, bool] = {}

    class Recording:
        name, unenforced = local_sandbox.name, local_sandbox.unenforced

        def run(self, job: Job) -> JobResult:
            runs = re.findall(r"\brun (ref|fast|slow|env)\b", " ".join(job.command))
            held.update({name: job.while_running is not None for name in runs})
            return local_sandbox.run(job)

    source = next(path for path in HONEST if path.parent.name == "reduce-sum").read_text()
    ctx = StageContext(REDUCE, Candidate(source=source), Recording(), _config("reduce-sum"), tmp_path)
    assert AntiCheatStage._probe(ctx) == []
    assert held == {"ref": False, "slow": False, "env": False, "fast": True}
