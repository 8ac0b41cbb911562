"""Calling library kernels from Python: every suite task against its oracle, and every kind of bad call."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import kernels_library
from kernels_library import KernelCallError, KernelFunction
from kernels_library._binding import build_shared_library
from kernels_library._entry import EntryRecord
from tasks import suite_tasks
from tasks.compare import compare_outputs
from tasks.instance import make_instance
from tasks.model import KernelTask, Role
from tasks.oracle import run_oracle

pytestmark = pytest.mark.usefixtures("clang")
Publish = Callable[..., EntryRecord]


def _load(publish: Publish, task: KernelTask | str) -> KernelFunction:
    record = publish(task)
    return kernels_library.get(record.task.name).load()


@pytest.mark.parametrize("task", suite_tasks(), ids=lambda task: task.name)
def test_a_loaded_kernel_gives_the_oracle_answers(task: KernelTask, publish: Publish) -> None:
    kernel = _load(publish, task)
    for size in task.sizes.test:
        instance = make_instance(task, size, seed=7)
        arrays = [instance.initial(p) for p in kernel.arguments if p.role is not Role.output]
        try:
            result = kernel(*arrays)
        except KernelCallError as exc:  # sizes the arrays do not pin down: the error names each one
            sizes = {s: v for s, v in instance.symbols.items() if s in kernel.size_symbols and f"{s}=..." in str(exc)}
            assert sizes, exc
            result = kernel(*arrays, **sizes)
        outputs = result if isinstance(result, dict) else {task.signature.results[0].name: result}
        assert not compare_outputs(task, run_oracle(instance), outputs), size


@pytest.fixture
def reduce_sum(publish: Publish) -> KernelFunction:
    return _load(publish, "reduce-sum")


@pytest.fixture
def search_sorted(publish: Publish) -> KernelFunction:
    return _load(publish, "search-sorted")


@pytest.fixture
def jacobi(publish: Publish) -> KernelFunction:
    return _load(publish, "jacobi-2d")


def test_arguments_by_name_outputs_passed_in_and_several_outputs(reduce_sum: KernelFunction) -> None:
    x = np.linspace(-3, 3, 101)
    expected = np.sum(np.sqrt(np.abs(x)) * np.sin(x))
    out = np.zeros(1)
    assert reduce_sum(x=x, out=out) is out
    assert out[0] == pytest.approx(expected)
    assert reduce_sum(x, n=101)[0] == pytest.approx(expected)
    assert reduce_sum(x.reshape(1, 101))[0] == pytest.approx(expected)  # any C-contiguous shape of n elements
    assert "void reduce_sum(const double* x, int64_t n, double* out)" in reduce_sum.__doc__


def test_sizes_that_the_arrays_leave_open_are_named(jacobi: KernelFunction) -> None:
    grid = np.random.default_rng(0).random(6 * 4)
    with pytest.raises(KernelCallError, match=r"cannot tell cols, rows, steps .*pass cols=\.\.\., rows=\.\.\., steps="):
        jacobi(grid)
    with pytest.raises(KernelCallError, match=r"cannot tell steps .*; pass steps=\.\.\.$"):
        jacobi(grid, rows=6)
    assert jacobi(grid, rows=6, steps=2).shape == (24,)  # cols follows from rows and the grid
    with pytest.raises(KernelCallError, match="cannot tell cols"):  # rows=0: any cols fits an empty grid
        jacobi(np.empty(0), rows=0, steps=1)
    with pytest.raises(KernelCallError, match="'grid' has 24 elements, which fits no value of 'cols'"):
        jacobi(grid, rows=5, steps=1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: f(np.ones(5, dtype=np.float32)), "'x' must have dtype float64, not float32"),
        (lambda f: f(np.ones(5), np.zeros(2)), r"'out' must have 1 elements \(shape 1\), not 2"),
        (lambda f: f(np.ones(5), n=4), r"'x' must have 4 elements \(shape n\), not 5"),
        (lambda f: f(np.ones(10)[::2]), "'x' must be C-contiguous"),
        (lambda f: f(None, np.zeros(1)), "missing argument 'x'"),
        (lambda f: f(), "missing argument 'x'"),
        (lambda f: f(np.ones(5), np.zeros(1), np.zeros(1)), r"takes at most 2 arguments \(x, out\), got 3"),
        (lambda f: f(np.ones(5), x=np.ones(5)), "'x' given twice"),
        (lambda f: f(np.ones(5), size=5), "unexpected argument 'size' .*size symbols: n"),
        (lambda f: f(np.ones(5), n=-1), "'n' must be >= 0"),
        (lambda f: f(np.ones(5), n=2.5), "'n' must be an integer, not float"),
        (lambda f: f([1.0, 2.0]), "'x' must be a NumPy array or a CPU tensor, not list"),
    ],
    ids=[
        "dtype", "output-length", "length-vs-size", "non-contiguous", "none-input", "missing", "too-many",
        "twice", "unknown-keyword", "negative-size", "float-size", "list",
    ],
)  # fmt: skip
def test_bad_calls_get_clear_errors(reduce_sum: KernelFunction, call: Callable, message: str) -> None:
    with pytest.raises(KernelCallError, match=message):
        call(reduce_sum)


def test_a_read_only_output_is_refused(reduce_sum: KernelFunction, search_sorted: KernelFunction) -> None:
    out = np.zeros(1)
    out.setflags(write=False)
    with pytest.raises(KernelCallError, match="'out' is written by the kernel and must be writeable"):
        reduce_sum(np.ones(5), out)
    keys = np.arange(10, dtype=np.int64)
    with pytest.raises(KernelCallError, match="missing argument 'queries'"):
        search_sorted(keys)
    assert search_sorted(keys, np.array([-1, 3, 99], dtype=np.int64)).tolist() == [0, 3, 10]


def test_each_entry_is_compiled_once(publish: Publish) -> None:
    record = publish("gelu")
    first = kernels_library.get("gelu").load()
    builds = sorted(kernels_library.store().builds.glob("*.so"))
    assert len(builds) == 1
    built_at = builds[0].stat().st_mtime_ns
    again = kernels_library.get("gelu")
    assert again.load() is again.load()
    assert builds[0].stat().st_mtime_ns == built_at
    assert np.array_equal(first(np.ones(3)), again.load()(np.ones(3)))
    assert record.id == again.record.id


def test_a_damaged_cached_library_is_rebuilt(publish: Publish) -> None:
    record = publish("gelu")
    built = build_shared_library(record.task, record.task.reference.cpp, kernels_library.store().builds)
    built.write_bytes(b"not an ELF file")  # never loaded in this process: writing over a mapped library kills it
    assert kernels_library.get("gelu").load()(np.zeros(2)).tolist() == [0.0, 0.0]


def test_torch_cpu_tensors_in_and_out(publish: Publish) -> None:
    torch = pytest.importorskip("torch", reason="torch is an optional extra (pip install -e '.[torch]')")
    gelu = _load(publish, "gelu")
    x = torch.linspace(-2, 2, 9, dtype=torch.float64)
    y = gelu(x)
    assert isinstance(y, torch.Tensor)
    assert torch.allclose(y, torch.nn.functional.gelu(x, approximate="tanh"), atol=1e-3)
    with pytest.raises(KernelCallError, match="'x' is a non-contiguous tensor"):
        gelu(torch.ones(8, dtype=torch.float64)[::2])
    with pytest.raises(KernelCallError, match="'x' must have dtype float64, not float32"):
        gelu(torch.ones(4))
