"""The framework stage: each config a task asks for is emitted and checked; feedback names framework and option."""

from __future__ import annotations

import pytest

import tasks
from tasks.configs.layout import ServeLayout, TrainLayout
from tasks.configs.model import TRAIN_FRAMEWORKS, Framework, TrainConfigTask
from verifiers.configs.framework_stage import check_frameworks
from verifiers.configs.frameworks import emit_config
from verifiers.configs.verdict import ConfigStage
from verifiers.verdict import StageStatus

GPT3 = tasks.resolve_task("train-gpt3-175b").model_copy(update={"frameworks": list(TRAIN_FRAMEWORKS)})
SERVE = tasks.resolve_task("serve-llama3-70b")


def test_layout_every_framework_expresses_passes() -> None:
    result = check_frameworks(GPT3, TrainLayout(tp=8, dp=8, micro_batch=1, recompute="full", zero_stage=3))
    assert result.stage is ConfigStage.framework
    assert result.status is StageStatus.passed, result.feedback
    configs = result.details["configs"]
    assert [config["framework"] for config in configs] == ["megatron", "deepspeed", "torchtitan"]
    assert [config["filename"] for config in configs] == ["megatron_args.sh", "ds_config.json", "torchtitan.toml"]


def test_unsupported_framework_fails_naming_framework_and_field() -> None:
    result = check_frameworks(GPT3, TrainLayout(tp=8, pp=8, micro_batch=1, zero_stage=1))
    assert result.status is StageStatus.failed
    assert result.reason == "framework.unsupported_layout"
    assert "torchtitan cannot express layout field 'zero_stage'" in result.feedback
    assert len(result.details["configs"]) == 2  # Megatron and DeepSpeed were still written


def test_invalid_config_fails_naming_framework_and_option() -> None:
    task = TrainConfigTask.model_validate({**GPT3.model_dump(exclude={"kind"}), "frameworks": ["megatron"]})
    result = check_frameworks(task, TrainLayout(tp=5, micro_batch=1))
    assert result.status is StageStatus.failed and result.reason == "framework.invalid_config"
    expected = (
        "megatron (megatron_args.sh): --num-attention-heads (96) is not divisible by --tensor-model-parallel-size (5)"
    )
    assert expected in result.feedback.splitlines()


def test_serving_layout_passes_and_training_layout_is_an_error() -> None:
    assert check_frameworks(SERVE, ServeLayout(tp=4, replicas=2)).status is StageStatus.passed
    result = check_frameworks(SERVE, TrainLayout(tp=8))
    assert result.status is StageStatus.error and result.reason == "framework.layout_kind"


def test_emit_config_refuses_a_serving_framework_for_training() -> None:
    with pytest.raises(TypeError, match="serve_config task"):
        emit_config(Framework.vllm, GPT3, TrainLayout(tp=8))
