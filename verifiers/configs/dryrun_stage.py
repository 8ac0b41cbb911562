"""The ``dry_run`` stage of a training config: the scaled-down layout really trains with torch.distributed."""

from __future__ import annotations

import importlib.util

from tasks.configs.layout import TrainLayout
from tasks.configs.model import TrainConfigTask
from verifiers.configs.dryrun import DryRunResult, dry_run
from verifiers.configs.verdict import ConfigStage, ConfigStageResult
from verifiers.verdict import StageStatus


def torch_available() -> bool:
    """Whether the workers can import torch (``pip install -e '.[torch]'``)."""
    return importlib.util.find_spec("torch") is not None


def _details(result: DryRunResult) -> dict:
    scaled = result.layout
    return {
        "real_shape": scaled.real_shape(),
        "scaled_shape": scaled.shape(),
        "world_size": result.world_size,
        "model": scaled.model.model_dump(),
        "micro_batches": scaled.micro_batches,
        "dropped": scaled.dropped,
        "losses": result.losses,
        "reference_losses": result.reference_losses,
        "failed_rank": result.failed_rank,
    }


def dry_run_stage(task: TrainConfigTask, layout: TrainLayout, steps: int = 4) -> ConfigStageResult:
    """Run ``layout`` scaled down on CPU ranks; pass when the loss decreases as a single process's does.

    Skipped (``dry_run.disabled``) when the task turns dry runs off, and (``dry_run.no_torch``) when
    torch is not installed; failed with the failing rank's traceback, the hung ranks' stacks or the
    losses otherwise.
    """
    if not task.dry_run:
        return ConfigStageResult(
            stage=ConfigStage.dry_run, status=StageStatus.skipped, reason="dry_run.disabled", feedback=""
        )
    if not torch_available():
        return ConfigStageResult(
            stage=ConfigStage.dry_run,
            status=StageStatus.skipped,
            reason="dry_run.no_torch",
            feedback="torch is not installed: pip install -e '.[torch]' (the CPU build is enough)",
        )
    result = dry_run(layout, steps=steps)
    return ConfigStageResult(
        stage=ConfigStage.dry_run,
        status=StageStatus.passed if result.passed else StageStatus.failed,
        reason=result.reason,
        feedback=""
        if result.passed
        else f"The layout scaled down to {result.layout.shape()} did not train: {result.problem}",
        seconds=result.seconds,
        details=_details(result),
    )
