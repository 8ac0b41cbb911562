"""How a training layout cuts one step: micro-batches, layers per pipeline stage, tokens per GPU, link kinds.

Ranks are ordered as in Megatron-LM: tensor parallel innermost, then context parallel, then data
parallel (expert parallel groups are carved out of the data- and context-parallel ranks), pipeline
outermost. A group whose ranks fit inside one node talks over NVLink, any other over the network.
"""

from __future__ import annotations

from dataclasses import dataclass

from tasks.configs.layout import TrainLayout
from tasks.configs.model import TrainConfigTask


@dataclass(frozen=True)
class TrainGeometry:
    """The counts both the memory and the performance model start from."""

    pp: int
    micro_batches: int
    """Micro-batches per step on each pipeline (``global batch / (dp * micro_batch)``)."""
    layers_per_stage: int
    seq_per_rank: int
    """Tokens of one sequence on one context-parallel rank (``seq_len / cp``)."""
    tp_intra_node: bool
    cp_intra_node: bool
    ep_intra_node: bool
    dp_intra_node: bool
    pp_intra_node: bool

    @property
    def in_flight(self) -> int:
        """Micro-batches whose activations the first pipeline stage holds at once under 1F1B."""
        return min(self.micro_batches, self.pp)


def train_geometry(task: TrainConfigTask, layout: TrainLayout) -> TrainGeometry:
    """The geometry of ``layout`` on ``task`` (assumes the layout passed :func:`check_train_layout`)."""
    node = task.cluster.gpus_per_node
    tp_cp = layout.tp * layout.cp
    return TrainGeometry(
        pp=layout.pp,
        micro_batches=max(1, task.workload.batch_sequences // (layout.dp * layout.micro_batch)),
        layers_per_stage=task.model.layers // layout.pp,
        seq_per_rank=task.workload.seq_len // layout.cp,
        tp_intra_node=layout.tp <= node,
        cp_intra_node=tp_cp <= node,
        ep_intra_node=layout.tp * layout.ep <= node,
        dp_intra_node=tp_cp * layout.dp <= node,
        pp_intra_node=layout.world_size <= node,
    )
