"""``evaluate``: the verification cascade, cheapest stage first, stopping at the first failure."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from sandbox import Sandbox, SandboxUnavailable
from tasks.model import KernelTask
from verifiers.cache import VerdictCache, cache_key, cacheable
from verifiers.candidate import Candidate
from verifiers.context import StageContext, VerifyConfig
from verifiers.hardware import hardware_fingerprint
from verifiers.machine_lock import MACHINE
from verifiers.stages import VerifierStage
from verifiers.stages.anticheat import AntiCheatStage
from verifiers.stages.compile import CompileStage
from verifiers.stages.correctness import CorrectnessStage
from verifiers.stages.memory import MemoryStage
from verifiers.stages.parse import ParseStage
from verifiers.stages.race import RaceStage
from verifiers.stages.timing import TimingStage
from verifiers.toolchain_version import compiler_version
from verifiers.verdict import Stage, StageResult, StageStatus, Verdict


def default_stages() -> list[VerifierStage]:
    """The cpp-openmp cascade, in order."""
    return [
        ParseStage(),
        CompileStage(),
        CorrectnessStage(),
        RaceStage(),
        MemoryStage(),
        *timed_stages(),
    ]


def timed_stages() -> list[VerifierStage]:
    """The stages whose outcome depends on the size a candidate is timed at: what a re-verification at another
    timing size (a final at the bench size) runs, the other stages' results carrying over (:meth:`Verdict.after`)."""
    return [TimingStage(), AntiCheatStage()]


def evaluate(
    task: KernelTask,
    candidate: Candidate,
    sandbox: Sandbox,
    *,
    config: VerifyConfig | None = None,
    best: Candidate | None = None,
    logs_dir: Path | None = None,
    stages: list[VerifierStage] | None = None,
    cache: VerdictCache | None = None,
) -> Verdict:
    """Run the cascade on ``candidate`` and return its verdict.

    With a ``cache``, a verdict stored for the same candidate, task, toolchain, machine, settings
    and stages is returned instead of verifying again, and a fresh verdict is stored.
    """
    config = config or VerifyConfig()
    stages = stages if stages is not None else default_stages()
    key = ""
    if cache is not None:
        key = cache_key(
            task=task,
            candidate=candidate,
            toolchain=compiler_version(sandbox),
            hardware=hardware_fingerprint().digest,
            config=config,
            stages=[stage.stage.value for stage in stages],
            best=best,
        )
        cached = cache.get(key)
        if cached is not None:
            return cached
    ctx = StageContext(
        task=task,
        candidate=candidate,
        sandbox=sandbox,
        config=config,
        logs_dir=logs_dir or Path(tempfile.mkdtemp(prefix=f"paraforge-{task.name}-")),
        best=best,
    )
    results: list[StageResult] = []
    stopped = False
    for stage in stages:
        if stopped:
            results.append(StageResult(stage=stage.stage, status=StageStatus.skipped, reason="earlier-stage-failed"))
            continue
        with MACHINE.shared():
            started = time.monotonic()
            result = _judge(stage, ctx)
            result.seconds = time.monotonic() - started
        results.append(result)
        stopped = result.status in (StageStatus.failed, StageStatus.error)
    timing = next((r.details.get("timing") for r in results if r.stage is Stage.timing), None)
    verdict = Verdict(
        task=task.name,
        task_version=task.version,
        candidate=candidate.digest,
        stages=results,
        timing=timing,
        cache_key=key,
    )
    if cache is not None and cacheable(verdict):
        cache.put(key, verdict)
    return verdict


def _judge(stage: VerifierStage, ctx: StageContext) -> StageResult:
    """The stage's result; a sandbox that cannot be reached is the verifier's error, never the candidate's."""
    try:
        return stage(ctx)
    except SandboxUnavailable as exc:
        return StageResult(
            stage=stage.stage,
            status=StageStatus.error,
            reason=f"{stage.stage.value}.sandbox_unavailable",
            feedback=f"The sandbox could not be reached ({exc}); not the code's fault.",
        )
