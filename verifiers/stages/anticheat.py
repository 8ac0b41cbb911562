"""The anti-cheat stage: static signals, the timed results, probe runs, and the roofline, cheapest first."""

from __future__ import annotations

import json
from collections.abc import Callable

from tasks.instance import Instance
from verifiers.anticheat.findings import Finding, worst
from verifiers.anticheat.judge import probe_findings
from verifiers.anticheat.plan import probe_instances, probe_size, repeat_plan
from verifiers.anticheat.probe import TIMED_RUNS, UNTIMED_RUNS, ProbeFailure, ProbeRun, run_probes
from verifiers.anticheat.static import source_findings, symbol_findings
from verifiers.anticheat.timed import roofline_findings, timed_result_findings
from verifiers.capacity_fault import CapacityShortfall, capacity_error
from verifiers.context import StageContext
from verifiers.timing.measure import context_bundle, context_measurement, timing_threads
from verifiers.timing.roofline_cache import machine_roofline
from verifiers.timing.roofline_probe import ProbeError
from verifiers.verdict import Stage, StageResult, StageStatus

REPEAT_CYCLES = 12
"""Repeat/fresh cycles of the repeat plan: 12 fresh instances, so a cache must hold 12 entries to hide."""


class AntiCheatStage:
    """Rejects candidates that get their speed or their results by not doing the task's work.

    Groups of checks run in order and the stage stops at the first group with findings:

    1. ``static``: the source and the candidate's symbols (clocks, environment, arguments, files,
       run-time lookup of other code, runtime interposition, benchmark sizes, tables);
    2. ``timed``: the candidate's results in the timing run (a never-seen bench-size instance)
       against the reference's;
    3. ``probe``: the candidate called over scripted plans in fresh processes, with guarded
       buffers and read-only inputs: never-seen inputs, changed contents in the same buffers,
       fresh buffers after many calls, pauses between calls, a perturbed environment, output
       buffers already holding other results, and repeated against fresh inputs, timed (when the
       timed results were stale, the probe still runs, to tell a kernel that counts its calls from
       one that remembers results);
    4. ``roofline``: the timed median call against the time the machine needs to move the task's
       declared bytes (the memory side of the roofline).

    It reuses the timing stage's bundle and measurement from the context when they are there. The
    probe runs that are not timed (the reference, the paused and the perturbed runs) are made in one
    job alongside other candidates' work; only the timed one has the machine to itself.
    """

    stage = Stage.anticheat

    def __call__(self, ctx: StageContext) -> StageResult:
        bundle = context_bundle(ctx)
        if not bundle.ok or bundle.symbols is None:
            return self._error(ctx, f"the kernels did not build: {', '.join(sorted(bundle.failures)) or 'no symbols'}")
        groups: list[tuple[str, Callable[[StageContext], list[Finding]]]] = [
            ("static", self._static),
            ("timed", self._timed),
            ("probe", self._probe),
            ("roofline", self._roofline),
        ]
        done = []
        for name, check in groups:
            try:
                findings = check(ctx)
                if findings and all(f.check == "timed.results" for f in findings):
                    done.append(name)
                    name, findings = "probe", self._probe(ctx) + findings
            except CapacityShortfall as exc:
                return capacity_error(self.stage, f"{exc} in the {name} checks")
            except (ProbeFailure, ProbeError) as exc:
                return self._error(ctx, f"{name} checks could not run: {exc}")
            done.append(name)
            if findings:
                return self._failed(ctx, findings, done)
        logs = ctx.log_path("anticheat.json")
        logs.write_text(json.dumps({"checks": done, "findings": []}))
        return StageResult(stage=self.stage, status=StageStatus.passed, logs=str(logs), details={"checks": done})

    @staticmethod
    def _static(ctx: StageContext) -> list[Finding]:
        task = ctx.task
        sizes = [value for size in [*task.sizes.bench, *task.sizes.screen] for value in size.values()]
        found = source_findings(
            ctx.candidate.source, reference=task.reference.cpp, function=task.signature.function, sizes=sizes
        )
        return found + symbol_findings(context_bundle(ctx).symbols)

    @staticmethod
    def _timed(ctx: StageContext) -> list[Finding]:
        measurement = context_measurement(ctx)
        if not measurement.ok:
            raise ProbeFailure(f"the timing run failed: {measurement.describe_failure()}")
        return timed_result_findings(ctx.sandbox, context_bundle(ctx), measurement)

    @staticmethod
    def _probe(ctx: StageContext) -> list[Finding]:
        instances = probe_instances(ctx.task, probe_size(ctx.task, ctx.config.anticheat.probe_size), REPEAT_CYCLES)
        runs = _run_probes(ctx, instances, UNTIMED_RUNS) | _run_probes(ctx, instances, TIMED_RUNS)
        return probe_findings(ctx.task, runs, repeat_plan(REPEAT_CYCLES), ctx.config.anticheat)

    @staticmethod
    def _roofline(ctx: StageContext) -> list[Finding]:
        measurement = context_measurement(ctx)
        roofline = machine_roofline(ctx.sandbox, measurement.threads)
        return roofline_findings(measurement, roofline, ctx.config.anticheat.roofline_slack)

    def _failed(self, ctx: StageContext, findings: list[Finding], done: list[str]) -> StageResult:
        lead = worst(findings)
        lines = [f"- [{f.cheat.value}] {f.message}" for f in [lead, *(f for f in findings if f is not lead)]]
        feedback = (
            "The kernel was rejected as cheating: it must compute its outputs from its inputs on every call, "
            "with no clocks, environment, files, caches of earlier calls, or writes outside its outputs.\n"
            + "\n".join(lines)
        )
        logs = ctx.log_path("anticheat.json")
        logs.write_text(
            json.dumps([{"reason": f.cheat.value, "check": f.check, "message": f.message} for f in findings])
        )
        return StageResult(
            stage=self.stage,
            status=StageStatus.failed,
            reason=lead.cheat.value,
            feedback=feedback,
            logs=str(logs),
            details={"check": lead.check, "checks": done, "findings": [f.message for f in findings]},
        )

    def _error(self, ctx: StageContext, message: str) -> StageResult:
        logs = ctx.log_path("anticheat.json")
        logs.write_text(json.dumps({"error": message}))
        return StageResult(
            stage=self.stage, status=StageStatus.error, reason="anticheat.unavailable", feedback=message, logs=str(logs)
        )


def _run_probes(ctx: StageContext, instances: dict[str, Instance], names: tuple[str, ...]) -> dict[str, ProbeRun]:
    return run_probes(
        ctx.sandbox,
        context_bundle(ctx),
        instances,
        names,
        cycles=REPEAT_CYCLES,
        delay_ms=ctx.config.anticheat.delay_ms,
        threads=timing_threads(ctx),
        wall_s=ctx.task.limits.bench_s,
    )
