"""The step-time model moves the way the published measurements and the physics say it should."""

from __future__ import annotations

import pytest

from benchmarks.perf_model_calibration import PAPER_STACK, TABLE_5, paper_layout, paper_task
from tasks import resolve_task
from tasks.configs.layout import Recompute, TrainLayout
from tasks.configs.model import TrainConfigTask
from verifiers.configs.train_hardware import TrainAssumptions, gpu_training_figures
from verifiers.configs.training_perf import (
    gemm_quantization_efficiency,
    model_flops_per_step,
    predict_train_step,
)

GPT3 = resolve_task("train-gpt3-175b")


def _step(task: TrainConfigTask, assumptions: TrainAssumptions = PAPER_STACK, **fields) -> float:
    return predict_train_step(task, TrainLayout(**fields), assumptions)


def test_table_5_ordering_is_reproduced():
    """Full recomputation is slower than selective for every model, and bigger setups take longer."""
    selective_times = []
    for point in TABLE_5:
        task = paper_task(point)
        full = predict_train_step(task, paper_layout(point, Recompute.full), PAPER_STACK)
        selective = predict_train_step(task, paper_layout(point, Recompute.selective), PAPER_STACK)
        assert full.step_time_s > selective.step_time_s
        assert full.compute_s / selective.compute_s == pytest.approx(4 / 3, rel=0.1)
        selective_times.append(selective.step_time_s)
        assert 0.0 < selective.mfu < 1.0
    assert selective_times == sorted(selective_times)


def test_no_recompute_is_the_fastest():
    times = [_step(GPT3, tp=8, pp=8, sequence_parallel=True, recompute=r).step_time_s for r in Recompute]
    none, selective, full = times
    assert none < selective < full


def test_more_tensor_parallelism_costs_communication_time():
    tp4 = _step(GPT3, tp=4, pp=16, sequence_parallel=True, recompute="selective")
    tp8 = _step(GPT3, tp=8, pp=8, sequence_parallel=True, recompute="selective")
    assert tp8.tp_comm_s > tp4.tp_comm_s > 0
    no_tp = _step(GPT3, tp=1, pp=64, recompute="full")
    assert no_tp.tp_comm_s == 0.0


def test_interleaving_and_more_micro_batches_shrink_the_bubble():
    plain = _step(GPT3, tp=8, pp=8, sequence_parallel=True)
    interleaved = _step(GPT3, tp=8, pp=8, vpp=2, sequence_parallel=True)
    assert interleaved.bubble_s == pytest.approx(plain.bubble_s / 2)
    assert interleaved.pp_p2p_s == pytest.approx(2 * plain.pp_p2p_s)
    bigger_batch = TrainConfigTask.model_validate(
        {**GPT3.model_dump(), "workload": {"seq_len": 2048, "global_batch_sequences": 256}}
    )
    assert _step(bigger_batch, tp=8, pp=8, sequence_parallel=True).bubble_fraction < plain.bubble_fraction
    assert plain.bubble_fraction == pytest.approx(7 / (64 + 7), rel=0.05)


def test_overlapping_the_gradient_reduction_hides_it():
    task = TrainConfigTask.model_validate({**GPT3.model_dump(), "cluster": {"gpu": "a100-80gb", "nodes": 32}})
    layout = {"tp": 8, "pp": 8, "dp": 4, "sequence_parallel": True, "recompute": "selective"}
    exposed = _step(task, TrainAssumptions(flash_attention=False, overlap_grad_reduce=False), **layout)
    hidden = _step(task, TrainAssumptions(flash_attention=False, overlap_grad_reduce=True), **layout)
    assert exposed.dp_comm_s > hidden.dp_comm_s >= 0.0
    assert exposed.step_time_s > hidden.step_time_s


def test_context_parallel_ring_is_hidden_by_long_attention_only():
    long = TrainConfigTask(
        name="long", model="llama3-8b", cluster={"gpu": "h100-sxm", "nodes": 1},
        workload={"seq_len": 131072, "global_batch_sequences": 8},
    )  # fmt: skip
    assert _step(long, TrainAssumptions(), tp=1, cp=8, dp=1, recompute="full").cp_comm_s == 0.0
    short = TrainConfigTask.model_validate(
        {**long.model_dump(), "workload": {"seq_len": 2048, "global_batch_sequences": 8}}
    )
    assert _step(short, TrainAssumptions(), tp=1, cp=8, dp=1, recompute="full").cp_comm_s > 0.0


def test_expert_parallel_all_to_all_costs_time():
    mixtral = TrainConfigTask(
        name="mixtral", model="mixtral-8x7b", cluster={"gpu": "h100-sxm", "nodes": 1},
        workload={"seq_len": 4096, "global_batch_sequences": 64},
    )  # fmt: skip
    assert _step(mixtral, TrainAssumptions(), dp=8, ep=8, zero_stage=1).ep_comm_s > 0.0
    assert _step(mixtral, TrainAssumptions(), dp=8, ep=1, zero_stage=1).ep_comm_s == 0.0


def test_wave_quantization():
    a100 = gpu_training_figures("a100-80gb")
    assert gemm_quantization_efficiency(256 * 12, 128 * 9, a100) == pytest.approx(1.0)  # 108 tiles, one full wave
    assert gemm_quantization_efficiency(256 * 12, 128 * 10, a100) == pytest.approx(120 / 216)
    assert 0.0 < gemm_quantization_efficiency(100, 100, a100) < 0.01


def test_model_flops_match_the_paper_formula():
    b, s, layers, h, v = 64, 2048, 96, 12288, 51200
    paper = 72 * b * s * layers * h**2 * (1 + s / (6 * h) + v / (12 * h * layers))
    assert model_flops_per_step(GPT3) == pytest.approx(paper, rel=1e-9)


def test_step_time_is_the_sum_of_its_components():
    prediction = _step(GPT3, tp=8, pp=8, vpp=2, sequence_parallel=True, recompute="selective")
    assert sum(prediction.components().values()) == pytest.approx(prediction.step_time_s)
    assert prediction.tokens_per_s == pytest.approx(64 * 2048 / prediction.step_time_s)
