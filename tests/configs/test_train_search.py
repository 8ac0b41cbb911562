"""The training layout search: a feasible best for the suite tasks, reasons for the runners-up, no fit named."""

from __future__ import annotations

import pytest

from agents.configsearch.train_search import NoFeasibleLayout, search_train_layouts
from tasks import resolve_task
from tasks.configs.model import TrainConfigTask
from verifiers.configs.train_cascade import verify_train_layout

SUITE = ["train-gpt3-175b", "train-llama3-8b", "train-1t-3072"]


@pytest.fixture(scope="module", params=SUITE)
def searched(request):
    task = resolve_task(request.param)
    return task, search_train_layouts(task, keep=4)


def test_the_best_layout_passes_the_cascade_with_the_same_value(searched):
    task, result = searched
    verdict = verify_train_layout(task, result.best.layout)
    assert verdict.accepted
    assert verdict.objective_value == pytest.approx(result.best.objective_value)
    assert result.best.layout.world_size == task.cluster.world_size
    assert result.best.memory.fits


def test_alternatives_are_worse_and_say_why(searched):
    _, result = searched
    assert 1 <= len(result.alternatives) <= 3
    for alternative in result.alternatives:
        assert alternative.objective_value <= result.best.objective_value
        assert alternative.reason
        assert alternative.layout != result.best.layout
    assert result.feasible <= result.evaluated


def test_rejected_layouts_would_be_faster_but_do_not_fit(searched):
    _, result = searched
    for rejected in result.rejected:
        assert not rejected.memory.fits
        assert rejected.reason.startswith("does not fit: ")
        assert "GiB >" in rejected.reason


def test_405b_on_eight_a100_40gb_does_not_fit():
    task = TrainConfigTask(
        name="too-big", model="llama3-405b", cluster={"gpu": "a100-40gb", "nodes": 1},
        workload={"seq_len": 8192, "global_batch_sequences": 16},
    )  # fmt: skip
    with pytest.raises(NoFeasibleLayout) as raised:
        search_train_layouts(task)
    message = str(raised.value)
    assert "of 40.0 GiB" in message
    assert "dominated by optimizer_states" in message
    assert "llama3-405b" in message


def test_cost_objective_ranks_by_gpu_seconds_per_token():
    task = TrainConfigTask(
        name="cost", model="llama3-8b", objective="cost", cluster={"gpu": "h100-sxm", "nodes": 2},
        workload={"seq_len": 4096, "global_batch_sequences": 64},
    )  # fmt: skip
    result = search_train_layouts(task, keep=3)
    assert result.best.objective_value == pytest.approx(result.best.prediction.gpu_seconds_per_token)
    assert all(alternative.objective_value >= result.best.objective_value for alternative in result.alternatives)
    assert result.best.layout.world_size <= 16


def test_moe_search_uses_expert_parallelism_that_divides_the_experts():
    task = TrainConfigTask(
        name="mixtral", model="mixtral-8x7b", cluster={"gpu": "h100-sxm", "nodes": 2},
        workload={"seq_len": 4096, "global_batch_sequences": 256},
    )  # fmt: skip
    best = search_train_layouts(task).best.layout
    assert 8 % best.ep == 0
    assert (best.dp * best.cp) % best.ep == 0
