"""torchtitan job configs: emitted TOML passes its checks, reads back to the layout, and broken TOML is caught."""

from __future__ import annotations

import tomllib

import pytest

import tasks
from tasks.configs.layout import TrainLayout
from tasks.configs.model import Framework, TrainConfigTask
from verifiers.configs.frameworks import UnsupportedLayout, check_config, emit_config
from verifiers.configs.frameworks.torchtitan import parse

GPT3 = tasks.resolve_task("train-gpt3-175b")
LLAMA8 = tasks.resolve_task("train-llama3-8b")
MIXTRAL = TrainConfigTask(
    name="train-mixtral",
    model="mixtral-8x7b",
    cluster={"gpu": "h100-sxm", "gpus_per_node": 8, "nodes": 1},
    workload={"seq_len": 4096, "global_batch_sequences": 64},
    frameworks=["torchtitan"],
)

VALID = [
    (
        GPT3,
        TrainLayout(
            tp=8, pp=4, vpp=3, dp=2, micro_batch=1, sequence_parallel=True, recompute="selective", zero_stage=3
        ),
    ),
    (GPT3, TrainLayout(tp=8, pp=8, micro_batch=1, sequence_parallel=True, recompute="full", zero_stage=3)),
    (LLAMA8, TrainLayout(dp=8, micro_batch=2, zero_stage=0)),
    (LLAMA8, TrainLayout(tp=2, cp=2, dp=2, micro_batch=1, sequence_parallel=True, zero_stage=2)),
    (MIXTRAL, TrainLayout(tp=2, dp=4, ep=4, micro_batch=1, sequence_parallel=True, zero_stage=3)),
]


def _text(task: TrainConfigTask, layout: TrainLayout) -> str:
    return emit_config(Framework.torchtitan, task, layout).text


@pytest.mark.parametrize(("task", "layout"), VALID)
def test_emitted_config_passes_its_check(task: TrainConfigTask, layout: TrainLayout) -> None:
    text = _text(task, layout)
    assert check_config(Framework.torchtitan, text, model=task.model, world_size=layout.world_size) == []


@pytest.mark.parametrize(("task", "layout"), VALID)
def test_config_reads_back_to_the_layout(task: TrainConfigTask, layout: TrainLayout) -> None:
    config, problems = parse(_text(task, layout))
    assert problems == [] and config is not None
    p, training = config.parallelism, config.training
    assert (p.tensor_parallel_degree, p.pipeline_parallel_degree, p.context_parallel_degree) == (
        layout.tp,
        layout.pp,
        layout.cp,
    )
    assert p.data_parallel_replicate_degree * max(p.data_parallel_shard_degree, 1) == layout.dp
    assert training.global_batch_size == task.workload.batch_sequences
    assert training.seq_len == task.workload.seq_len
    micro = p.pipeline_parallel_microbatch_size if layout.pp > 1 else training.local_batch_size
    assert micro == layout.micro_batch
    assert config.activation_checkpoint.mode == layout.recompute.value


def test_interleaved_layout_uses_the_looped_schedule_with_vpp_stages_per_rank() -> None:
    p = parse(_text(*VALID[0]))[0].parallelism
    assert p.pipeline_parallel_schedule == "Interleaved1F1B"
    assert GPT3.model.layers // p.pipeline_parallel_layers_per_stage == 4 * 3


def test_zero_stages_map_to_ddp_fsdp_and_fsdp_without_reshard() -> None:
    ddp = parse(_text(*VALID[2]))[0].parallelism
    assert (ddp.data_parallel_replicate_degree, ddp.data_parallel_shard_degree) == (8, 1)
    zero2 = emit_config(Framework.torchtitan, *VALID[3])
    assert 'fsdp_reshard_after_forward = "never"' in zero2.text and "ZeRO-2" in zero2.summary


def test_known_preset_uses_the_torchtitan_flavor() -> None:
    assert tomllib.loads(_text(*VALID[2]))["model"] == {"name": "llama3", "flavor": "8B"}
    assert "torchtitan ships no 'gpt3-175b' model" in emit_config(Framework.torchtitan, *VALID[0]).summary


def test_expert_parallelism_borrows_data_parallel_ranks_only() -> None:
    p = parse(_text(*VALID[4]))[0].parallelism
    assert (p.expert_parallel_degree, p.expert_tensor_parallel_degree) == (4, 2)
    text = _text(*VALID[4]).replace("expert_parallel_degree = 4", "expert_parallel_degree = 8")
    problems = check_config(Framework.torchtitan, text, model=MIXTRAL.model)
    assert (
        "data_parallel_shard_degree x context_parallel_degree x tensor_parallel_degree (8) is not divisible by "
        "expert_parallel_degree x expert_tensor_parallel_degree (16)"
    ) in problems


def test_expert_parallelism_with_ddp_is_unsupported() -> None:
    with pytest.raises(UnsupportedLayout) as caught:
        emit_config(Framework.torchtitan, MIXTRAL, TrainLayout(dp=8, ep=2, zero_stage=0))
    assert caught.value.field == "ep"


def test_unknown_key_is_named() -> None:
    text = _text(*VALID[2]).replace("[parallelism]", "[parallelism]\ntensor_parallel_degre = 2")
    assert "parallelism.tensor_parallel_degre: unknown option" in check_config(Framework.torchtitan, text)


def test_inconsistent_global_batch_is_named() -> None:
    text = _text(*VALID[2]).replace("global_batch_size = 128", "global_batch_size = 124")
    problems = check_config(Framework.torchtitan, text)
    assert "training.global_batch_size (124) is not divisible by training.local_batch_size x dp (16)" in problems


def test_mesh_not_matching_the_world_size_is_caught() -> None:
    problems = check_config(Framework.torchtitan, _text(*VALID[3]), world_size=16)
    assert any("multiply to 8 GPUs, not the world size 16" in problem for problem in problems)


def test_single_stage_schedule_with_several_stages_per_rank_is_caught() -> None:
    text = _text(*VALID[0]).replace('"Interleaved1F1B"', '"1F1B"')
    problems = check_config(Framework.torchtitan, text, model=GPT3.model)
    assert "parallelism.pipeline_parallel_schedule 1F1B runs 1 stage per rank, not 3" in problems


def test_sequence_length_not_divisible_is_named() -> None:
    text = _text(*VALID[3]).replace("seq_len = 8192", "seq_len = 8190")
    assert "training.seq_len (8190) is not divisible by tp x 2 x cp (8)" in check_config(Framework.torchtitan, text)


def test_kv_heads_not_divisible_by_tp_are_named() -> None:
    text = _text(*VALID[3]).replace("tensor_parallel_degree = 2", "tensor_parallel_degree = 16")
    problems = check_config(Framework.torchtitan, text, model=LLAMA8.model)
    assert "key/value heads (8) is not divisible by parallelism.tensor_parallel_degree (16)" in problems


def test_invalid_toml_and_wrong_values_are_reported() -> None:
    assert check_config(Framework.torchtitan, "[model\n")[0].startswith("not valid TOML")
    text = _text(*VALID[2]).replace('mode = "none"', 'mode = "sometimes"')
    assert any(
        problem.startswith("activation_checkpoint.mode:") for problem in check_config(Framework.torchtitan, text)
    )


@pytest.mark.parametrize(
    ("layout", "field"),
    [
        (TrainLayout(tp=8, dp=8, zero_stage=1), "zero_stage"),
        (TrainLayout(tp=8, dp=8, zero_stage=0), "zero_stage"),
    ],
)
def test_inexpressible_layouts_are_unsupported(layout: TrainLayout, field: str) -> None:
    with pytest.raises(UnsupportedLayout) as caught:
        emit_config(Framework.torchtitan, GPT3, layout)
    assert caught.value.framework is Framework.torchtitan and caught.value.field == field
