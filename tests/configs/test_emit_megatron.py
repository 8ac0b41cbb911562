"""Megatron-LM scripts: emitted scripts pass their checks, read back to the layout, and broken ones are caught."""

from __future__ import annotations

import pytest

import tasks
from tasks.configs.layout import TrainLayout
from tasks.configs.model import Framework, TrainConfigTask
from verifiers.configs.frameworks import UnsupportedLayout, check_config, emit_config
from verifiers.configs.frameworks.megatron import parse

GPT3 = tasks.resolve_task("train-gpt3-175b")
LLAMA8 = tasks.resolve_task("train-llama3-8b")
MIXTRAL = TrainConfigTask(
    name="train-mixtral",
    model="mixtral-8x7b",
    cluster={"gpu": "h100-sxm", "gpus_per_node": 8, "nodes": 2},
    workload={"seq_len": 4096, "global_batch_sequences": 64},
)

VALID = [
    (GPT3, TrainLayout(tp=8, pp=8, micro_batch=1, sequence_parallel=True, recompute="selective", zero_stage=1)),
    (GPT3, TrainLayout(tp=8, pp=4, vpp=3, dp=2, micro_batch=1, sequence_parallel=True, zero_stage=1)),
    (GPT3, TrainLayout(tp=8, dp=8, micro_batch=1, recompute="full", zero_stage=3)),
    (LLAMA8, TrainLayout(tp=2, cp=2, dp=2, micro_batch=1, sequence_parallel=True, zero_stage=1)),
    (LLAMA8, TrainLayout(dp=8, micro_batch=2, recompute="full", zero_stage=2)),
    (MIXTRAL, TrainLayout(tp=2, dp=8, ep=4, micro_batch=1, sequence_parallel=True, zero_stage=1)),
]


def _script(task: TrainConfigTask, layout: TrainLayout) -> str:
    return emit_config(Framework.megatron, task, layout).text


@pytest.mark.parametrize(("task", "layout"), VALID)
def test_emitted_script_passes_its_check(task: TrainConfigTask, layout: TrainLayout) -> None:
    assert check_config(Framework.megatron, _script(task, layout), world_size=layout.world_size) == []


@pytest.mark.parametrize(("task", "layout"), VALID)
def test_script_reads_back_to_the_layout(task: TrainConfigTask, layout: TrainLayout) -> None:
    launch, problems = parse(_script(task, layout))
    assert problems == [] and launch is not None
    args = launch.args
    assert launch.world_size == layout.world_size
    assert (args.tensor_model_parallel_size, args.pipeline_model_parallel_size, args.virtual_stages) == (
        layout.tp,
        layout.pp,
        layout.vpp,
    )
    assert (args.context_parallel_size, args.expert_model_parallel_size) == (layout.cp, layout.ep)
    assert args.micro_batch_size == layout.micro_batch
    assert args.global_batch_size == task.workload.batch_sequences
    assert args.seq_length == task.workload.seq_len
    assert args.sequence_parallel == layout.sequence_parallel
    expected_granularity = None if layout.recompute == "none" else layout.recompute.value
    assert args.recompute_granularity == expected_granularity
    assert args.use_distributed_optimizer == (layout.zero_stage >= 1)
    assert args.num_layers == task.model.layers and args.num_attention_heads == task.model.heads


def test_model_shapes_follow_the_spec() -> None:
    args = parse(_script(*VALID[3]))[0].args
    assert args.group_query_attention and args.num_query_groups == 8
    assert args.swiglu and args.untie_embeddings_and_output_weights and args.bf16
    moe = parse(_script(*VALID[5]))[0].args
    assert (moe.num_experts, moe.moe_router_topk, moe.moe_token_dispatcher_type) == (8, 2, "alltoall")


def test_zero_stages_map_to_distributed_optimizer_and_megatron_fsdp() -> None:
    fsdp = parse(_script(*VALID[2]))[0].args
    assert fsdp.use_megatron_fsdp and fsdp.data_parallel_sharding_strategy == "optim_grads_params"
    assert fsdp.ckpt_format == "fsdp_dtensor"
    zero2 = parse(_script(*VALID[4]))[0].args
    assert zero2.data_parallel_sharding_strategy == "optim_grads"


def test_unknown_option_is_named() -> None:
    text = _script(*VALID[0]).replace("--bf16", "--bf16 \\\n    --tensor-model-paralel-size 8")
    assert "--tensor-model-paralel-size: unknown option" in check_config(Framework.megatron, text)


def test_inconsistent_global_batch_is_named() -> None:
    text = _script(*VALID[1]).replace("--global-batch-size 64", "--global-batch-size 63")
    problems = check_config(Framework.megatron, text)
    assert any(problem.startswith("--global-batch-size (63)") for problem in problems), problems


def test_heads_not_divisible_by_tp_are_named() -> None:
    text = _script(*VALID[0]).replace("--tensor-model-parallel-size 8", "--tensor-model-parallel-size 5")
    problems = check_config(Framework.megatron, text)
    assert "--num-attention-heads (96) is not divisible by --tensor-model-parallel-size (5)" in problems
    assert any(problem.startswith("world size (64)") for problem in problems)


def test_bad_value_is_named() -> None:
    text = _script(*VALID[0]).replace("--micro-batch-size 1", "--micro-batch-size one")
    (problem,) = check_config(Framework.megatron, text)
    assert "--micro-batch-size" in problem and "one" in problem


def test_full_recompute_without_method_is_caught() -> None:
    text = _script(*VALID[2]).replace("--recompute-method uniform", "")
    assert any("--recompute-method" in problem for problem in check_config(Framework.megatron, text))


def test_launcher_world_size_must_match_the_layout() -> None:
    problems = check_config(Framework.megatron, _script(*VALID[0]), world_size=32)
    assert any("torchrun starts 64 processes" in problem for problem in problems)


def test_experts_not_divisible_by_ep_are_named() -> None:
    text = _script(*VALID[5]).replace("--num-experts 8", "--num-experts 6")
    problems = check_config(Framework.megatron, text)
    assert "--num-experts (6) is not divisible by --expert-model-parallel-size (4)" in problems


def test_zero3_with_pipeline_is_unsupported() -> None:
    with pytest.raises(UnsupportedLayout) as caught:
        emit_config(Framework.megatron, GPT3, TrainLayout(tp=8, pp=8, zero_stage=3))
    assert caught.value.framework is Framework.megatron and caught.value.field == "zero_stage"


def test_expert_parallelism_on_a_dense_model_is_unsupported() -> None:
    with pytest.raises(UnsupportedLayout, match="'ep'"):
        emit_config(Framework.megatron, GPT3, TrainLayout(tp=8, dp=8, ep=2))


def test_batch_not_divisible_by_micro_batch_times_dp_is_unsupported() -> None:
    with pytest.raises(UnsupportedLayout, match="64 sequences is not a multiple of micro_batch"):
        emit_config(Framework.megatron, GPT3, TrainLayout(tp=8, dp=8, micro_batch=3))
