"""The serving cascade: layout, memory, performance, with feedback that carries the numbers."""

from __future__ import annotations

from tasks import resolve_task
from tasks.configs.layout import ServeLayout
from tasks.configs.model import ServeConfigTask
from verifiers.configs.serve_cascade import verify_serve_layout
from verifiers.configs.serve_perf import predict_serving
from verifiers.configs.verdict import ConfigStage
from verifiers.verdict import StageStatus


def suite_task(**updates) -> ServeConfigTask:
    return ServeConfigTask.model_validate({**resolve_task("serve-llama3-70b").model_dump(), **updates})


def test_a_good_layout_passes_every_stage_with_its_objective_value():
    task, layout = suite_task(), ServeLayout(tp=8)
    verdict = verify_serve_layout(task, layout)
    assert verdict.accepted
    assert [s.stage for s in verdict.stages] == [ConfigStage.layout, ConfigStage.memory, ConfigStage.performance]
    assert verdict.objective_value == predict_serving(task, layout).goodput_output_tokens_per_s
    assert verdict.stages[1].details["kv_bytes_per_token"] == 40_960


def test_a_bad_layout_stops_at_the_layout_stage_naming_the_field():
    verdict = verify_serve_layout(suite_task(), ServeLayout(tp=3, replicas=2))
    assert verdict.failure.stage is ConfigStage.layout
    assert verdict.failure.reason == "layout.bad_tp"
    assert "- tp: tp (3) does not divide the 64 attention heads" in verdict.feedback()
    assert [s.status for s in verdict.stages[1:]] == [StageStatus.skipped, StageStatus.skipped]
    assert verdict.objective_value is None


def test_weights_that_do_not_fit_fail_the_memory_stage_with_the_numbers():
    task = suite_task(model="llama3-405b", cluster={"gpu": "a100-40gb", "gpus_per_node": 1, "nodes": 1})
    verdict = verify_serve_layout(task, ServeLayout())
    assert verdict.failure.stage is ConfigStage.memory
    assert verdict.failure.reason == "memory.weights_do_not_fit"
    assert "weights 811.7 GB" in verdict.feedback()
    assert "raise tp or pp" in verdict.feedback()


def test_a_missed_ttft_target_fails_the_performance_stage():
    workload = {**suite_task().workload.model_dump(), "ttft_ms": 10}
    verdict = verify_serve_layout(suite_task(workload=workload), ServeLayout(tp=8))
    assert verdict.failure.stage is ConfigStage.performance
    assert verdict.failure.reason == "performance.misses_ttft"
    assert "(target 10;" in verdict.failure.feedback
    assert verdict.objective_value == 0.0


def test_overload_is_reported_unstable():
    workload = {**suite_task().workload.model_dump(), "arrival_rate": 400.0}
    verdict = verify_serve_layout(suite_task(workload=workload), ServeLayout(tp=8))
    assert verdict.failure.reason == "performance.unstable"
    assert "UNSTABLE" in verdict.failure.feedback
