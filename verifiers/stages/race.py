"""Stage 4, race: a ThreadSanitizer build, with LLVM's Archer tool for OpenMP, run with several
threads on small but non-degenerate test sizes; every race is reported with the candidate's lines."""

from __future__ import annotations

from tasks.model import KernelTask
from verifiers.batch import RunStatus
from verifiers.context import StageContext
from verifiers.feedback import quote
from verifiers.sanitized_runs import run_sanitized
from verifiers.sanitizer_reports import RaceReport, parse_tsan
from verifiers.sanitizers import RACE_EXIT_CODE
from verifiers.toolchain import Flavour
from verifiers.verdict import Stage, StageResult, StageStatus

MIN_EXTENT = 16
"""A test size is non-degenerate when every size symbol is at least this (work for every thread)."""
MAX_LISTED = 3
"""Races described in the feedback; the log has every report."""
HINT = (
    "Give each thread its own copy (private/firstprivate, a reduction(...) clause, per-thread partial "
    "results combined afterwards), or make the update atomic or critical."
)


def race_sizes(task: KernelTask) -> list[dict[str, int]]:
    """The smallest and the largest non-degenerate test sizes (or the largest size, if none is)."""
    sizes = sorted(task.sizes.test, key=lambda size: sum(size.values()))
    busy = [size for size in sizes if min(size.values(), default=0) >= MIN_EXTENT]
    if not busy:
        return sizes[-1:]
    return busy[:1] if len(busy) == 1 else [busy[0], busy[-1]]


class RaceStage:
    """ThreadSanitizer + Archer."""

    stage = Stage.race

    def __call__(self, ctx: StageContext) -> StageResult:
        sizes = race_sizes(ctx.task)
        runs = run_sanitized(ctx, self.stage, Flavour.tsan, sizes, ctx.config.race_threads)
        if isinstance(runs, StageResult):
            return runs
        for outcome in runs.batch.outcomes:
            where = runs.where(outcome)
            reports = parse_tsan(outcome.report, runs.buffers)
            if reports:
                return self._races(ctx, reports, where, runs.log)
            if outcome.status is RunStatus.timeout:
                return _fail(
                    "race.timeout",
                    f"Under ThreadSanitizer, the run on {where} did not finish within {ctx.run_s:g} s "
                    "(a deadlock, or an infinite loop).",
                    runs.log,
                )
            if outcome.status is RunStatus.exited and outcome.exit_code == RACE_EXIT_CODE:
                return _fail("race.unreadable_report", f"ThreadSanitizer reported problems on {where}.", runs.log)
            if outcome.status in (RunStatus.crashed, RunStatus.exited):
                return _fail("race.crash", f"Under ThreadSanitizer, the run on {where} {outcome.describe()}.", runs.log)
        return StageResult(stage=self.stage, status=StageStatus.passed, logs=runs.log, details={"sizes": sizes})

    def _races(self, ctx: StageContext, reports: list[RaceReport], where: str, logs: str) -> StageResult:
        source = ctx.candidate.source
        items = []
        for report in reports[:MAX_LISTED]:
            items.append(f"- {_describe(report)}")
            items += [f"  {q}" for line in dict.fromkeys(report.lines) if line and (q := quote(source, line))]
        more = f"\n(and {len(reports) - MAX_LISTED} more)" if len(reports) > MAX_LISTED else ""
        kinds = {report.title for report in reports}
        title = f"{len(reports)} data race(s)" if kinds == {"data race"} else f"{len(reports)} problem(s)"
        feedback = f"ThreadSanitizer found {title} running {where}:\n" + "\n".join(items) + more + f"\n{HINT}"
        details = {
            "races": [
                {"kind": r.title, "lines": list(r.lines), "ops": [a.op for a in r.accesses], "location": r.location}
                for r in reports
            ]
        }
        return _fail(reports[0].reason, feedback, logs, **details)


def _describe(report: RaceReport) -> str:
    sides = [
        f"line {a.line} ({a.op})" if a.line else f"a {a.op} outside your code ({a.thread})" for a in report.accesses
    ]
    pair = " and ".join(sides) if sides else "accesses"
    return f"{report.title} between {pair} of your function{_location(report)}"


def _location(report: RaceReport) -> str:
    if report.buffer:
        return f", on the array '{report.buffer}'"
    if report.location.startswith("stack of"):
        return ", on a local variable shared by the threads"
    if report.location.startswith("global"):
        return f", on the {report.location}"
    return f", on {report.location}" if report.location else ""


def _fail(reason: str, feedback: str, logs: str, **details: object) -> StageResult:
    return StageResult(
        stage=Stage.race, status=StageStatus.failed, reason=reason, feedback=feedback, logs=logs, details=details
    )
