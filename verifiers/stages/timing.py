"""The timing stage: the candidate against the reference (and the current best), interleaved in one job."""

from __future__ import annotations

import json
import logging

from sandbox import JobStatus
from verifiers.capacity import instance_footprint, timing_job
from verifiers.capacity_fault import capacity_error, shortfall
from verifiers.context import StageContext
from verifiers.timing.bundle import CANDIDATE, Bundle
from verifiers.timing.measure import context_bundle, context_measurement, timed_kernels
from verifiers.timing.roofline import Roofline
from verifiers.timing.roofline_cache import machine_roofline
from verifiers.timing.roofline_probe import ProbeError
from verifiers.timing.summary import describe, summarize
from verifiers.verdict import Stage, StageResult, StageStatus

log = logging.getLogger(__name__)


class TimingStage:
    """Times the candidate and reports its speedup with a confidence interval and its roofline fraction.

    The reference, the candidate and the current best are built into one program and called in
    rotating order, after warm-ups, until the speedup's interval is narrow enough or the sampling
    budget is spent (``VerifyConfig.timing``). The stage fails only when the candidate cannot be
    built into the timing program or does not run through it; judging the figures is the
    anti-cheat stage's job.
    """

    stage = Stage.timing

    def __call__(self, ctx: StageContext) -> StageResult:
        bundle = context_bundle(ctx)
        if not bundle.ok:
            return self._build_failure(ctx, bundle)
        measurement = context_measurement(ctx)
        if not measurement.ok:
            timeout = measurement.result.status.value == "timeout"
            job = measurement.result
            logs = _log(ctx, "timing.log", f"{job.message}\n--- stdout\n{job.stdout}\n--- stderr\n{job.stderr}")
            footprint = instance_footprint(measurement.instance)
            if fault := shortfall(job, lambda limits: timing_job(footprint, timed_kernels(ctx), limits)):
                return capacity_error(self.stage, fault, logs)
            if job.status is JobStatus.sandbox_error:
                return _sandbox_error(f"The timing run could not be started: {job.message}", logs)
            return StageResult(
                stage=self.stage,
                status=StageStatus.failed,
                reason="timing.timeout" if timeout else "timing.run_failed",
                feedback=f"The timing run at size {measurement.instance.size} failed: {measurement.describe_failure()}",
                logs=logs,
            )
        roofline = self._roofline(ctx, measurement.threads)
        timing = summarize(
            measurement, roofline, confidence=ctx.config.confidence, resamples=ctx.config.timing.resamples
        )
        samples = {str(k): series.tolist() for k, series in measurement.times_ns.items()}
        record = {"timing": timing.model_dump(), "stop": measurement.stop, "times_ns": samples}
        return StageResult(
            stage=self.stage,
            status=StageStatus.passed,
            feedback=describe(timing),
            logs=_log(ctx, "timing.json", json.dumps(record)),
            details={"timing": timing, "stop": measurement.stop},
        )

    def _build_failure(self, ctx: StageContext, bundle: Bundle) -> StageResult:
        logs = _log(ctx, "timing.log", "\n\n".join(f"--- {part}\n{text}" for part, text in bundle.failures.items()))
        if bundle.result is not None and bundle.result.status is JobStatus.sandbox_error:
            return _sandbox_error(f"The timing program's build could not be started: {bundle.result.message}", logs)
        if bundle.result is not None and (fault := shortfall(bundle.result, logs=bundle.failures.values())):
            return capacity_error(self.stage, fault, logs)
        candidate_part = f"lib{CANDIDATE}"
        if candidate_part in bundle.failures:
            return StageResult(
                stage=self.stage,
                status=StageStatus.failed,
                reason="timing.build_failed",
                feedback="The kernel does not build as a shared library exporting only the task's function "
                "(symbols outside the C/C++ and OpenMP runtimes cannot be resolved):\n"
                + bundle.failures[candidate_part][-3000:],
                logs=logs,
            )
        parts = ", ".join(sorted(bundle.failures))
        return StageResult(
            stage=self.stage,
            status=StageStatus.error,
            reason="timing.toolchain",
            feedback=f"The timing program could not be built ({parts}); this is not the candidate's fault.",
            logs=logs,
            details={"failures": bundle.failures},
        )

    @staticmethod
    def _roofline(ctx: StageContext, threads: int) -> Roofline | None:
        try:
            return machine_roofline(ctx.sandbox, threads)
        except ProbeError as exc:
            log.warning("no roofline figures: %s", exc)
            return None


def _sandbox_error(what: str, logs: str) -> StageResult:
    """The sandbox failed the job (it could not start or carry it): the verifier's error, not the candidate's."""
    return StageResult(
        stage=Stage.timing,
        status=StageStatus.error,
        reason="timing.sandbox",
        feedback=f"{what}. This is not the candidate's fault.",
        logs=logs,
    )


def _log(ctx: StageContext, name: str, text: str) -> str:
    """Write ``text`` to the candidate's log file ``name``; its path."""
    path = ctx.log_path(name)
    path.write_text(text)
    return str(path)
