"""Seeded input generators: values, dtypes, lengths and the invariants of what they build."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.dtypes import DType
from tasks.generators import CsrGraph, CsrMatrix, GraphModel, Normal, Permutation, Points, Sorted, Uniform

ALL_DTYPES = list(DType)
INT_DTYPES = [d for d in DType if d.is_integer]
FLOAT_DTYPES = [d for d in DType if d.is_float]
INDEX_DTYPES = {"rp": DType.int64, "ci": DType.int32, "vals": DType.float64}


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def assert_csr(row_ptr: np.ndarray, col_idx: np.ndarray, rows: int, cols: int) -> None:
    """The CSR invariants: offsets start at 0, never decrease, end at nnz; columns in range, sorted, unique per row."""
    assert row_ptr.shape == (rows + 1,)
    assert row_ptr[0] == 0
    assert row_ptr[-1] == len(col_idx)
    assert np.all(np.diff(row_ptr) >= 0)
    if len(col_idx):
        assert col_idx.min() >= 0
        assert col_idx.max() < cols
    for row in range(rows):
        cells = col_idx[row_ptr[row] : row_ptr[row + 1]]
        assert np.all(np.diff(cells) > 0), f"row {row} is not strictly ascending: {cells}"


def edges(row_ptr: np.ndarray, col_idx: np.ndarray) -> set[tuple[int, int]]:
    rows = np.repeat(np.arange(len(row_ptr) - 1), np.diff(row_ptr))
    return set(zip(rows.tolist(), col_idx.tolist(), strict=True))


# --- Single-parameter generators ---


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_uniform_has_the_dtype_and_length(dtype: DType) -> None:
    values = Uniform(kind="uniform", param="x", low=0, high=100).draw(rng(), dtype, 37)
    assert isinstance(values, np.ndarray)
    assert values.dtype == dtype.numpy
    assert values.shape == (37,)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_uniform_scalar_is_a_python_value(dtype: DType) -> None:
    value = Uniform(kind="uniform", param="x", low=0, high=100).draw(rng(), dtype, None)
    expected = bool if dtype is DType.bool else float if dtype.is_float else int
    assert type(value) is expected


@pytest.mark.parametrize("dtype", [DType.int8, DType.int64, DType.uint16], ids=str)
def test_uniform_integers_include_both_ends(dtype: DType) -> None:
    low = 0 if dtype.value.startswith("u") else -3
    values = Uniform(kind="uniform", param="x", low=low, high=3).draw(rng(), dtype, 2000)
    assert set(values.tolist()) == set(range(low, 4))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
def test_uniform_floats_stay_in_range(dtype: DType) -> None:
    values = Uniform(kind="uniform", param="x", low=-2.5, high=7.0).draw(rng(), dtype, 5000)
    assert values.min() >= -2.5
    assert values.max() <= 7.0
    assert values.min() < -2.0 and values.max() > 6.5


def test_uniform_bool_gives_both_values() -> None:
    values = Uniform(kind="uniform", param="x").draw(rng(), DType.bool, 200)
    assert set(values.tolist()) == {False, True}


def test_uniform_rejects_low_above_high() -> None:
    with pytest.raises(ValueError, match="greater than high"):
        Uniform(kind="uniform", param="x", low=2, high=1)


_DETERMINISM = [
    (Uniform(kind="uniform", param="x", low=-1e6, high=1e6), DType.int64),
    (Uniform(kind="uniform", param="x", low=-1e6, high=1e6), DType.float64),
    (Normal(kind="normal", param="x"), DType.float32),
    (Sorted(kind="sorted", param="x", low=0, high=1e6), DType.uint32),
    (Sorted(kind="sorted", param="x", low=0, high=1e6, unique=True), DType.int64),
    (Permutation(kind="permutation", param="x"), DType.int32),
    (Points(kind="points", param="x", dims=2), DType.float64),
    (Points(kind="points", param="x", dims=2, distribution="clustered"), DType.float64),
]


@pytest.mark.parametrize(("gen", "dtype"), _DETERMINISM, ids=[f"{g.kind}-{d}" for g, d in _DETERMINISM])
def test_same_seed_same_values_other_seed_other_values(gen: object, dtype: DType) -> None:
    first, again, other = (gen.draw(rng(seed), dtype, 100) for seed in (7, 7, 8))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
def test_normal(dtype: DType) -> None:
    values = Normal(kind="normal", param="x", mean=5.0, std=2.0).draw(rng(), dtype, 20_000)
    assert values.dtype == dtype.numpy
    assert abs(values.mean() - 5.0) < 0.1
    assert abs(values.std() - 2.0) < 0.1


@pytest.mark.parametrize("dtype", [DType.int32, DType.uint8, DType.float32, DType.float64], ids=str)
@pytest.mark.parametrize("count", [0, 1, 2, 500])
def test_sorted_is_nondecreasing(dtype: DType, count: int) -> None:
    values = Sorted(kind="sorted", param="x", low=0, high=200).draw(rng(), dtype, count)
    assert values.dtype == dtype.numpy
    assert len(values) == count
    assert np.all(np.diff(values) >= 0)


@pytest.mark.parametrize("dtype", [DType.int64, DType.uint16, DType.float64], ids=str)
def test_sorted_unique_is_strictly_increasing_in_range(dtype: DType) -> None:
    values = Sorted(kind="sorted", param="x", low=10, high=400, unique=True).draw(rng(), dtype, 300)
    assert values.dtype == dtype.numpy
    assert np.all(np.diff(values) > 0)
    assert values.min() >= 10 and values.max() <= 400


def test_sorted_unique_can_use_the_whole_range() -> None:
    values = Sorted(kind="sorted", param="x", low=-5, high=5, unique=True).draw(rng(), DType.int32, 11)
    assert values.tolist() == list(range(-5, 6))


def test_sorted_unique_refuses_more_values_than_the_range_holds() -> None:
    with pytest.raises(ValueError, match=r"cannot draw 12 unique values from \[-5"):
        Sorted(kind="sorted", param="x", low=-5, high=5, unique=True).draw(rng(), DType.int32, 12)


@pytest.mark.parametrize("gen", [Sorted(kind="sorted", param="x"), Permutation(kind="permutation", param="x")])
def test_array_only_generators_refuse_scalars(gen: object) -> None:
    with pytest.raises(ValueError, match="needs an array parameter"):
        gen.draw(rng(), DType.int32, None)


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=str)
@pytest.mark.parametrize("count", [0, 1, 2, 100])
def test_permutation_is_a_permutation(dtype: DType, count: int) -> None:
    values = Permutation(kind="permutation", param="p").draw(rng(), dtype, count)
    assert values.dtype == dtype.numpy
    assert sorted(values.tolist()) == list(range(count))


def test_permutation_shuffles() -> None:
    values = Permutation(kind="permutation", param="p").draw(rng(), DType.int64, 100)
    assert values.tolist() != list(range(100))


@pytest.mark.parametrize("distribution", ["uniform", "clustered"])
@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("points", [0, 1, 1500])
def test_points_shape_and_range(distribution: str, dims: int, points: int) -> None:
    gen = Points(kind="points", param="xy", dims=dims, distribution=distribution, low=-1.0, high=4.0)
    values = gen.draw(rng(), DType.float32, points * dims)
    assert values.dtype == np.float32
    assert values.shape == (points * dims,)
    if points:
        assert values.min() >= -1.0 and values.max() <= 4.0


def test_clustered_points_are_clustered() -> None:
    """Clustered points sit near few centres: far more duplicates at a coarse grid than uniform points."""
    count = 2000

    def occupied(distribution: str) -> int:
        gen = Points(kind="points", param="xy", distribution=distribution)
        coords = gen.draw(rng(), DType.float64, 2 * count).reshape(-1, 2)
        return len({tuple(c) for c in np.floor(coords * 20).astype(int).tolist()})

    assert occupied("clustered") * 4 < occupied("uniform")


@pytest.mark.parametrize("count", [3, 5, None])
def test_points_length_must_be_a_multiple_of_dims(count: int | None) -> None:
    with pytest.raises(ValueError, match="multiple of dims=2"):
        Points(kind="points", param="xy", dims=2).draw(rng(), DType.float64, count)


# --- CSR matrices ---


@pytest.mark.parametrize(
    ("rows", "cols", "per_row"),
    [(0, 0, 2.0), (0, 5, 2.0), (1, 1, 3.0), (5, 0, 2.0), (7, 3, 5.0), (100, 50, 4.0), (50, 1000, 0.5)],
)
def test_csr_matrix_invariants(rows: int, cols: int, per_row: float) -> None:
    gen = CsrMatrix(
        kind="csr_matrix", rows="r", cols="c", nnz_per_row=per_row, row_ptr="rp", col_idx="ci", values="vals"
    )
    out = gen.generate(rng(), {"r": rows, "c": cols}, INDEX_DTYPES)
    row_ptr, col_idx, values = out.values["rp"], out.values["ci"], out.values["vals"]
    assert row_ptr.dtype == np.int64 and col_idx.dtype == np.int32 and values.dtype == np.float64
    assert_csr(row_ptr, col_idx, rows, cols)
    assert out.symbols == {"nnz": len(col_idx)}
    assert len(values) == len(col_idx)
    if len(values):
        assert values.min() >= -1.0 and values.max() < 1.0


def test_csr_matrix_density_follows_nnz_per_row() -> None:
    gen = CsrMatrix(kind="csr_matrix", rows="n", cols="n", nnz_per_row=6, row_ptr="rp", col_idx="ci")
    out = gen.generate(rng(), {"n": 2000}, INDEX_DTYPES)
    assert 5.5 * 2000 < out.symbols["nnz"] <= 6.5 * 2000


def test_csr_matrix_custom_nnz_symbol_and_produces() -> None:
    gen = CsrMatrix(kind="csr_matrix", rows="n", cols="n", nnz_per_row=2, row_ptr="rp", col_idx="ci", nnz="entries")
    assert gen.defines() == ["entries"]
    assert gen.produces() == ["rp", "ci"]
    assert set(gen.generate(rng(), {"n": 10}, INDEX_DTYPES).symbols) == {"entries"}


@settings(max_examples=25, deadline=None, database=None)
@given(
    rows=st.integers(0, 40),
    cols=st.integers(0, 40),
    per_row=st.floats(0.1, 12),
    seed=st.integers(0, 2**32),
)
def test_csr_matrix_invariants_property(rows: int, cols: int, per_row: float, seed: int) -> None:
    gen = CsrMatrix(kind="csr_matrix", rows="r", cols="c", nnz_per_row=per_row, row_ptr="rp", col_idx="ci")
    out = gen.generate(rng(seed), {"r": rows, "c": cols}, INDEX_DTYPES)
    assert_csr(out.values["rp"], out.values["ci"], rows, cols)
    assert out.symbols["nnz"] == len(out.values["ci"])


# --- CSR graphs ---


def _graph(model: str, directed: bool, avg_degree: float = 6.0) -> CsrGraph:
    return CsrGraph(
        kind="csr_graph",
        model=model,
        vertices="n",
        avg_degree=avg_degree,
        directed=directed,
        row_ptr="rp",
        col_idx="ci",
    )


def assert_graph(out: object, n: int, directed: bool) -> None:
    row_ptr, col_idx = out.values["rp"], out.values["ci"]
    assert_csr(row_ptr, col_idx, n, n)
    assert out.symbols == {"nnz": len(col_idx)}
    pairs = edges(row_ptr, col_idx)
    assert not any(u == v for u, v in pairs), "self-loop"
    if not directed:
        assert pairs == {(v, u) for u, v in pairs}, "an undirected graph must be symmetric"


@pytest.mark.parametrize("model", list(GraphModel), ids=str)
@pytest.mark.parametrize("directed", [False, True], ids=["undirected", "directed"])
@pytest.mark.parametrize("n", [0, 1, 2, 7, 64, 1000])
def test_csr_graph_invariants(model: GraphModel, directed: bool, n: int) -> None:
    out = _graph(model, directed).generate(rng(), {"n": n}, INDEX_DTYPES)
    assert_graph(out, n, directed)
    if n >= 64:
        assert out.symbols["nnz"] > n, "a graph this large should have edges"


@settings(max_examples=25, deadline=None, database=None)
@given(
    model=st.sampled_from(list(GraphModel)),
    directed=st.booleans(),
    n=st.integers(0, 80),
    avg_degree=st.floats(0.5, 12),
    seed=st.integers(0, 2**32),
)
def test_csr_graph_invariants_property(model: GraphModel, directed: bool, n: int, avg_degree: float, seed: int) -> None:
    out = _graph(model, directed, avg_degree).generate(rng(seed), {"n": n}, INDEX_DTYPES)
    assert_graph(out, n, directed)


def test_grid_graph_structure() -> None:
    """Nine vertices make a 3x3 grid: 12 undirected edges, the centre has 4 neighbours, a corner 2."""
    out = _graph("grid", directed=False).generate(rng(), {"n": 9}, INDEX_DTYPES)
    row_ptr, col_idx = out.values["rp"], out.values["ci"]
    assert out.symbols["nnz"] == 24
    assert col_idx[row_ptr[4] : row_ptr[5]].tolist() == [1, 3, 5, 7]
    assert col_idx[row_ptr[0] : row_ptr[1]].tolist() == [1, 3]


def test_directed_grid_points_right_and_down() -> None:
    out = _graph("grid", directed=True).generate(rng(), {"n": 9}, INDEX_DTYPES)
    assert edges(out.values["rp"], out.values["ci"]) == {
        (0, 1), (1, 2), (3, 4), (4, 5), (6, 7), (7, 8), (0, 3), (1, 4), (2, 5), (3, 6), (4, 7), (5, 8),
    }  # fmt: skip


def test_erdos_renyi_degree_follows_avg_degree() -> None:
    out = _graph("erdos_renyi", directed=False, avg_degree=8).generate(rng(), {"n": 1000}, INDEX_DTYPES)
    assert 7000 < out.symbols["nnz"] <= 8000


def test_rmat_is_skewed() -> None:
    """R-MAT graphs are power-law: the busiest vertex has many times the mean degree."""
    out = _graph("rmat", directed=False, avg_degree=8).generate(rng(), {"n": 1000}, INDEX_DTYPES)
    degrees = np.diff(out.values["rp"])
    assert degrees.max() > 10 * degrees.mean()


@pytest.mark.parametrize("model", list(GraphModel), ids=str)
def test_csr_graph_is_deterministic(model: GraphModel) -> None:
    gen = _graph(model, directed=False)
    first, again, other = (gen.generate(rng(seed), {"n": 200}, INDEX_DTYPES) for seed in (1, 1, 2))
    for name in ("rp", "ci"):
        np.testing.assert_array_equal(first.values[name], again.values[name])
    if model is not GraphModel.grid:
        assert not np.array_equal(first.values["ci"], other.values["ci"])
