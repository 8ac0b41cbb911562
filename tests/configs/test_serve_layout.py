"""Layout checks of serving layouts: each problem names the field at fault and the numbers."""

from __future__ import annotations

from tasks import resolve_task
from tasks.configs.layout import ServeLayout
from tasks.configs.model import ServeConfigTask
from verifiers.configs.serve_layout_check import check_serve_layout


def suite_task(**updates) -> ServeConfigTask:
    return ServeConfigTask.model_validate({**resolve_task("serve-llama3-70b").model_dump(), **updates})


def fields(task: ServeConfigTask, layout: ServeLayout) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in check_serve_layout(task, layout):
        found.setdefault(problem.field, []).append(problem.message)
    return found


def test_the_suite_layouts_that_use_every_gpu_are_valid():
    task = suite_task()
    for tp, pp, replicas in [(8, 1, 1), (4, 1, 2), (2, 2, 2), (1, 8, 1)]:
        assert check_serve_layout(task, ServeLayout(tp=tp, pp=pp, replicas=replicas)) == []


def test_tp_that_does_not_divide_the_heads_names_tp_and_the_numbers():
    messages = fields(suite_task(), ServeLayout(tp=3, replicas=2))["tp"]
    assert any("3" in m and "64 attention heads" in m for m in messages)
    assert any("8 KV heads" in m for m in messages)
    assert any("28672" in m for m in messages)


def test_tp_larger_than_a_node_is_refused():
    found = fields(suite_task(), ServeLayout(tp=16))
    assert any("gpus_per_node (8)" in m and "larger than a node" in m for m in found["tp"])
    assert any("16 GPUs, more than the cluster's 8" in m for m in found["replicas"])


def test_kv_heads_replicated_when_tp_is_a_multiple_of_them():
    task = suite_task(cluster={"gpu": "h100-sxm", "gpus_per_node": 16, "nodes": 1})
    assert check_serve_layout(task, ServeLayout(tp=16)) == []


def test_tp_above_kv_heads_but_not_a_multiple_is_refused():
    model = {"layers": 4, "hidden": 6144, "heads": 48, "kv_heads": 4, "ffn_hidden": 12288, "vocab": 32000}
    task = suite_task(model=model, cluster={"gpu": "h100-sxm", "gpus_per_node": 6, "nodes": 1})
    messages = fields(task, ServeLayout(tp=6))["tp"]
    assert messages == [
        "tp (6) exceeds the 4 KV heads but is not a multiple of them, so KV heads cannot be replicated evenly "
        "(use a multiple of 4 or a divisor of it)"
    ]


def test_throughput_objective_wants_every_gpu_and_cost_does_not():
    half = ServeLayout(tp=4, replicas=1)
    messages = fields(suite_task(), half)["replicas"]
    assert messages == ["objective throughput: 4 of 8 GPUs used, 4 idle GPUs could run 1 more replica(s) of 4 GPUs"]
    assert check_serve_layout(suite_task(objective="cost"), half) == []


def test_leftover_gpus_too_few_for_another_replica_are_fine():
    task = suite_task(cluster={"gpu": "h100-sxm", "gpus_per_node": 8, "nodes": 1}, objective="throughput")
    assert "replicas" not in fields(task, ServeLayout(tp=2, pp=3, replicas=1))


def test_pipeline_deeper_than_the_model_names_pp():
    task = suite_task(cluster={"gpu": "h100-sxm", "gpus_per_node": 8, "nodes": 16})
    assert fields(task, ServeLayout(tp=1, pp=128))["pp"] == ["pp (128) exceeds the model's 80 layers"]


def test_token_budget_below_max_num_seqs_names_max_num_batched_tokens():
    found = fields(suite_task(), ServeLayout(tp=8, max_num_seqs=512, max_num_batched_tokens=256))
    assert found["max_num_batched_tokens"] == [
        "max_num_batched_tokens (256) is below max_num_seqs (512): one step must hold a decode token of every "
        "running sequence"
    ]


def test_unsupported_block_size_names_kv_block_size():
    assert "kv_block_size" in fields(suite_task(), ServeLayout(tp=8, kv_block_size=24))
