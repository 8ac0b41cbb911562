"""Memory per GPU of serving layouts: KV bytes per token, weight shards, KV capacity, does-not-fit."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from tasks import resolve_task
from tasks.configs.layout import ServeLayout
from tasks.configs.model import ServeConfigTask
from tasks.configs.specs import ModelField, ModelSpec
from verifiers.configs.params import total_params
from verifiers.configs.serve_memory_model import kv_bytes_per_token, kv_replication, serve_memory, shard_params


def preset(name: str) -> ModelSpec:
    return TypeAdapter(ModelField).validate_python(name)


def llama70b() -> ModelSpec:
    return preset("llama3-70b")


def suite_task(**updates) -> ServeConfigTask:
    return ServeConfigTask.model_validate({**resolve_task("serve-llama3-70b").model_dump(), **updates})


def test_kv_bytes_per_token_of_llama3_70b_by_hand():
    # 2 (K and V) * 80 layers * 8 KV heads (GQA) * 128 head dim * 2 bytes (BF16)
    assert kv_bytes_per_token(llama70b(), tp=1, pp=1) == 2 * 80 * 8 * 128 * 2 == 327_680
    assert kv_bytes_per_token(llama70b(), tp=8, pp=1) == 327_680 // 8
    assert kv_bytes_per_token(llama70b(), tp=2, pp=2) == 327_680 // 4


def test_kv_heads_are_replicated_when_tp_exceeds_them():
    assert kv_replication(llama70b(), tp=16) == 2
    assert kv_bytes_per_token(llama70b(), tp=16, pp=1) == kv_bytes_per_token(llama70b(), tp=8, pp=1)


def test_weights_per_gpu_of_llama3_70b_tp8_by_hand():
    hidden, kv_width, ffn, vocab, tp = 8192, 8 * 128, 28672, 128256, 8
    query_output = 2 * hidden * hidden // tp
    key_value = 2 * hidden * kv_width // tp
    mlp = 3 * hidden * ffn // tp
    norms = 2 * hidden
    tables = 2 * vocab * hidden // tp
    expected = (80 * (query_output + key_value + mlp + norms) + tables) * 2
    assert serve_memory(suite_task(), ServeLayout(tp=8)).weights_bytes == expected == 17_640_718_336


@pytest.mark.parametrize("name", ["llama3-8b", "llama3-70b", "mixtral-8x7b", "gpt3-175b"])
def test_one_gpu_shard_holds_every_parameter_including_experts(name):
    model = preset(name)
    assert shard_params(model, tp=1, pp=1).total == total_params(model) - model.hidden  # final norm not counted


def test_moe_experts_are_split_over_tp():
    mixtral = preset("mixtral-8x7b")
    one, two = shard_params(mixtral, tp=1, pp=1), shard_params(mixtral, tp=2, pp=1)
    assert two.per_layer_experts * 2 == one.per_layer_experts > 0


def test_llama3_405b_does_not_fit_on_one_a100_40gb():
    task = suite_task(model="llama3-405b", cluster={"gpu": "a100-40gb", "gpus_per_node": 1, "nodes": 1})
    memory = serve_memory(task, ServeLayout())
    assert not memory.fits
    assert memory.dominant_term == "weights"
    assert memory.weights_bytes > 800e9 > memory.budget_bytes
    assert memory.kv_capacity_tokens == 0
    assert "does NOT fit" in memory.summary()


def test_kv_capacity_in_blocks_and_sequences():
    memory = serve_memory(suite_task(), ServeLayout(tp=8))
    assert memory.kv_capacity_tokens == memory.kv_capacity_blocks * 16
    assert memory.kv_capacity_tokens * memory.kv_bytes_per_token <= memory.kv_cache_bytes
    assert memory.holds_max_num_seqs_at_mean_context
    assert memory.fits


def test_tp2_fits_but_its_kv_cache_holds_few_sequences():
    memory = serve_memory(suite_task(), ServeLayout(tp=2, replicas=4))
    assert memory.fits
    assert 0 < memory.seqs_at_mean_context < memory.max_num_seqs
    assert not memory.holds_max_num_seqs_at_mean_context


def test_weights_fit_but_one_longest_sequence_does_not():
    workload = suite_task().workload.model_dump()
    workload["prompt_tokens"]["max"] = 200_000
    memory = serve_memory(suite_task(workload=workload), ServeLayout(tp=2, replicas=4))
    assert memory.weights_bytes < memory.budget_bytes
    assert memory.kv_capacity_tokens < memory.max_context_tokens
    assert not memory.fits


def test_larger_token_budget_leaves_less_kv_cache():
    small = serve_memory(suite_task(), ServeLayout(tp=8, max_num_batched_tokens=2048))
    large = serve_memory(suite_task(), ServeLayout(tp=8, max_num_batched_tokens=16384))
    assert large.activation_bytes > small.activation_bytes
    assert large.kv_capacity_tokens < small.kv_capacity_tokens
