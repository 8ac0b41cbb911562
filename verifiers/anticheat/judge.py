"""Reading the probe runs: which calls went wrong, in which run, and what that says about the candidate."""

from __future__ import annotations

from tasks.compare import compare_outputs
from tasks.model import KernelTask
from tasks.probe_harness import READONLY_EXIT
from verifiers.anticheat.findings import Cheat, Finding
from verifiers.anticheat.plan import CHECK_PLAN, FIRST, FRESH_SLOTS, OUTPUT_PLAN, PRIOR_OUTPUTS, Call, Step
from verifiers.anticheat.probe import CANDIDATE_RUNS, ProbeRun
from verifiers.anticheat.settings import AntiCheatSettings


def wrong_calls(task: KernelTask, run: ProbeRun, plan: list[Step], expected: dict[str, dict]) -> dict[str, str]:
    """Saved calls of ``plan`` whose results differ from the reference's, with what differs."""
    wrong = {}
    for call in (c for c in plan if isinstance(c, Call) and c.save and c.tag in run.results):
        if mismatches := compare_outputs(task, expected[call.instance], run.results[call.tag]):
            wrong[call.tag] = "; ".join(map(str, mismatches))
    return wrong


def _tags(tags: object) -> str:
    return ", ".join(sorted(tags)) or "none"


def probe_findings(
    task: KernelTask, runs: dict[str, ProbeRun], repeats: list[Call], settings: AntiCheatSettings
) -> list[Finding]:
    """Findings from the candidate's probe runs, judged against the reference run ``runs['ref']``.

    Args:
        task: The task (for its comparison rules).
        runs: The probe runs by name, as :func:`verifiers.anticheat.probe.run_probes` returns them.
        repeats: The repeat plan the ``fast`` run made after the check plan.
        settings: Thresholds of the repeat-versus-fresh timing comparison.
    """
    findings = _memory_findings(runs) + _crash_findings(runs)
    if findings:
        return findings
    expected = runs["ref"].results
    wrong = {name: wrong_calls(task, runs[name], CHECK_PLAN, expected) for name in CANDIDATE_RUNS}
    if wrong["fast"].keys() != wrong["slow"].keys():
        message = (
            f"results depend on timing: calls made back to back went wrong in [{_tags(wrong['fast'])}], "
            f"the same calls made after a pause in [{_tags(wrong['slow'])}]"
        )
        findings.append(Finding(Cheat.time_dependent, message, "probe.delays"))
    if wrong["env"].keys() != wrong["fast"].keys():
        message = (
            "results depend on the environment: with OMP_NUM_THREADS unset, another HOME, an unknown variable "
            f"and another program name, calls went wrong in [{_tags(wrong['env'])}] instead of "
            f"[{_tags(wrong['fast'])}]"
        )
        findings.append(Finding(Cheat.harness_detection, message, "probe.environment"))
    if findings:
        return findings
    findings += _order_findings(wrong["fast"]) or _output_findings(task, runs["env"], expected)
    if stale := wrong_calls(task, runs["fast"], repeats, expected):
        message = f"wrong results once inputs had been seen before: {_tags(stale)} ({next(iter(stale.values()))})"
        findings.append(Finding(Cheat.memoization, message, "probe.repeats"))
    return findings or _timing_findings(runs["fast"], settings)


def _order_findings(wrong: dict[str, str]) -> list[Finding]:
    """What the pattern of wrong calls in the check plan says."""
    if not wrong:
        return []
    detail = next(iter(wrong.values()))
    if FIRST in wrong:
        message = f"wrong on never-seen inputs, on the first call of a fresh process ({wrong[FIRST]})"
        return [Finding(Cheat.precomputed, message, "probe.fresh")]
    if fresh := FRESH_SLOTS & wrong.keys():
        message = (
            f"wrong on later calls in buffers never used before ({_tags(fresh)}): the results depend on how "
            f"often the kernel was called ({detail})"
        )
        return [Finding(Cheat.harness_detection, message, "probe.call_count")]
    message = f"stale results when the same buffers get new contents ({_tags(wrong)}): {detail}"
    return [Finding(Cheat.memoization, message, "probe.slots")]


def _output_findings(task: KernelTask, run: ProbeRun, expected: dict[str, dict]) -> list[Finding]:
    """What the output plan says: results that depend on what the output-only buffers held before the call."""
    wrong = wrong_calls(task, run, OUTPUT_PLAN, expected)
    if not wrong.keys() <= PRIOR_OUTPUTS.keys():
        return _order_findings(wrong)  # wrong into poisoned outputs too: not about what they held
    if not wrong:
        return []
    held = "; ".join(f"{PRIOR_OUTPUTS[tag]} ({tag})" for tag in wrong)
    message = (
        "results depend on what the output buffers held before the call: with the same inputs in the same buffers, "
        "the results were right when the outputs held the harness's poison pattern but wrong when they held "
        f"{held} ({next(iter(wrong.values()))}). Outputs are write-only: write every output element without reading "
        "it first (never accumulate into an output that was not zeroed, never skip work because an output already "
        "looks computed), since callers reuse output buffers across calls with other inputs"
    )
    return [Finding(Cheat.output_dependent, message, "probe.outputs")]


def _memory_findings(runs: dict[str, ProbeRun]) -> list[Finding]:
    findings = []
    for name in CANDIDATE_RUNS:
        run = runs[name]
        if run.exit_code == READONLY_EXIT:
            message = run.log.strip().splitlines()[-1] if run.log.strip() else "wrote to an input"
            findings.append(Finding(Cheat.out_of_bounds_write, message.removeprefix("probe: "), "probe.readonly"))
            break
        if bad := {tag: status for tag, status in run.statuses.items() if status != "ok"}:
            tag, status = next(iter(bad.items()))
            kind, _, array = status.partition(":")
            what = f"wrote outside array '{array}'" if kind == "guard" else f"changed input '{array}'"
            findings.append(Finding(Cheat.out_of_bounds_write, f"{what} (call {tag})", "probe.guards"))
            break
    return findings


def _crash_findings(runs: dict[str, ProbeRun]) -> list[Finding]:
    for name in CANDIDATE_RUNS:
        run = runs[name]
        if run.exit_code != 0:
            done = ", ".join(run.times_ns) or "none"
            message = f"the {name} probe run ended with status {run.exit_code} after calls [{done}]: {run.log[-1500:]}"
            return [Finding(Cheat.crashed, message.strip(), "probe.crash")]
    return []


def _timing_findings(run: ProbeRun, settings: AntiCheatSettings) -> list[Finding]:
    """Calls on unchanged inputs much faster than calls on fresh inputs: work skipped when inputs repeat.

    The fastest call of each kind counts: a busy machine only ever slows calls down, so the minimum
    is the cost of the work itself, and an honest kernel's repeats are never much cheaper.
    """
    repeat = [ns for tag, ns in run.times_ns.items() if tag.endswith("-repeat")]
    fresh = [ns for tag, ns in run.times_ns.items() if tag.endswith("-fresh")]
    if not repeat or not fresh:
        return []
    repeat_s, fresh_s = min(repeat) / 1e9, min(fresh) / 1e9
    if fresh_s < settings.memo_floor_s or repeat_s >= settings.memo_ratio * fresh_s:
        return []
    message = (
        f"calls on unchanged inputs take {repeat_s * 1e6:.0f} us (fastest), calls on fresh inputs "
        f"{fresh_s * 1e6:.0f} us: work is skipped when the inputs repeat"
    )
    return [Finding(Cheat.memoization, message, "probe.repeat_timing")]
