"""Seeded input generators: what a task's ``inputs`` section may ask for.

Each generator fills one or more parameters and may define derived size symbols (a generated
graph defines ``nnz``, its number of stored edges). Generators run in the order the task lists
them, so a later one may use a symbol defined by an earlier one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tasks.dtypes import DType
from tasks.shapes import Shape, ShapeExpr

Value = np.ndarray | int | float | bool
"""A generated argument: an array, or a scalar passed by value."""


class GeneratedInputs(BaseModel):
    """What one generator produced."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    values: dict[str, Value]
    symbols: dict[str, int] = {}


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def produces(self) -> list[str]:
        """Names of the parameters this generator fills."""
        raise NotImplementedError

    def defines(self) -> list[str]:
        """Size symbols this generator defines."""
        return []

    def shapes(self) -> list[ShapeExpr]:
        """Shape expressions the generator itself evaluates (checked against known symbols)."""
        return []


class _SingleParam(_Base):
    param: str
    """The parameter this generator fills."""

    def produces(self) -> list[str]:
        return [self.param]


def _scalar_or_array(values: np.ndarray, count: int | None) -> Value:
    return values.item() if count is None else values


class Uniform(_SingleParam):
    """Uniform values in ``[low, high]`` (integers inclusive, floats half-open)."""

    kind: Literal["uniform"]
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) is greater than high ({self.high})")
        return self

    def draw(self, rng: np.random.Generator, dtype: DType, count: int | None) -> Value:
        n = 1 if count is None else count
        if dtype is DType.bool:
            values = rng.random(n) < 0.5
        elif dtype.is_integer:
            values = rng.integers(int(self.low), int(self.high), size=n, endpoint=True, dtype=dtype.numpy)
        else:
            values = rng.uniform(self.low, self.high, size=n).astype(dtype.numpy)
        return _scalar_or_array(values, count)


class Normal(_SingleParam):
    """Normally distributed floats."""

    kind: Literal["normal"]
    mean: float = 0.0
    std: float = Field(default=1.0, gt=0)

    def draw(self, rng: np.random.Generator, dtype: DType, count: int | None) -> Value:
        values = rng.normal(self.mean, self.std, size=1 if count is None else count).astype(dtype.numpy)
        return _scalar_or_array(values, count)


class Sorted(Uniform):
    """Uniform values in ascending order (``unique`` for strictly ascending integers)."""

    kind: Literal["sorted"]  # type: ignore[assignment]
    unique: bool = False

    def draw(self, rng: np.random.Generator, dtype: DType, count: int | None) -> Value:
        if count is None:
            raise ValueError("a sorted generator needs an array parameter")
        if self.unique:
            span = int(self.high) - int(self.low) + 1
            if span < count:
                raise ValueError(f"cannot draw {count} unique values from [{self.low}, {self.high}]")
            picks = rng.choice(span, size=count, replace=False) if count else np.empty(0, np.int64)
            return np.sort(picks + int(self.low)).astype(dtype.numpy)
        return np.sort(super().draw(rng, dtype, count))


class Permutation(_SingleParam):
    """A random permutation of ``0 .. len-1``."""

    kind: Literal["permutation"]

    def draw(self, rng: np.random.Generator, dtype: DType, count: int | None) -> Value:
        if count is None:
            raise ValueError("a permutation generator needs an array parameter")
        return rng.permutation(count).astype(dtype.numpy)


class Distribution(StrEnum):
    uniform = "uniform"
    clustered = "clustered"


class Points(_SingleParam):
    """``count`` points of ``dims`` coordinates, row-major (``x0 y0 x1 y1 ...``)."""

    kind: Literal["points"]
    dims: int = Field(default=2, ge=1, le=8)
    distribution: Distribution = Distribution.uniform
    low: float = 0.0
    high: float = 1.0

    def draw(self, rng: np.random.Generator, dtype: DType, count: int | None) -> Value:
        if count is None or count % self.dims:
            raise ValueError(f"a points generator needs an array whose length is a multiple of dims={self.dims}")
        points = count // self.dims
        if self.distribution is Distribution.uniform:
            coords = rng.uniform(self.low, self.high, size=(points, self.dims))
        else:
            clusters = rng.uniform(self.low, self.high, size=(max(1, points // 1000 + 1), self.dims))
            spread = (self.high - self.low) / 50
            owner = rng.integers(0, len(clusters), size=points)
            coords = np.clip(clusters[owner] + rng.normal(0, spread, size=(points, self.dims)), self.low, self.high)
        return coords.astype(dtype.numpy).reshape(-1)


class _Csr(_Base):
    """Shared parts of the CSR generators."""

    row_ptr: str
    """Parameter receiving the row offsets (length rows+1)."""
    col_idx: str
    """Parameter receiving the column indices (length nnz)."""
    nnz: str = "nnz"
    """Size symbol defined as the number of stored entries."""

    def defines(self) -> list[str]:
        return [self.nnz]

    def _pack(self, rows: int, src: np.ndarray, dst: np.ndarray, dtypes: Mapping[str, DType]) -> dict[str, Value]:
        if len(src) > 1 and np.any((src[1:] < src[:-1]) | ((src[1:] == src[:-1]) & (dst[1:] < dst[:-1]))):
            order = np.lexsort((dst, src))  # _dedupe's output is already in this order: skip the slow lexsort
            src, dst = src[order], dst[order]
        row_ptr = np.zeros(rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=rows), out=row_ptr[1:])
        return {
            self.row_ptr: row_ptr.astype(dtypes[self.row_ptr].numpy),
            self.col_idx: dst.astype(dtypes[self.col_idx].numpy),
        }


class CsrMatrix(_Csr):
    """A random sparse matrix in CSR with about ``nnz_per_row`` entries per row."""

    kind: Literal["csr_matrix"]
    rows: Shape
    cols: Shape
    nnz_per_row: float = Field(gt=0)
    values: str | None = None
    """Parameter receiving the entries (length nnz), uniform in ``[low, high)``."""
    low: float = -1.0
    high: float = 1.0

    def produces(self) -> list[str]:
        return [self.row_ptr, self.col_idx] + ([self.values] if self.values else [])

    def shapes(self) -> list[ShapeExpr]:
        return [self.rows, self.cols]

    def generate(
        self, rng: np.random.Generator, symbols: Mapping[str, int], dtypes: Mapping[str, DType]
    ) -> GeneratedInputs:
        rows, cols = self.rows.evaluate(symbols), self.cols.evaluate(symbols)
        per_row = rng.poisson(self.nnz_per_row, size=rows) if cols else np.zeros(rows, dtype=np.int64)
        src = np.repeat(np.arange(rows), per_row)
        dst = rng.integers(0, max(cols, 1), size=len(src))
        src, dst = _dedupe(src, dst, cols, drop_self_loops=False)
        values = self._pack(rows, src, dst, dtypes)
        nnz = len(values[self.col_idx])
        if self.values:
            values[self.values] = rng.uniform(self.low, self.high, size=nnz).astype(dtypes[self.values].numpy)
        return GeneratedInputs(values=values, symbols={self.nnz: nnz})


class GraphModel(StrEnum):
    erdos_renyi = "erdos_renyi"
    rmat = "rmat"
    """Recursive-matrix power-law graph (a=0.57, b=c=0.19, d=0.05)."""
    grid = "grid"
    """A 2-D 4-neighbour grid, row-major, about sqrt(n) wide."""


class CsrGraph(_Csr):
    """A graph without self-loops or duplicate edges, as CSR adjacency (symmetric unless ``directed``)."""

    kind: Literal["csr_graph"]
    model: GraphModel
    vertices: Shape
    avg_degree: float = Field(default=8.0, gt=0)
    directed: bool = False

    def produces(self) -> list[str]:
        return [self.row_ptr, self.col_idx]

    def shapes(self) -> list[ShapeExpr]:
        return [self.vertices]

    def generate(
        self, rng: np.random.Generator, symbols: Mapping[str, int], dtypes: Mapping[str, DType]
    ) -> GeneratedInputs:
        n = self.vertices.evaluate(symbols)
        src, dst = self._edges(rng, n)
        if not self.directed:
            src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
        src, dst = _dedupe(src, dst, n, drop_self_loops=True)
        values = self._pack(n, src, dst, dtypes)
        return GeneratedInputs(values=values, symbols={self.nnz: len(values[self.col_idx])})

    def _edges(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        if n < 2:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        edges = round(n * self.avg_degree / (1 if self.directed else 2))
        if self.model is GraphModel.erdos_renyi:
            return rng.integers(0, n, size=edges), rng.integers(0, n, size=edges)
        if self.model is GraphModel.rmat:
            return _rmat(rng, n, edges)
        width = max(1, math.isqrt(n - 1) + 1)
        ids = np.arange(n)
        right = ids[(ids % width != width - 1) & (ids + 1 < n)]
        down = ids[ids + width < n]
        return np.concatenate([right, down]), np.concatenate([right + 1, down + width])


def _rmat(rng: np.random.Generator, n: int, edges: int) -> tuple[np.ndarray, np.ndarray]:
    scale = max(1, math.ceil(math.log2(n)))
    src = np.zeros(edges, dtype=np.int64)
    dst = np.zeros(edges, dtype=np.int64)
    for _ in range(scale):
        quadrant = rng.choice(4, size=edges, p=[0.57, 0.19, 0.19, 0.05])
        src = (src << 1) | (quadrant >> 1)
        dst = (dst << 1) | (quadrant & 1)
    relabel = rng.permutation(1 << scale) % n
    return relabel[src], relabel[dst]


def _dedupe(src: np.ndarray, dst: np.ndarray, cols: int, *, drop_self_loops: bool) -> tuple[np.ndarray, np.ndarray]:
    """Drop duplicate (src, dst) pairs, and self-loops if asked."""
    src, dst = src.astype(np.int64), dst.astype(np.int64)
    if cols == 0:
        return src[:0], dst[:0]
    keep = src != dst if drop_self_loops else np.ones(len(src), dtype=bool)
    # np.sort plus a mask, not np.unique: NumPy 2.x's hash-based unique takes minutes on 10**7 keys.
    keys = np.sort(src[keep] * cols + dst[keep])
    keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if len(keys) else keys
    return keys // cols, keys % cols


Generator = Annotated[
    Uniform | Normal | Sorted | Permutation | Points | CsrMatrix | CsrGraph,
    Field(discriminator="kind"),
]
"""One entry of a task's ``inputs`` list, chosen by its ``kind``."""

ARRAY_GENERATORS = (Uniform, Normal, Sorted, Permutation, Points)
"""Generators that fill one parameter, array or scalar, by ``draw``."""
