"""Scaling a training layout down to a dry run: which dimensions stay, at what size, with what model."""

from __future__ import annotations

import pytest

from tasks.configs.layout import Recompute, TrainLayout
from verifiers.configs.dryrun import scale_down


def test_every_parallel_dimension_above_one_stays_at_two() -> None:
    scaled = scale_down(TrainLayout(tp=8, pp=64, dp=6))
    assert (scaled.tp, scaled.pp, scaled.dp) == (2, 2, 2)
    assert scaled.world_size == 8
    assert scaled.dropped == [
        "zero_stage=0: data parallelism runs as FSDP2 without resharding after forward"
        " (ZeRO-2: all-gather and reduce-scatter instead of one all-reduce)"
    ]
    assert scaled.real_shape() == "tp8 x pp64 x dp6"
    assert scaled.shape() == "tp2 x pp2 x dp2"


@pytest.mark.parametrize(
    ("layout", "shape"),
    [
        (TrainLayout(), (1, 1, 1)),
        (TrainLayout(tp=4), (2, 1, 1)),
        (TrainLayout(pp=3), (1, 2, 1)),
        (TrainLayout(dp=128, zero_stage=3), (1, 1, 2)),
        (TrainLayout(tp=8, dp=16), (2, 1, 2)),
    ],
)
def test_dimensions_of_one_stay_one(layout: TrainLayout, shape: tuple[int, int, int]) -> None:
    scaled = scale_down(layout)
    assert (scaled.tp, scaled.pp, scaled.dp) == shape


def test_a_smaller_world_keeps_tp_then_pp_and_says_what_it_dropped() -> None:
    scaled = scale_down(TrainLayout(tp=8, pp=8, vpp=3, dp=4, zero_stage=3), max_world=4)
    assert (scaled.tp, scaled.pp, scaled.vpp, scaled.dp) == (2, 2, 2, 1)
    assert scaled.zero_stage == 0
    assert any(line.startswith("dp=4:") for line in scaled.dropped)
    assert any(line.startswith("zero_stage=3:") for line in scaled.dropped)

    alone = scale_down(TrainLayout(tp=8, pp=8, vpp=3), max_world=2)
    assert (alone.tp, alone.pp, alone.vpp) == (2, 1, 1)
    assert any(line.startswith("vpp=3:") for line in alone.dropped)


def test_model_divides_over_stages_and_tp_ranks() -> None:
    for layout in (TrainLayout(tp=8, pp=4, vpp=2), TrainLayout(pp=16), TrainLayout(tp=2), TrainLayout()):
        scaled = scale_down(layout)
        model = scaled.model
        assert model.layers % scaled.stages == 0
        assert model.layers >= 2
        assert model.heads % scaled.tp == 0
        assert model.ffn_hidden % scaled.tp == 0
        assert model.hidden == model.heads * model.head_dim


def test_micro_batches_fill_the_pipeline() -> None:
    assert scale_down(TrainLayout(pp=8, vpp=2)).micro_batches >= 2
    scaled = scale_down(TrainLayout(pp=8, vpp=2))
    assert scaled.micro_batches % scaled.pp == 0
    assert scaled.micro_batches >= scaled.pp
    assert scale_down(TrainLayout(dp=8)).micro_batches == 1


def test_micro_batch_size_recompute_and_zero_stage_carry_over() -> None:
    scaled = scale_down(TrainLayout(dp=8, micro_batch=4, recompute=Recompute.selective, zero_stage=3))
    assert scaled.micro_batch_size == 2
    assert scaled.recompute is Recompute.selective
    assert scaled.zero_stage == 3
    assert scaled.batch_sequences == scaled.dp * scaled.micro_batches * scaled.micro_batch_size
    assert scale_down(TrainLayout(micro_batch=1)).micro_batch_size == 1


def test_unexercised_features_are_named() -> None:
    layout = TrainLayout(tp=2, cp=2, dp=4, ep=2, sequence_parallel=True)
    dropped = scale_down(layout).dropped
    assert any(line.startswith("cp=2:") for line in dropped)
    assert any(line.startswith("ep=2:") for line in dropped)
    assert not any(line.startswith("sequence_parallel") for line in dropped)


def test_sequence_parallelism_stays_with_tp() -> None:
    assert scale_down(TrainLayout(tp=8, sequence_parallel=True)).sequence_parallel
    assert not scale_down(TrainLayout(tp=8, pp=2, sequence_parallel=True), max_world=1).sequence_parallel


def test_max_world_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_world must be at least 1, got 0"):
        scale_down(TrainLayout(tp=2), max_world=0)
