"""The ``dry_run`` stage of a training config: skipped without torch or when turned off, else run and judged."""

from __future__ import annotations

import functools
import subprocess
import sys

import pytest

from tasks import resolve_task
from tasks.configs.layout import TrainLayout
from verifiers.configs import dryrun_stage
from verifiers.configs.dryrun import InjectedFault, dry_run
from verifiers.configs.verdict import ConfigStage
from verifiers.verdict import StageStatus


@pytest.fixture
def task():
    return resolve_task("train-gpt3-175b")


def test_skipped_without_torch(task, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dryrun_stage, "torch_available", lambda: False)
    result = dryrun_stage.dry_run_stage(task, TrainLayout(tp=8, pp=8))
    assert result.stage is ConfigStage.dry_run
    assert result.status is StageStatus.skipped
    assert result.reason == "dry_run.no_torch"
    assert "pip install" in result.feedback


def test_skipped_when_the_task_turns_it_off(task) -> None:
    result = dryrun_stage.dry_run_stage(task.model_copy(update={"dry_run": False}), TrainLayout(tp=8, pp=8))
    assert result.status is StageStatus.skipped
    assert result.reason == "dry_run.disabled"


def test_passes_with_losses_and_shapes(task) -> None:
    pytest.importorskip("torch", reason="the dry run needs torch: pip install -e '.[torch]'")
    result = dryrun_stage.dry_run_stage(task, TrainLayout(), steps=2)
    assert result.status is StageStatus.passed, result.feedback
    assert result.details["real_shape"] == "tp1 x pp1 x dp1"
    assert result.details["scaled_shape"] == "tp1 x pp1 x dp1"
    assert result.details["world_size"] == 1
    assert len(result.details["losses"]) == 2
    assert result.details["losses"][1] < result.details["losses"][0]
    assert result.seconds > 0


def test_fails_with_the_failing_rank(task, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch", reason="the dry run needs torch: pip install -e '.[torch]'")
    faulty = functools.partial(dry_run, fault=InjectedFault(rank=0, kind="raise"))
    monkeypatch.setattr(dryrun_stage, "dry_run", faulty)
    result = dryrun_stage.dry_run_stage(task, TrainLayout(), steps=2)
    assert result.status is StageStatus.failed
    assert result.reason == "dry_run.rank_failed"
    assert result.details["failed_rank"] == 0
    assert "injected fault on rank 0" in result.feedback
    assert "scaled down to tp1 x pp1 x dp1" in result.feedback


def test_the_verifier_imports_without_torch() -> None:
    code = "import sys, verifiers.configs.dryrun_stage; assert 'torch' not in sys.modules, 'torch was imported'"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr


def test_fewer_than_two_steps_are_refused() -> None:
    with pytest.raises(ValueError, match="steps must be at least 2 to see the loss decrease, got 1"):
        dry_run(TrainLayout(), steps=1)
