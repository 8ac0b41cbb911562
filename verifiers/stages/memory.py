"""Stage 5, memory: an AddressSanitizer + UndefinedBehaviorSanitizer build run on every test size
(the first seed, the most threads), its first report turned into feedback at the candidate's line."""

from __future__ import annotations

from tasks.instance import Instance
from verifiers.batch import RunStatus
from verifiers.context import StageContext
from verifiers.feedback import plural, quote
from verifiers.sanitized_runs import run_sanitized
from verifiers.sanitizer_reports import MemoryReport, parse_memory
from verifiers.toolchain import Flavour
from verifiers.verdict import Stage, StageResult, StageStatus

HINTS: dict[str, str] = {
    "heap-buffer-overflow": "Stay within each array's bounds (0 .. length-1); check loop bounds at edge sizes.",
    "stack-buffer-overflow": "A local array is indexed outside its bounds.",
    "global-buffer-overflow": "A global array is indexed outside its bounds.",
    "heap-use-after-free": "Memory is used after it was freed.",
    "double-free": "Memory is freed twice.",
    "stack-overflow": "The stack overflowed: avoid deep recursion and large local arrays (allocate on the heap).",
    "SEGV": "An invalid address was dereferenced.",
    "signed_overflow": "Signed integer overflow is undefined: use a wider type (int64_t) or unsigned arithmetic.",
    "invalid_shift": "Shift amounts must be non-negative and below the width of the shifted type.",
    "misaligned": "Access data through correctly aligned pointers (use memcpy for unaligned loads).",
    "null_pointer": "A null pointer is used.",
    "division_by_zero": "Integer division by zero.",
    "out_of_bounds": "An array is indexed outside its declared bounds.",
}


class MemoryStage:
    """AddressSanitizer + UBSan."""

    stage = Stage.memory

    def __call__(self, ctx: StageContext) -> StageResult:
        threads = max(ctx.config.thread_counts)
        runs = run_sanitized(ctx, self.stage, Flavour.asan, list(ctx.task.sizes.test), threads)
        if isinstance(runs, StageResult):
            return runs
        for outcome in runs.batch.outcomes:
            if outcome.status is RunStatus.ok:
                continue
            where = runs.where(outcome)
            report = parse_memory(outcome.report or runs.batch.job.stderr, runs.buffers)
            if report:
                return self._report(ctx, report, runs.instances[outcome.run.instance], where, runs.log)
            if outcome.status is RunStatus.timeout:
                return _fail(
                    "memory.timeout",
                    f"Under AddressSanitizer, the run on {where} did not finish within {ctx.run_s:g} s.",
                    runs.log,
                )
            if outcome.status in (RunStatus.crashed, RunStatus.exited):
                return _fail(
                    "memory.crash", f"Under AddressSanitizer, the run on {where} {outcome.describe()}.", runs.log
                )
        return StageResult(stage=self.stage, status=StageStatus.passed, logs=runs.log)

    def _report(
        self, ctx: StageContext, report: MemoryReport, instance: Instance, where: str, logs: str
    ) -> StageResult:
        tool = "UndefinedBehaviorSanitizer" if report.ubsan else "AddressSanitizer"
        at = f"line {report.line} of your code" if report.line else "outside your code's lines"
        text = f"{tool}: {report.kind.replace('_', ' ')} on {where}: {report.message} at {at}"
        if report.region:
            text += f", {report.region}"
        if report.buffer:
            param = ctx.task.signature.param(report.buffer)
            length = param.shape.evaluate(instance.symbols) if param.shape is not None else 1
            text += f" (the array '{report.buffer}', {plural(length, 'element')})"
        snippet = quote(ctx.candidate.source, report.line) if report.line else ""
        feedback = (
            text + (f"\n{snippet}" if snippet else "") + (f"\n{HINTS[report.kind]}" if report.kind in HINTS else "")
        )
        details = {"kind": report.kind, "line": report.line, "buffer": report.buffer, "size": instance.size}
        return _fail(report.reason, feedback, logs, **details)


def _fail(reason: str, feedback: str, logs: str, **details: object) -> StageResult:
    return StageResult(
        stage=Stage.memory, status=StageStatus.failed, reason=reason, feedback=feedback, logs=logs, details=details
    )
