"""The training verifier cascade: layout, memory, performance, with numbers in the feedback."""

from __future__ import annotations

import pytest

from tasks import resolve_task
from tasks.configs.layout import TrainLayout
from tasks.configs.model import TrainConfigTask
from verifiers.configs.train_cascade import verify_train_layout
from verifiers.configs.verdict import ConfigStage
from verifiers.verdict import StageStatus

GPT3 = resolve_task("train-gpt3-175b")


def _statuses(verdict) -> dict[ConfigStage, StageStatus]:
    return {stage.stage: stage.status for stage in verdict.stages}


def test_a_good_layout_passes_every_stage_with_its_tokens_per_second():
    verdict = verify_train_layout(GPT3, TrainLayout(tp=8, pp=8, sequence_parallel=True, recompute="selective"))
    assert verdict.accepted
    assert set(_statuses(verdict).values()) == {StageStatus.passed}
    performance = verdict.stages[-1]
    assert verdict.objective_value == pytest.approx(performance.details["tokens_per_s"])
    assert "MFU" in performance.feedback and "tokens/s" in performance.feedback
    assert verdict.layout["tp"] == 8


def test_cost_objective_is_gpu_seconds_per_token():
    cost = TrainConfigTask.model_validate({**GPT3.model_dump(), "objective": "cost"})
    verdict = verify_train_layout(cost, TrainLayout(tp=8, pp=8, recompute="full", sequence_parallel=True))
    details = verdict.stages[-1].details
    assert verdict.objective_value == pytest.approx(details["step_time_s"] * 64 / (64 * 2048))


def test_a_shape_error_stops_the_cascade_and_names_the_field():
    verdict = verify_train_layout(GPT3, TrainLayout(tp=8, pp=5))
    assert not verdict.accepted
    assert verdict.failure.stage is ConfigStage.layout
    assert _statuses(verdict)[ConfigStage.memory] is StageStatus.skipped
    assert _statuses(verdict)[ConfigStage.performance] is StageStatus.skipped
    assert "layers (96) not divisible by pp*vpp" in verdict.feedback()
    assert verdict.objective_value is None


def test_a_layout_that_does_not_fit_gets_the_memory_numbers():
    verdict = verify_train_layout(GPT3, TrainLayout(tp=8, pp=4, dp=2))
    assert verdict.failure.stage is ConfigStage.memory
    assert verdict.failure.reason == "memory.does_not_fit"
    feedback = verdict.feedback()
    assert "of 80.0 GiB" in feedback and "largest term is" in feedback and "Over by" in feedback
    assert _statuses(verdict)[ConfigStage.performance] is StageStatus.skipped
    assert verdict.failure.details["total"] > verdict.failure.details["capacity"]
