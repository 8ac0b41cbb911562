"""The serving performance model: decode and prefill times, the continuous-batching steady state."""

from __future__ import annotations

import itertools
import math

import pytest

from tasks import resolve_task
from tasks.configs.layout import ServeLayout
from tasks.configs.model import ServeConfigTask
from verifiers.configs.serve_memory_model import serve_memory
from verifiers.configs.serve_perf import decode_step_seconds, predict_serving, prefill_seconds


def suite_task(**updates) -> ServeConfigTask:
    return ServeConfigTask.model_validate({**resolve_task("serve-llama3-70b").model_dump(), **updates})


TP8 = ServeLayout(tp=8)


def test_decode_step_grows_with_the_batch():
    times = [decode_step_seconds(suite_task(), TP8, batch, 1200) for batch in (1, 2, 8, 32, 128, 512, 2048)]
    assert all(a < b for a, b in itertools.pairwise(times))


def test_decode_step_respects_the_weight_read_bound():
    task = suite_task()
    weights = serve_memory(task, TP8).weights_bytes
    bound = weights / (task.cluster.gpu_spec.hbm_gbps * 1e9)
    assert decode_step_seconds(task, TP8, 1, 1200) > bound


def test_tensor_parallelism_speeds_up_decode_and_pipeline_parallelism_does_not():
    task = suite_task()
    tp4, tp8 = ServeLayout(tp=4), ServeLayout(tp=8)
    pp2 = ServeLayout(tp=4, pp=2)
    assert decode_step_seconds(task, tp8, 1, 1200) < decode_step_seconds(task, tp4, 1, 1200)
    assert decode_step_seconds(task, pp2, 1, 1200) >= 0.9 * decode_step_seconds(task, tp4, 1, 1200)


def test_prefill_grows_faster_than_linearly_with_the_prompt():
    short, long = prefill_seconds(suite_task(), TP8, 1024), prefill_seconds(suite_task(), TP8, 16384)
    assert long > 16 * short * 0.9
    assert long > short > 0


def test_higher_arrival_rate_means_higher_ttft_and_tpot():
    task = suite_task()
    low, high = predict_serving(task, TP8, arrival_rate=1.0), predict_serving(task, TP8, arrival_rate=15.0)
    assert low.stable and high.stable
    assert high.ttft_ms > low.ttft_ms
    assert high.tpot_ms > low.tpot_ms
    assert high.decode_batch > low.decode_batch


def test_littles_law_holds_at_the_steady_batch():
    prediction = predict_serving(suite_task(), ServeLayout(tp=4, replicas=2))
    per_replica = prediction.arrival_rate / prediction.replicas
    mean_output = prediction.output_tokens_per_s / prediction.arrival_rate
    assert prediction.decode_batch == pytest.approx(per_replica * mean_output * prediction.tpot_ms / 1e3, rel=1e-6)


def test_overload_is_unstable():
    prediction = predict_serving(suite_task(), TP8, arrival_rate=500.0)
    assert not prediction.stable
    assert math.isinf(prediction.ttft_ms)
    assert not prediction.meets_targets
    assert prediction.output_tokens_per_s == 0
    assert prediction.max_request_rate < 500


def test_suite_task_meets_its_targets_and_reports_rates():
    prediction = predict_serving(suite_task(), TP8)
    assert prediction.meets_targets
    assert 0 < prediction.goodput_request_rate <= prediction.max_request_rate
    assert prediction.goodput_request_rate >= prediction.arrival_rate
    assert prediction.batch_limit == "max_num_seqs"


def test_kv_cache_caps_the_batch_of_a_small_tp():
    prediction = predict_serving(suite_task(), ServeLayout(tp=2, replicas=4))
    assert prediction.batch_limit == "kv_cache"
    assert prediction.batch_cap < 256


def test_a_tight_tpot_target_is_missed():
    workload = {**suite_task().workload.model_dump(), "tpot_ms": 5}
    prediction = predict_serving(suite_task(workload=workload), TP8)
    assert prediction.stable
    assert not prediction.meets_tpot
    assert prediction.goodput_request_rate == 0


def test_moe_decode_at_batch_1_reads_only_the_routed_experts():
    task = suite_task(model="mixtral-8x7b", cluster={"gpu": "h200", "gpus_per_node": 1, "nodes": 1})
    layout = ServeLayout()
    weights_read_all = serve_memory(task, layout).weights_bytes / (task.cluster.gpu_spec.hbm_gbps * 1e9)
    one, many = decode_step_seconds(task, layout, 1, 1200), decode_step_seconds(task, layout, 64, 1200)
    assert one < 0.5 * weights_read_all  # top-2 of 8 experts: about a third of the weights
    assert many > weights_read_all  # 64 tokens touch every expert
