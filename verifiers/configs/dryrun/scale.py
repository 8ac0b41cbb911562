"""Shrink a training layout to a world of a few CPU processes that keeps its parallel shape.

Every parallel dimension the dry run can exercise (TP with sequence parallelism, PP with its
virtual stages, DP with its ZeRO stage) that is above 1 in the real layout stays above 1, at size 2:
the smallest size at which the dimension's collectives, point-to-point sends and schedules really
run. What the dry run does not exercise (context and expert parallelism, plain all-reduce data
parallelism) is recorded in ``dropped``, as are dimensions that no longer fit when ``max_world`` is
below 8.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, PositiveInt

from tasks.configs.layout import Recompute, TrainLayout

SCALED_DIMENSION = 2
"""Size of every kept parallel dimension: the smallest that runs its communication."""

KEEP_ORDER = ("tp", "pp", "dp")
"""Which dimensions stay first when ``max_world`` cannot hold all of them."""

HEAD_DIM = 8
HEADS_PER_TP_RANK = 2
FFN_MULTIPLE = 4
VOCAB = 64
SEQ_LEN = 16
LAYERS_PER_STAGE = 1
MIN_LAYERS = 2
MICRO_BATCHES_PER_STAGE = 2
"""Micro-batches per pipeline stage: at least the stage count, so 1F1B reaches its steady state."""


class TinyModelShape(BaseModel):
    """The tiny causal transformer the dry run trains."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    layers: PositiveInt
    """A multiple of the pipeline stages (``pp * vpp``)."""
    heads: PositiveInt
    """A multiple of ``tp``."""
    head_dim: PositiveInt
    ffn_hidden: PositiveInt
    vocab: PositiveInt
    seq_len: PositiveInt

    @property
    def hidden(self) -> int:
        """Width of the residual stream."""
        return self.heads * self.head_dim


class ScaledLayout(BaseModel):
    """The real layout, the scaled-down one that really runs, and what was left out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    real: TrainLayout
    tp: PositiveInt
    pp: PositiveInt
    vpp: PositiveInt
    dp: PositiveInt
    zero_stage: Literal[0, 1, 2, 3]
    sequence_parallel: bool
    """Kept where TP is: norms run on sequence shards, all-reduces become all-gathers and reduce-scatters."""
    recompute: Recompute
    micro_batches: PositiveInt
    """Micro-batches per step on each data-parallel rank (the pipeline schedule's ``n_microbatches``)."""
    micro_batch_size: PositiveInt
    """Sequences per micro-batch."""
    model: TinyModelShape
    dropped: list[str]
    """Each parallel feature of the real layout the dry run does not exercise, and why."""

    @property
    def world_size(self) -> int:
        """Processes of the dry run."""
        return self.tp * self.pp * self.dp

    @property
    def stages(self) -> int:
        """Pipeline stages in all (``pp * vpp``)."""
        return self.pp * self.vpp

    @property
    def batch_sequences(self) -> int:
        """Sequences of one step over every data-parallel rank."""
        return self.dp * self.micro_batches * self.micro_batch_size

    def shape(self) -> str:
        """The scaled shape, ``tp2 x pp2 (vpp2) x dp2``."""
        return shape_text(self.tp, self.pp, self.vpp, self.dp)

    def real_shape(self) -> str:
        """The real layout's shape, ``tp8 x pp16 x dp24``."""
        return shape_text(self.real.tp, self.real.pp, self.real.vpp, self.real.dp)


def shape_text(tp: int, pp: int, vpp: int, dp: int) -> str:
    """``tp2 x pp2 (vpp2) x dp2`` for messages."""
    pipeline = f"pp{pp}" + (f" (vpp{vpp})" if vpp > 1 else "")
    return f"tp{tp} x {pipeline} x dp{dp}"


def _kept_dimensions(layout: TrainLayout, max_world: int) -> tuple[dict[str, int], list[str]]:
    sizes = {"tp": 1, "pp": 1, "dp": 1}
    dropped: list[str] = []
    world = 1
    for name in KEEP_ORDER:
        real = getattr(layout, name)
        if real == 1:
            continue
        if world * SCALED_DIMENSION > max_world:
            dropped.append(f"{name}={real}: a world of at most {max_world} processes has no room for it")
            continue
        sizes[name] = SCALED_DIMENSION
        world *= SCALED_DIMENSION
    return sizes, dropped


def _unexercised(layout: TrainLayout) -> list[str]:
    dropped = []
    if layout.cp > 1:
        dropped.append(f"cp={layout.cp}: context parallelism is not exercised (run as cp=1)")
    if layout.ep > 1:
        dropped.append(f"ep={layout.ep}: the tiny model has no experts (run as ep=1)")
    return dropped


def scale_down(layout: TrainLayout, max_world: int = 8) -> ScaledLayout:
    """The largest-fidelity layout of at most ``max_world`` processes with the same parallel shape.

    Args:
        layout: the real training layout.
        max_world: the most processes the dry run may start (at least 1).

    Returns:
        Each of TP, PP and DP at 2 where the real one is above 1 (in the order TP, PP, DP while the
        world has room), ``vpp`` at 2 where the real one is above 1 and PP was kept, the real ZeRO
        stage and recomputation when DP (respectively any layer) remains, a tiny model whose layers
        divide over the stages and heads over the TP ranks, and ``pp * 2`` micro-batches.

    Raises:
        ValueError: ``max_world`` is below 1.
    """
    if max_world < 1:
        raise ValueError(f"max_world must be at least 1, got {max_world}")
    sizes, dropped = _kept_dimensions(layout, max_world)
    vpp = min(layout.vpp, SCALED_DIMENSION) if sizes["pp"] > 1 else 1
    if layout.vpp > 1 and vpp == 1:
        dropped.append(f"vpp={layout.vpp}: pipeline parallelism was dropped, so its virtual stages were too")
    zero_stage = layout.zero_stage if sizes["dp"] > 1 else 0
    if layout.zero_stage and not zero_stage:
        dropped.append(f"zero_stage={layout.zero_stage}: no data-parallel ranks remain to shard over")
    if sizes["dp"] > 1 and zero_stage < 2:
        dropped.append(
            f"zero_stage={zero_stage}: data parallelism runs as FSDP2 without resharding after forward"
            " (ZeRO-2: all-gather and reduce-scatter instead of one all-reduce)"
        )
    stages = sizes["pp"] * vpp
    model = TinyModelShape(
        layers=max(MIN_LAYERS, stages * LAYERS_PER_STAGE),
        heads=HEADS_PER_TP_RANK * sizes["tp"],
        head_dim=HEAD_DIM,
        ffn_hidden=FFN_MULTIPLE * HEADS_PER_TP_RANK * sizes["tp"] * HEAD_DIM,
        vocab=VOCAB,
        seq_len=SEQ_LEN,
    )
    return ScaledLayout(
        real=layout,
        tp=sizes["tp"],
        pp=sizes["pp"],
        vpp=vpp,
        dp=sizes["dp"],
        zero_stage=zero_stage,
        sequence_parallel=layout.sequence_parallel and sizes["tp"] > 1,
        recompute=layout.recompute,
        micro_batches=MICRO_BATCHES_PER_STAGE * sizes["pp"] if sizes["pp"] > 1 else 1,
        micro_batch_size=min(layout.micro_batch, SCALED_DIMENSION),
        model=model,
        dropped=[*dropped, *_unexercised(layout)],
    )
