"""Layout shape checks name the field and the numbers."""

from __future__ import annotations

import pytest

from tasks import resolve_task
from tasks.configs.layout import TrainLayout
from tasks.configs.model import TrainConfigTask
from verifiers.configs.train_layout_check import check_train_layout

GPT3 = resolve_task("train-gpt3-175b")  # 96 layers, 96 heads, 64 GPUs (8 per node), 64 sequences of 2048


def _variant(task: TrainConfigTask, **fields) -> TrainConfigTask:
    return TrainConfigTask.model_validate({**task.model_dump(), **fields})


def _problems(task: TrainConfigTask, **fields) -> dict[str, str]:
    return {problem.field: problem.message for problem in check_train_layout(task, TrainLayout(**fields))}


def test_a_consistent_layout_has_no_problem():
    assert check_train_layout(GPT3, TrainLayout(tp=8, pp=8, sequence_parallel=True)) == []


@pytest.mark.parametrize(
    ("fields", "field", "numbers"),
    [
        ({"tp": 8, "pp": 4}, "dp", ["32", "64"]),
        ({"tp": 8, "pp": 5, "dp": 2, "cp": 1}, "pp", ["96", "5"]),
        ({"tp": 8, "pp": 4, "vpp": 5, "dp": 2}, "pp", ["96", "20"]),
        ({"tp": 16, "pp": 4}, "tp", ["16", "8"]),
        ({"tp": 8, "dp": 8, "micro_batch": 16}, "micro_batch", ["64", "128"]),
    ],
)
def test_problems_name_the_field_and_the_numbers(fields, field, numbers):
    problems = _problems(GPT3, **fields)
    assert field in problems
    for number in numbers:
        assert number in problems[field]


def test_heads_and_kv_heads_must_divide_by_tp():
    llama = TrainConfigTask(
        name="llama", model="llama3-8b", cluster={"gpu": "h100-sxm", "gpus_per_node": 16, "nodes": 1},
        workload={"seq_len": 8192, "global_batch_sequences": 16},
    )  # fmt: skip
    messages = check_train_layout(llama, TrainLayout(tp=16))
    texts = [str(problem) for problem in messages]
    assert any("kv_heads (8) not divisible by tp (16)" in text for text in texts)
    assert not any(text.startswith("tp: heads") for text in texts)  # 32 heads divide by 16


def test_context_parallel_needs_two_chunks_per_rank():
    odd = _variant(GPT3, workload={"seq_len": 2052, "global_batch_sequences": 64})
    problems = _problems(odd, tp=8, pp=2, cp=4)
    assert "cp" in problems and "2052" in problems["cp"] and "2*cp = 8" in problems["cp"]


def test_experts_must_divide_by_ep_and_dense_models_have_none():
    assert "ep" in _problems(GPT3, tp=8, pp=4, dp=2, ep=2)
    mixtral = TrainConfigTask(
        name="mixtral", model="mixtral-8x7b", cluster={"gpu": "h100-sxm", "nodes": 2},
        workload={"seq_len": 4096, "global_batch_sequences": 64},
    )  # fmt: skip
    assert check_train_layout(mixtral, TrainLayout(dp=16, ep=8)) == []
    problems = _problems(mixtral, dp=16, ep=16)
    assert "experts (8) not divisible by ep (16)" in problems["ep"]


def test_interleaving_needs_micro_batches_divisible_by_pp():
    problems = _problems(GPT3, tp=8, pp=8, vpp=2, micro_batch=16)  # 4 micro-batches on 8 stages
    assert "vpp" in problems and "4" in problems["vpp"]


def test_cost_objective_may_leave_gpus_unused_but_not_exceed_them():
    cost = _variant(GPT3, objective="cost")
    assert check_train_layout(cost, TrainLayout(tp=8, pp=4)) == []
    assert "more than the cluster's 64" in _problems(cost, tp=8, pp=8, dp=2)["dp"]
