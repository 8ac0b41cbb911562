"""Memory per GPU of training layouts against Korthikanti et al. 2022's formulas, computed by hand."""

from __future__ import annotations

import pytest

from tasks import resolve_task
from tasks.configs.layout import Recompute, TrainLayout
from tasks.configs.model import TrainConfigTask
from tasks.configs.specs import ModelSpec
from verifiers.configs.memory import interleaving_factor, layer_activation_bytes, train_memory
from verifiers.configs.params import layer_params
from verifiers.configs.train_hardware import TrainAssumptions

PAPER_STACK = TrainAssumptions(flash_attention=False)
GPT3 = resolve_task("train-gpt3-175b")
S, B, H, A, T = 2048, 1, 12288, 96, 8  # GPT-3 175B at sequence 2048, micro-batch 1, tensor parallel 8
SBH = S * B * H


def test_gpt3_attention_term_is_80_as_the_paper_says():
    assert 5 * A * S / H == 80


@pytest.mark.parametrize(
    ("tp", "sequence_parallel", "recompute", "paper_formula"),
    [
        (1, False, Recompute.none, SBH * (34 + 5 * A * S / H)),
        (T, False, Recompute.none, SBH * (10 + 24 / T + 5 * A * S / (H * T))),
        (T, True, Recompute.none, SBH / T * (34 + 5 * A * S / H)),
        (T, False, Recompute.selective, SBH * (10 + 24 / T)),
        (T, True, Recompute.selective, SBH * 34 / T),
        (1, False, Recompute.full, SBH * 2),
        (T, True, Recompute.full, SBH * 2 / T),
    ],
)
def test_layer_activations_match_table_2(tp, sequence_parallel, recompute, paper_formula):
    got = layer_activation_bytes(GPT3.model, S, B, tp, sequence_parallel, recompute)
    assert got == pytest.approx(paper_formula)


def test_flash_attention_drops_the_score_term_like_selective_recompute():
    flash = layer_activation_bytes(GPT3.model, S, B, T, True, Recompute.none, flash_attention=True)
    assert flash == pytest.approx(SBH * 34 / T)


def test_gqa_and_gated_mlp_adjust_the_terms():
    llama = resolve_task("train-llama3-8b").model
    s, h, f = 8192, llama.hidden, llama.ffn_hidden
    kv_ratio = llama.kv_heads / llama.heads
    expected = s * h * (7 + 4 * kv_ratio) + 3 * s * h + 6 * s * f + 4 * s * h + 5 * llama.heads * s * s
    assert layer_activation_bytes(llama, s, 1) == pytest.approx(expected)


def test_moe_stores_top_k_routed_copies():
    shapes = {"layers": 2, "hidden": 1024, "heads": 8, "ffn_hidden": 4096, "vocab": 1000}
    dense, moe = ModelSpec(**shapes), ModelSpec(**shapes, moe={"experts": 8, "top_k": 2})
    s = 1024
    extra = 2 * (2 * s * 1024 + 4 * s * 4096) - 4 * s * 4096  # top_k copies replace one dense MLP's internals
    assert layer_activation_bytes(moe, s, 1) - layer_activation_bytes(dense, s, 1) == pytest.approx(extra)


def _gpt3_layout(**fields) -> TrainLayout:
    return TrainLayout(**{"tp": 8, "pp": 8, "sequence_parallel": True, "recompute": "selective", **fields})


def test_first_stage_holds_pp_micro_batches_of_its_layers():
    memory = train_memory(GPT3, _gpt3_layout(), PAPER_STACK)
    assert memory.stage == "first"
    per_layer = SBH * 34 / T
    in_flight, layers = 8, 96 // 8
    embedding_masks = in_flight * SBH / T
    assert memory.activations == int(layers * in_flight * per_layer + embedding_masks)


def test_fewer_micro_batches_than_stages_hold_fewer_in_flight():
    small_batch = TrainConfigTask.model_validate(
        {**GPT3.model_dump(), "workload": {"seq_len": 2048, "global_batch_sequences": 4}}
    )
    memory = train_memory(small_batch, _gpt3_layout(), PAPER_STACK)
    assert memory.activations == int(12 * 4 * SBH * 34 / T + 4 * SBH / T)


def test_interleaving_multiplies_the_first_stage_activations():
    assert interleaving_factor(8, 1) == 1.0
    assert interleaving_factor(8, 2) == pytest.approx(1 + 7 / 16)
    plain = train_memory(GPT3, _gpt3_layout(), PAPER_STACK)
    interleaved = train_memory(GPT3, _gpt3_layout(vpp=2), PAPER_STACK)
    layers_part = 12 * 8 * SBH * 34 / T
    assert interleaved.activations - plain.activations == pytest.approx(layers_part * 7 / 16, abs=2)


def test_model_states_are_18_bytes_per_parameter_without_zero():
    memory = train_memory(GPT3, _gpt3_layout(), PAPER_STACK)
    layer = layer_params(GPT3.model)
    params = 12 * ((layer.attention + layer.mlp_dense) / T + layer.norms) + GPT3.model.vocab * H / T
    assert memory.weights == int(2 * params)
    assert memory.gradients == int(4 * params)
    assert memory.optimizer_states == int(12 * params)


def _with_dp(task: TrainConfigTask, dp: int, zero_stage: int):
    return train_memory(task, TrainLayout(tp=8, pp=8, dp=dp, zero_stage=zero_stage, sequence_parallel=True))


@pytest.fixture(scope="module")
def gpt3_on_256() -> TrainConfigTask:
    return TrainConfigTask.model_validate({**GPT3.model_dump(), "cluster": {"gpu": "a100-80gb", "nodes": 32}})


def test_zero_stages_shard_the_right_terms(gpt3_on_256):
    plain = _with_dp(gpt3_on_256, 4, 0)
    stage1, stage2, stage3 = (_with_dp(gpt3_on_256, 4, stage) for stage in (1, 2, 3))
    assert stage1.optimizer_states == pytest.approx(plain.optimizer_states / 4, abs=1)
    assert (stage1.weights, stage1.gradients) == (plain.weights, plain.gradients)
    assert stage2.gradients == pytest.approx(plain.gradients / 4, abs=1)
    assert stage2.weights == plain.weights
    layer = layer_params(GPT3.model)
    gathered_layer = 2 * (layer.attention + layer.mlp_dense) / T
    assert stage3.weights == pytest.approx(plain.weights / 4 + gathered_layer, abs=1)
    assert plain.activations == stage3.activations


def test_does_not_fit_names_the_dominant_term():
    memory = train_memory(GPT3, TrainLayout(tp=8, pp=8, sequence_parallel=True), PAPER_STACK)
    assert not memory.fits
    assert memory.total > memory.capacity
    assert memory.dominant == "activations"
    fitting = train_memory(GPT3, _gpt3_layout(), PAPER_STACK)
    assert fitting.fits
    assert fitting.dominant == "optimizer_states"


def test_expert_weights_split_by_ep():
    task = TrainConfigTask(
        name="mixtral",
        model="mixtral-8x7b",
        cluster={"gpu": "h100-sxm", "nodes": 1},
        workload={"seq_len": 4096, "global_batch_sequences": 64},
    )
    one = train_memory(task, TrainLayout(tp=1, dp=8, ep=1, zero_stage=1))
    eight = train_memory(task, TrainLayout(tp=1, dp=8, ep=8, zero_stage=1))
    experts = task.model.layers * layer_params(task.model).experts
    assert one.weights - eight.weights == pytest.approx(2 * experts * (1 - 1 / 8), rel=1e-6)
