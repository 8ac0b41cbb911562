"""What the race and memory stages share: build the candidate with a sanitizer, run it on some test
sizes (first visible seed) in one job, and keep the raw reports in the stage's log."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox import JobStatus
from tasks.harness import driver_source
from tasks.instance import Instance, InstanceError
from verifiers.batch import Batch, Run, RunOutcome, run_batch
from verifiers.build import build_recipe
from verifiers.capacity import batch_of
from verifiers.capacity_fault import batch_shortfall, capacity_error
from verifiers.context import StageContext
from verifiers.diagnostics import explain_build_failure
from verifiers.feedback import plural, size_label
from verifiers.instances import visible_instance
from verifiers.sanitizer_reports import buffer_lines
from verifiers.toolchain import BINARY, Flavour
from verifiers.verdict import Stage, StageResult, StageStatus


@dataclass(frozen=True)
class SanitizedRuns:
    """The runs of a sanitizer build, with what is needed to explain them."""

    batch: Batch
    instances: dict[str, Instance]
    threads: int
    buffers: dict[int, str]
    """Driver line -> parameter whose buffer it allocates (see :func:`buffer_lines`)."""
    log: str

    def where(self, outcome: RunOutcome) -> str:
        """``n=1009 with 4 threads``."""
        return f"{size_label(self.instances[outcome.run.instance].size)} with {plural(self.threads, 'thread')}"


def run_sanitized(
    ctx: StageContext, stage: Stage, flavour: Flavour, sizes: list[dict[str, int]], threads: int
) -> SanitizedRuns | StageResult:
    """Build ``ctx.candidate`` as ``flavour`` and run it on ``sizes``, in one job; a stage result when that cannot
    be done."""
    log = ctx.log_path(f"{stage.value}.log")
    seed = ctx.config.seeds[0] if ctx.config.seeds else 0
    try:
        instances = {f"{stage.value}{i}": visible_instance(ctx.task, size, seed) for i, size in enumerate(sizes)}
    except InstanceError as exc:
        return StageResult(
            stage=stage, status=StageStatus.error, reason=f"{stage.value}.bad_instance", feedback=str(exc)
        )
    runs = [Run(key, BINARY, key, threads) for key in instances]
    recipe = build_recipe(ctx.task, ctx.candidate.source, ctx.sandbox, flavour)
    batch = run_batch(ctx.sandbox, {}, instances, runs, run_s=ctx.run_s, flavour=flavour, build=recipe)
    if batch.failed_build is not None and batch.job.status is not JobStatus.sandbox_error:
        log.write_text(batch.failed_build.log)
        failure = explain_build_failure(batch.failed_build, ctx.task.signature)
        return failure.result(stage, f"{stage.value}.build", str(log))
    outcomes = "\n".join(
        f"== {size_label(instances[o.run.instance].size)}: {o.describe()}\n{o.report}" for o in batch.outcomes
    )
    log.write_text(f"job {batch.job.status.value} {batch.job.message}\n{outcomes}\n== stderr\n{batch.job.stderr}\n")
    if fault := batch_shortfall(batch, lambda limits: batch_of(stage.value, instances, runs, flavour, limits)):
        return capacity_error(stage, fault, str(log))
    if batch.job.status is JobStatus.sandbox_error:
        return StageResult(
            stage=stage,
            status=StageStatus.error,
            reason=f"{stage.value}.sandbox",
            feedback=batch.job.message,
            logs=str(log),
        )
    return SanitizedRuns(batch, instances, threads, buffer_lines(driver_source(ctx.task.signature)), str(log))
