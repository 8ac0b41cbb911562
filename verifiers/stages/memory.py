"""Stage 5, memory: an AddressSanitizer + UndefinedBehaviorSanitizer build run on every test size
(the first seed, the most threads), its first report turned into feedback at the candidate's line."""

from __future__ import annotations

from sandbox import JobStatus
from tasks.harness import driver_source
from tasks.instance import Instance, InstanceError
from verifiers.batch import Run, RunStatus, run_batch
from verifiers.context import StageContext
from verifiers.diagnostics import explain_build_failure
from verifiers.feedback import plural, quote, size_label
from verifiers.instances import visible_instance
from verifiers.sanitizer_reports import MemoryReport, buffer_lines, parse_memory
from verifiers.toolchain import BINARY, Flavour
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
        log = ctx.log_path("memory.log")
        build = ctx.build(Flavour.asan)
        if build.binary is None:
            log.write_text(build.log)
            return explain_build_failure(build, ctx.task.signature).result(self.stage, "memory.build", str(log))
        seed = ctx.config.seeds[0] if ctx.config.seeds else 0
        threads = max(ctx.config.thread_counts)
        try:
            instances = {f"m{i}": visible_instance(ctx.task, size, seed) for i, size in enumerate(ctx.task.sizes.test)}
        except InstanceError as exc:
            return StageResult(
                stage=self.stage, status=StageStatus.error, reason="memory.bad_instance", feedback=str(exc)
            )
        runs = [Run(key, BINARY, key, threads) for key in instances]
        batch = run_batch(ctx.sandbox, {BINARY: build.binary}, instances, runs, run_s=ctx.run_s, flavour=Flavour.asan)
        log.write_text(
            f"job {batch.job.status.value} {batch.job.message}\n"
            + "\n".join(
                f"== {o.run.key} ({size_label(instances[o.run.key].size)}): {o.describe()}\n{o.report}"
                for o in batch.outcomes
            )
            + f"\n== stderr\n{batch.job.stderr}\n"
        )
        if batch.job.status is JobStatus.sandbox_error:
            return StageResult(
                stage=self.stage,
                status=StageStatus.error,
                reason="memory.sandbox",
                feedback=batch.job.message,
                logs=str(log),
            )
        buffers = buffer_lines(driver_source(ctx.task.signature))
        for outcome in batch.outcomes:
            instance = instances[outcome.run.key]
            where = f"{size_label(instance.size)} with {plural(threads, 'thread')}"
            report = (
                parse_memory(outcome.report or batch.job.stderr, buffers)
                if outcome.status is not RunStatus.ok
                else None
            )
            if report:
                return self._report(ctx, report, instance, where, str(log))
            if outcome.status is RunStatus.timeout:
                return _fail(
                    "memory.timeout",
                    f"Under AddressSanitizer, the run on {where} did not finish within {ctx.run_s:g} s.",
                    str(log),
                )
            if outcome.status in (RunStatus.crashed, RunStatus.exited):
                return _fail(
                    "memory.crash", f"Under AddressSanitizer, the run on {where} {outcome.describe()}.", str(log)
                )
        return StageResult(stage=self.stage, status=StageStatus.passed, logs=str(log))

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
