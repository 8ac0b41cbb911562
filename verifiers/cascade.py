"""``evaluate``: the verification cascade, cheapest stage first, stopping at the first failure."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from sandbox import Sandbox
from tasks.model import KernelTask
from verifiers.candidate import Candidate
from verifiers.context import StageContext, VerifyConfig
from verifiers.stages import VerifierStage
from verifiers.verdict import Stage, StageResult, StageStatus, Verdict


def default_stages() -> list[VerifierStage]:
    """The cpp-openmp cascade, in order."""
    return []  # filled in as stages land


def evaluate(
    task: KernelTask,
    candidate: Candidate,
    sandbox: Sandbox,
    *,
    config: VerifyConfig | None = None,
    best: Candidate | None = None,
    logs_dir: Path | None = None,
    stages: list[VerifierStage] | None = None,
) -> Verdict:
    """Run the cascade on ``candidate`` and return its verdict."""
    ctx = StageContext(
        task=task,
        candidate=candidate,
        sandbox=sandbox,
        config=config or VerifyConfig(),
        logs_dir=logs_dir or Path(tempfile.mkdtemp(prefix=f"paraforge-{task.name}-")),
        best=best,
    )
    results: list[StageResult] = []
    stopped = False
    for stage in stages if stages is not None else default_stages():
        if stopped:
            results.append(StageResult(stage=stage.stage, status=StageStatus.skipped, reason="earlier-stage-failed"))
            continue
        started = time.monotonic()
        result = stage(ctx)
        result.seconds = time.monotonic() - started
        results.append(result)
        stopped = result.status in (StageStatus.failed, StageStatus.error)
    timing = next((r.details.get("timing") for r in results if r.stage is Stage.timing), None)
    return Verdict(
        task=task.name,
        task_version=task.version,
        candidate=candidate.digest,
        stages=results,
        timing=timing,
    )
