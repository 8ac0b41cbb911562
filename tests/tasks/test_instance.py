"""Problem instances: every generator run for one size and seed, checked against the signature."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from tasks.instance import POISON_BYTE, InstanceError, derive_seed, make_instance, poisoned
from tasks.model import KernelTask, Role
from tasks.oracle import OracleError, run_oracle

TaskFactory = Callable[..., KernelTask]

PARAMS = [
    {"name": "x", "dtype": "float64", "role": "input", "shape": "n"},
    {"name": "g", "dtype": "float32", "role": "input", "shape": "n"},
    {"name": "s", "dtype": "int32", "role": "input", "shape": "n"},
    {"name": "p", "dtype": "int64", "role": "input", "shape": "n"},
    {"name": "xy", "dtype": "float64", "role": "input", "shape": "3*n"},
    {"name": "rp", "dtype": "int64", "role": "input", "shape": "n+1"},
    {"name": "ci", "dtype": "int32", "role": "input", "shape": "nnz"},
    {"name": "mrp", "dtype": "int32", "role": "input", "shape": "n+1"},
    {"name": "mci", "dtype": "int64", "role": "input", "shape": "mnnz"},
    {"name": "mv", "dtype": "float32", "role": "input", "shape": "mnnz"},
    {"name": "acc", "dtype": "int64", "role": "inout", "shape": "n"},
    {"name": "k", "dtype": "int32", "role": "input"},
    {"name": "n", "dtype": "int64", "role": "size"},
    {"name": "edges", "dtype": "uint32", "role": "size", "value": "nnz"},
    {"name": "out", "dtype": "float64", "role": "output", "shape": "n"},
    {"name": "flag", "dtype": "bool", "role": "output", "shape": "1"},
]
INPUTS = [
    {"kind": "uniform", "param": "x", "low": -1, "high": 1},
    {"kind": "normal", "param": "g"},
    {"kind": "sorted", "param": "s", "low": 0, "high": 5000, "unique": True},
    {"kind": "permutation", "param": "p"},
    {"kind": "points", "param": "xy", "dims": 3},
    {"kind": "csr_graph", "model": "rmat", "vertices": "n", "row_ptr": "rp", "col_idx": "ci"},
    {
        "kind": "csr_matrix",
        "rows": "n",
        "cols": "n+3",
        "nnz_per_row": 3,
        "row_ptr": "mrp",
        "col_idx": "mci",
        "values": "mv",
        "nnz": "mnnz",
    },
    {"kind": "uniform", "param": "acc", "low": -5, "high": 5},
    {"kind": "uniform", "param": "k", "low": 1, "high": 9},
]


@pytest.fixture(scope="module")
def every_generator(inline_task: TaskFactory) -> KernelTask:
    """A task using every generator kind, a derived size symbol, a scalar input and an inout."""
    return inline_task(PARAMS, INPUTS, test=[{"n": 0}, {"n": 1}, {"n": 2}, {"n": 7}, {"n": 300}])


@pytest.mark.parametrize("n", [0, 1, 2, 7, 300])
def test_lengths_match_the_signature(every_generator: KernelTask, n: int) -> None:
    instance = make_instance(every_generator, {"n": n}, seed=0)
    assert instance.symbols["n"] == n
    assert instance.symbols["nnz"] == len(instance.args["ci"])
    assert instance.symbols["mnnz"] == len(instance.args["mci"])
    for param in every_generator.signature.params:
        if param.role is Role.size:
            assert instance.args[param.name] == param.size_expr.evaluate(instance.symbols)
        elif param.role is Role.output:
            assert param.name not in instance.args
            assert instance.output_lengths[param.name] == param.shape.evaluate(instance.symbols)
        elif param.is_array:
            value = instance.args[param.name]
            assert value.dtype == param.dtype.numpy, param.name
            assert len(value) == param.shape.evaluate(instance.symbols), param.name
        else:
            assert isinstance(instance.args[param.name], int)
    assert instance.args["edges"] == instance.symbols["nnz"]
    assert instance.output_lengths == {"acc": n, "out": n, "flag": 1}


def test_same_seed_gives_the_same_instance(every_generator: KernelTask) -> None:
    first = make_instance(every_generator, {"n": 50}, seed=3)
    again = make_instance(every_generator, {"n": 50}, seed=3)
    assert first.args.keys() == again.args.keys()
    for name, value in first.args.items():
        np.testing.assert_array_equal(value, again.args[name], err_msg=name)


@pytest.mark.parametrize("change", ["seed", "size"])
def test_other_seed_or_size_gives_other_values(every_generator: KernelTask, change: str) -> None:
    first = make_instance(every_generator, {"n": 50}, seed=3)
    other = make_instance(every_generator, {"n": 50 if change == "seed" else 51}, seed=4 if change == "seed" else 3)
    for name in ("x", "g", "s", "p", "xy", "ci", "mv", "acc"):
        assert not np.array_equal(first.args[name][:40], other.args[name][:40]), name


def test_generators_draw_from_independent_streams(inline_task: TaskFactory) -> None:
    """Two identical generators for two parameters do not produce the same array."""
    task = inline_task(
        [
            {"name": "a", "dtype": "float64", "role": "input", "shape": "n"},
            {"name": "b", "dtype": "float64", "role": "input", "shape": "n"},
            {"name": "n", "dtype": "int64", "role": "size"},
            {"name": "out", "dtype": "float64", "role": "output", "shape": "n"},
        ]
    )
    instance = make_instance(task, {"n": 10}, seed=0)
    assert not np.array_equal(instance.args["a"], instance.args["b"])


def test_seeds_are_stable_across_processes() -> None:
    """Seeds come from SHA-256, not Python's per-process salted hash: the same parts always give this number."""
    assert derive_seed("reduce-sum", 1, 0, 0, [("n", 7)]) == 6234262115645313238
    assert derive_seed("a", "b") != derive_seed("ab")


def test_initial_buffers(every_generator: KernelTask) -> None:
    instance = make_instance(every_generator, {"n": 7}, seed=0)
    params = {p.name: p for p in every_generator.signature.params}
    out = instance.initial(params["out"])
    assert out.dtype == np.float64 and out.shape == (7,)
    assert set(out.view(np.uint8).tolist()) == {POISON_BYTE}
    flag = instance.initial(params["flag"])
    assert flag.dtype == np.bool_ and flag.view(np.uint8).tolist() == [POISON_BYTE]
    acc = instance.initial(params["acc"])
    np.testing.assert_array_equal(acc, instance.args["acc"])
    k = instance.initial(params["k"])
    assert k.shape == () and k.dtype == np.int32 and int(k) == instance.args["k"]
    edges = instance.initial(params["edges"])
    assert edges.dtype == np.uint32 and int(edges) == instance.symbols["nnz"]


@pytest.mark.parametrize("count", [0, 1, 5])
def test_poisoned(count: int) -> None:
    for dtype in (np.float32, np.int64, np.bool_, np.uint8):
        values = poisoned(np.dtype(dtype), count)
        assert values.dtype == dtype and values.shape == (count,)
        assert values.tobytes() == bytes([POISON_BYTE]) * count * np.dtype(dtype).itemsize


def test_oracle_args_are_read_only_copies(every_generator: KernelTask) -> None:
    instance = make_instance(every_generator, {"n": 7}, seed=0)
    args = instance.oracle_args()
    assert set(args) == set(instance.args)
    with pytest.raises(ValueError, match="read-only"):
        args["x"][0] = 1.0
    assert args["x"] is not instance.args["x"]
    assert instance.args["x"].flags.writeable


def test_unique_sorted_with_too_small_a_range(inline_task: TaskFactory) -> None:
    task = inline_task(
        [
            {"name": "s", "dtype": "int32", "role": "input", "shape": "n"},
            {"name": "n", "dtype": "int64", "role": "size"},
            {"name": "out", "dtype": "int32", "role": "output", "shape": "n"},
        ],
        [{"kind": "sorted", "param": "s", "low": 0, "high": 4, "unique": True}],
    )
    assert len(make_instance(task, {"n": 5}, seed=0).args["s"]) == 5
    with pytest.raises(InstanceError, match=r"inputs\[0\] \(sorted\).*cannot draw 7 unique values"):
        make_instance(task, {"n": 7}, seed=0)


def test_negative_input_shape(inline_task: TaskFactory) -> None:
    task = inline_task(
        [
            {"name": "x", "dtype": "float64", "role": "input", "shape": "n-2"},
            {"name": "n", "dtype": "int64", "role": "size"},
            {"name": "out", "dtype": "float64", "role": "output", "shape": "n"},
        ]
    )
    with pytest.raises(InstanceError, match=r"'x' has shape n-2 = -2 < 0"):
        make_instance(task, {"n": 0}, seed=0)


def test_negative_output_shape(inline_task: TaskFactory) -> None:
    task = inline_task(
        [
            {"name": "n", "dtype": "int64", "role": "size"},
            {"name": "out", "dtype": "float64", "role": "output", "shape": "n-1"},
        ]
    )
    with pytest.raises(InstanceError, match=r"'out' has shape n-1 = -1 < 0"):
        make_instance(task, {"n": 0}, seed=0)


def test_size_value_must_fit_its_dtype(inline_task: TaskFactory) -> None:
    task = inline_task(
        [
            {"name": "n", "dtype": "int64", "role": "size"},
            {"name": "last", "dtype": "uint32", "role": "size", "value": "n-1"},
            {"name": "out", "dtype": "float64", "role": "output", "shape": "n"},
        ]
    )
    assert make_instance(task, {"n": 1}, seed=0).args["last"] == 0
    with pytest.raises(InstanceError, match="'last' = -1 does not fit uint32"):
        make_instance(task, {"n": 0}, seed=0)


def test_points_length_not_a_multiple_of_dims(inline_task: TaskFactory) -> None:
    task = inline_task(
        [
            {"name": "xy", "dtype": "float64", "role": "input", "shape": "n"},
            {"name": "n", "dtype": "int64", "role": "size"},
            {"name": "out", "dtype": "float64", "role": "output", "shape": "n"},
        ],
        [{"kind": "points", "param": "xy", "dims": 2}],
    )
    with pytest.raises(InstanceError, match=r"inputs\[0\] \(points\).*multiple of dims=2"):
        make_instance(task, {"n": 7}, seed=0)


# --- The NumPy oracle ---


def _oracle_task(inline_task: TaskFactory, numpy: str) -> KernelTask:
    return inline_task(
        [
            {"name": "x", "dtype": "float64", "role": "input", "shape": "n"},
            {"name": "n", "dtype": "int64", "role": "size"},
            {"name": "out", "dtype": "float32", "role": "output", "shape": "n"},
        ],
        numpy=numpy,
    )


def test_oracle_result_takes_the_output_dtype(inline_task: TaskFactory) -> None:
    task = _oracle_task(inline_task, "def oracle(x, n):\n    return {'out': [v * 2 for v in x]}\n")
    instance = make_instance(task, {"n": 7}, seed=0)
    result = run_oracle(instance)
    assert result["out"].dtype == np.float32
    np.testing.assert_allclose(result["out"], instance.args["x"] * 2, rtol=1e-6)


def test_oracle_may_return_the_single_output_bare(inline_task: TaskFactory) -> None:
    task = _oracle_task(inline_task, "def oracle(x, n):\n    return x + 1\n")
    instance = make_instance(task, {"n": 7}, seed=0)
    np.testing.assert_allclose(run_oracle(instance)["out"], instance.args["x"] + 1, rtol=1e-6)


@pytest.mark.parametrize(
    ("numpy", "message"),
    [
        ("def oracle(x, n):\n    return {'result': x}\n", "did not return output 'out'"),
        ("def oracle(x, n):\n    return 1 / 0\n", "raised ZeroDivisionError"),
        ("def oracle(x):\n    return x\n", "raised TypeError"),
        ("def oracle(x, n):\n    x[0] = 1\n    return x\n", "raised ValueError"),
        ("import no_such_module\ndef oracle(x, n):\n    return x\n", "failed to load: ModuleNotFoundError"),
        ("oracle = 3\n", "does not define a function 'oracle'"),
    ],
    ids=["missing-output", "raises", "wrong-arguments", "writes-its-input", "import-fails", "not-callable"],
)
def test_oracle_failures_are_oracle_errors(inline_task: TaskFactory, numpy: str, message: str) -> None:
    task = _oracle_task(inline_task, numpy)
    with pytest.raises(OracleError, match=message):
        run_oracle(make_instance(task, {"n": 7}, seed=0))


def test_task_without_oracle(inline_task: TaskFactory) -> None:
    task = _oracle_task(inline_task, None)
    with pytest.raises(OracleError, match="has no NumPy oracle"):
        run_oracle(make_instance(task, {"n": 1}, seed=0))
