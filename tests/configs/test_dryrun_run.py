"""Real dry runs: CPU ranks with gloo train the tiny model under TP, pipelining and FSDP2 (needs torch)."""

from __future__ import annotations

import pytest

from tasks.configs.layout import Recompute, TrainLayout
from verifiers.configs.dryrun import InjectedFault, dry_run

pytest.importorskip("torch", reason="the dry run needs torch: pip install -e '.[torch]'")

STEPS = 3


def assert_trained(layout: TrainLayout, shape: str, world: int) -> None:
    result = dry_run(layout, steps=STEPS)
    assert result.passed, result.problem
    assert result.reason == ""
    assert result.layout.shape() == shape
    assert result.world_size == world
    assert len(result.losses) == STEPS
    assert result.losses[-1] < result.losses[0]
    assert result.losses == pytest.approx(result.reference_losses, rel=1e-4)


@pytest.mark.parametrize(
    ("layout", "shape", "world"),
    [
        (TrainLayout(tp=4), "tp2 x pp1 x dp1", 2),
        (TrainLayout(pp=8, vpp=4), "tp1 x pp2 (vpp2) x dp1", 2),
        (TrainLayout(dp=64, zero_stage=3), "tp1 x pp1 x dp2", 2),
        (TrainLayout(tp=8, pp=16, sequence_parallel=True), "tp2 x pp2 x dp1", 4),
    ],
    ids=["tp", "pp-interleaved", "fsdp", "tp-sp-pp"],
)
def test_layout_trains_like_one_process(layout: TrainLayout, shape: str, world: int) -> None:
    assert_trained(layout, shape, world)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("layout", "shape", "world"),
    [
        (TrainLayout(pp=4), "tp1 x pp2 x dp1", 2),
        (TrainLayout(tp=8, dp=8, zero_stage=1), "tp2 x pp1 x dp2", 4),
        (TrainLayout(pp=8, dp=8, recompute=Recompute.selective), "tp1 x pp2 x dp2", 4),
        (
            TrainLayout(tp=8, pp=64, vpp=2, dp=6, zero_stage=3, sequence_parallel=True, recompute=Recompute.full),
            "tp2 x pp2 (vpp2) x dp2",
            8,
        ),
    ],
    ids=["pp-1f1b", "tp-dp", "pp-dp-selective", "tp-sp-pp-vpp-dp-full"],
)
def test_larger_layout_trains_like_one_process(layout: TrainLayout, shape: str, world: int) -> None:
    assert_trained(layout, shape, world)


def test_a_rank_that_raises_is_named_with_its_traceback() -> None:
    result = dry_run(TrainLayout(tp=2), steps=STEPS, fault=InjectedFault(rank=1, kind="raise"))
    assert not result.passed
    assert result.reason == "dry_run.rank_failed"
    assert result.failed_rank == 1
    assert "RuntimeError: injected fault on rank 1" in result.problem
    assert "Traceback" in result.problem


def test_a_rank_that_hangs_is_killed_at_the_timeout_with_its_stack() -> None:
    result = dry_run(TrainLayout(pp=2), steps=STEPS, timeout_s=30, fault=InjectedFault(rank=0, kind="hang"))
    assert not result.passed
    assert result.reason == "dry_run.timeout"
    assert result.failed_rank is None
    assert "killed after 30 s" in result.problem
    hung = result.problem.split("rank 0 was at:")[1].split("rank 1 was at:")[0]
    assert "in inject" in hung
