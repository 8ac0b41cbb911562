"""Search over serving layouts: a feasible best for the suite task, runners-up with reasons, the error paths."""

from __future__ import annotations

import pytest

from agents.configsearch.serve_search import NoFeasibleServeLayout, ServeSearchResult, search_serve_layouts
from tasks import resolve_task
from tasks.configs.model import Objective, ServeConfigTask
from verifiers.configs.serve_cascade import verify_serve_layout


def suite_task(**updates) -> ServeConfigTask:
    return ServeConfigTask.model_validate({**resolve_task("serve-llama3-70b").model_dump(), **updates})


@pytest.fixture(scope="module")
def suite_result() -> ServeSearchResult:
    return search_serve_layouts(suite_task(), keep=4)


def test_best_layout_of_the_suite_task_is_feasible(suite_result):
    task = suite_task()
    verdict = verify_serve_layout(task, suite_result.best)
    assert verdict.accepted
    assert verdict.objective_value == pytest.approx(suite_result.objective_value)
    assert suite_result.prediction.meets_targets
    assert suite_result.memory.fits
    assert suite_result.best.world_size == task.cluster.world_size


def test_runners_up_lose_on_the_objective_and_say_why(suite_result):
    assert 0 < len(suite_result.alternatives) <= 4
    shapes = {(a.layout.tp, a.layout.pp, a.layout.replicas) for a in suite_result.alternatives}
    assert len(shapes) == len(suite_result.alternatives)
    best = suite_result.best
    assert (best.tp, best.pp, best.replicas) not in shapes
    for alternative in suite_result.alternatives:
        assert alternative.reason
        if alternative.objective_value is not None:
            assert alternative.objective_value <= suite_result.objective_value


def test_counts_add_up(suite_result):
    assert suite_result.considered >= suite_result.invalid + suite_result.too_large + suite_result.missed_targets
    assert suite_result.too_large > 0  # tp=1 cannot hold 141 GB of weights


def test_cost_objective_leaves_gpus_idle():
    result = search_serve_layouts(suite_task(objective="cost"), keep=2)
    assert result.objective is Objective.cost
    assert result.best.world_size < 8
    assert result.prediction.meets_targets
    assert result.objective_value == pytest.approx(result.best.world_size / result.prediction.output_tokens_per_s)


def test_nothing_fits_names_the_smallest_memory_and_its_dominant_term():
    task = suite_task(model="llama3-405b", cluster={"gpu": "a100-40gb", "gpus_per_node": 1, "nodes": 1})
    with pytest.raises(NoFeasibleServeLayout, match=r"smallest memory per GPU found is 8\d\d\.\d GB") as error:
        search_serve_layouts(task)
    assert "dominated by weights" in str(error.value)
    assert "budget of 38.7 GB" in str(error.value)


def test_unreachable_targets_name_the_best_ttft_and_tpot():
    workload = {**suite_task().workload.model_dump(), "tpot_ms": 5}
    with pytest.raises(NoFeasibleServeLayout, match=r"best TPOT \d+\.\d ms vs target 5 ms"):
        search_serve_layouts(suite_task(workload=workload))
