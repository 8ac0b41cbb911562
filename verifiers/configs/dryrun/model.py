"""The tiny causal transformer of the dry run, cut into pipeline stages (needs torch).

Each block is pre-norm causal self-attention and a ReLU MLP with residuals. The projections are
plain ``nn.Linear`` modules with the names tensor parallelism shards (``q``, ``k``, ``v`` and
``up`` by columns, ``out`` and ``down`` by rows); the attention infers its local head count from the width it
receives, so the same code runs whole or sharded.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from tasks.configs.layout import Recompute
from verifiers.configs.dryrun.scale import TinyModelShape


class Attention(nn.Module):
    """Causal multi-head self-attention; the head count follows the width the projections return."""

    def __init__(self, shape: TinyModelShape, recompute_core: bool) -> None:
        super().__init__()
        self.head_dim = shape.head_dim
        self.recompute_core = recompute_core
        self.q = nn.Linear(shape.hidden, shape.hidden, bias=False)
        self.k = nn.Linear(shape.hidden, shape.hidden, bias=False)
        self.v = nn.Linear(shape.hidden, shape.hidden, bias=False)
        self.out = nn.Linear(shape.hidden, shape.hidden, bias=False)

    def _core(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, seq, _ = x.shape
        q, k, v = (proj(x).view(batch, seq, -1, self.head_dim).transpose(1, 2) for proj in (self.q, self.k, self.v))
        core = checkpoint(self._core, q, k, v, use_reentrant=False) if self.recompute_core else self._core(q, k, v)
        return self.out(core.transpose(1, 2).reshape(batch, seq, -1))


class MLP(nn.Module):
    """Two matrices with a ReLU between."""

    def __init__(self, shape: TinyModelShape) -> None:
        super().__init__()
        self.up = nn.Linear(shape.hidden, shape.ffn_hidden, bias=False)
        self.down = nn.Linear(shape.ffn_hidden, shape.hidden, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(F.relu(self.up(x)))


class Block(nn.Module):
    """One pre-norm transformer layer."""

    def __init__(self, shape: TinyModelShape, recompute: Recompute) -> None:
        super().__init__()
        self.recompute_all = recompute is Recompute.full
        self.attention_norm = nn.LayerNorm(shape.hidden)
        self.attention = Attention(shape, recompute_core=recompute is Recompute.selective)
        self.mlp_norm = nn.LayerNorm(shape.hidden)
        self.mlp = MLP(shape)

    def _layer(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.attention_norm(x))
        return x + self.mlp(self.mlp_norm(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return checkpoint(self._layer, x, use_reentrant=False) if self.recompute_all else self._layer(x)


class Stage(nn.Module):
    """A contiguous run of blocks; the first stage embeds tokens, the last one returns logits."""

    def __init__(self, shape: TinyModelShape, recompute: Recompute, layers: range, first: bool, last: bool) -> None:
        super().__init__()
        self.embedding = nn.Embedding(shape.vocab, shape.hidden) if first else None
        self.blocks = nn.ModuleDict({str(index): Block(shape, recompute) for index in layers})
        self.norm = nn.LayerNorm(shape.hidden) if last else None
        self.head = nn.Linear(shape.hidden, shape.vocab, bias=False) if last else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.embedding is not None:
            x = self.embedding(x)
        for block in self.blocks.values():
            x = block(x)
        if self.head is not None and self.norm is not None:
            x = self.head(self.norm(x))
        return x


def build_stages(shape: TinyModelShape, recompute: Recompute, stages: int, seed: int) -> list[Stage]:
    """The whole model as ``stages`` stages, initialised identically on every rank from ``seed``.

    Every rank builds every stage in the same order, so that the stage it keeps holds exactly the
    weights a single-process run of the same model starts from.
    """
    torch.manual_seed(seed)
    per_stage = shape.layers // stages
    return [
        Stage(
            shape,
            recompute,
            range(index * per_stage, (index + 1) * per_stage),
            first=index == 0,
            last=index == stages - 1,
        )
        for index in range(stages)
    ]


def loss_fn(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
