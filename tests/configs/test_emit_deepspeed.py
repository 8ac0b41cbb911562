"""DeepSpeed configs: emitted JSON passes its checks, reads back to the layout, and broken JSON is caught."""

from __future__ import annotations

import json

import pytest

import tasks
from tasks.configs.layout import TrainLayout
from tasks.configs.model import Framework, TrainConfigTask
from verifiers.configs.frameworks import UnsupportedLayout, check_config, emit_config
from verifiers.configs.frameworks.deepspeed import parse

GPT3 = tasks.resolve_task("train-gpt3-175b")
LLAMA8 = tasks.resolve_task("train-llama3-8b")
MIXTRAL = TrainConfigTask(
    name="train-mixtral",
    model="mixtral-8x7b",
    cluster={"gpu": "h100-sxm", "gpus_per_node": 8, "nodes": 1},
    workload={"seq_len": 4096, "global_batch_sequences": 64},
    frameworks=["deepspeed"],
)

VALID = [
    (GPT3, TrainLayout(tp=8, pp=8, micro_batch=1, recompute="full", zero_stage=1)),
    (GPT3, TrainLayout(tp=8, dp=8, micro_batch=2, recompute="selective", zero_stage=3)),
    (LLAMA8, TrainLayout(dp=8, micro_batch=2, zero_stage=2)),
    (MIXTRAL, TrainLayout(dp=8, ep=4, micro_batch=1, zero_stage=2)),
]


def _text(task: TrainConfigTask, layout: TrainLayout) -> str:
    return emit_config(Framework.deepspeed, task, layout).text


def _edited(task: TrainConfigTask, layout: TrainLayout, **changes: object) -> str:
    config = json.loads(_text(task, layout))
    for path, value in changes.items():
        *parents, key = path.split("__")
        target = config
        for parent in parents:
            target = target[parent]
        target[key] = value
    return json.dumps(config)


@pytest.mark.parametrize(("task", "layout"), VALID)
def test_emitted_config_passes_its_check(task: TrainConfigTask, layout: TrainLayout) -> None:
    text = _text(task, layout)
    assert check_config(Framework.deepspeed, text, model=task.model, world_size=layout.world_size) == []
    assert check_config(Framework.deepspeed, text) == []


@pytest.mark.parametrize(("task", "layout"), VALID)
def test_config_reads_back_to_the_layout(task: TrainConfigTask, layout: TrainLayout) -> None:
    config, problems = parse(_text(task, layout))
    assert problems == [] and config is not None
    assert (config.tp, config.pp, config.ep) == (layout.tp, layout.pp, layout.ep)
    assert config.zero_optimization.stage == layout.zero_stage
    assert config.train_batch_size == task.workload.batch_sequences
    assert config.train_micro_batch_size_per_gpu == layout.micro_batch
    assert config.train_batch_size == layout.micro_batch * config.gradient_accumulation_steps * layout.dp
    assert config.bf16.enabled
    assert (config.activation_checkpointing is not None) == (layout.recompute != "none")


def test_full_recompute_in_a_pipeline_checkpoints_every_layer() -> None:
    config, _ = parse(_text(*VALID[0]))
    assert config.pipeline.activation_checkpoint_interval == 1


def test_inconsistent_batch_is_named() -> None:
    text = _edited(*VALID[1], train_batch_size=72)
    problems = check_config(Framework.deepspeed, text, world_size=64)
    assert any(
        problem.startswith("train_batch_size (72) != train_micro_batch_size_per_gpu (2)") for problem in problems
    )


def test_inconsistent_batch_is_caught_without_world_size() -> None:
    problems = check_config(Framework.deepspeed, _edited(*VALID[1], train_batch_size=65))
    assert any(problem.startswith("train_batch_size (65) is not divisible by") for problem in problems)


def test_unknown_key_is_named() -> None:
    text = _edited(*VALID[2], zero_optimisation={"stage": 2})
    assert "zero_optimisation: unknown option" in check_config(Framework.deepspeed, text)


def test_wrong_types_and_values_are_named() -> None:
    problems = check_config(Framework.deepspeed, _edited(*VALID[2], zero_optimization__stage=4, train_batch_size="128"))
    assert any(problem.startswith("zero_optimization.stage:") for problem in problems)
    assert any(problem.startswith("train_batch_size:") for problem in problems)


def test_zero2_with_pipeline_is_caught() -> None:
    problems = check_config(Framework.deepspeed, _edited(*VALID[0], zero_optimization__stage=2))
    assert any("zero_optimization.stage 2 is incompatible with pipeline parallelism" in p for p in problems)


def test_experts_not_divisible_by_autoep_size_are_named() -> None:
    text = _edited(*VALID[3], expert_parallel__autoep_size=3)
    problems = check_config(Framework.deepspeed, text, model=MIXTRAL.model, world_size=8)
    assert "number of experts (8) is not divisible by expert_parallel.autoep_size (3)" in problems
    assert "ranks per pipeline stage (8) is not divisible by expert_parallel.autoep_size (3)" in problems


def test_invalid_json_is_reported() -> None:
    (problem,) = check_config(Framework.deepspeed, "{not json")
    assert problem.startswith("not valid JSON")


@pytest.mark.parametrize(
    ("layout", "field"),
    [
        (TrainLayout(tp=8, cp=2, dp=4), "cp"),
        (TrainLayout(tp=8, pp=4, vpp=2, dp=2), "vpp"),
        (TrainLayout(tp=8, dp=8, sequence_parallel=True), "sequence_parallel"),
        (TrainLayout(tp=8, pp=8, zero_stage=2), "zero_stage"),
    ],
)
def test_inexpressible_layouts_are_unsupported(layout: TrainLayout, field: str) -> None:
    with pytest.raises(UnsupportedLayout) as caught:
        emit_config(Framework.deepspeed, GPT3, layout)
    assert caught.value.framework is Framework.deepspeed and caught.value.field == field
