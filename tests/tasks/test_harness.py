"""The generated C++ driver, built with clang++ and run through the local sandbox."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from sandbox import Job, Limits, Sandbox
from tasks import resolve_task
from tasks.compare import compare_outputs
from tasks.dtypes import DType
from tasks.harness import driver_source, signature_header
from tasks.instance import POISON_BYTE, Instance, make_instance
from tasks.model import KernelTask, Role
from tasks.oracle import run_oracle
from verifiers.build import build_kernel
from verifiers.execute import Execution, run_instance
from verifiers.toolchain import BINARY

TaskFactory = Callable[..., KernelTask]


def build(task: KernelTask, source: str, sandbox: Sandbox) -> bytes:
    result = build_kernel(task, source, sandbox)
    assert result.ok, result.log
    return result.binary


def run(sandbox: Sandbox, binary: bytes, instance: Instance, **kwargs: int) -> Execution:
    execution = run_instance(sandbox, binary, instance, wall_s=60, **kwargs)
    assert execution.ok, execution.describe_failure()
    return execution


def empty_kernel(task: KernelTask) -> str:
    """A definition matching the task's prototype that writes nothing."""
    return f"{task.signature.prototype()} {{}}\n"


# --- Every dtype, through files, by value and by pointer ---

_RANGES: dict[DType, tuple[float, float]] = {
    DType.bool: (0, 1),
    DType.int8: (-128, 127),
    DType.uint8: (0, 255),
    DType.int16: (-32768, 32767),
    DType.uint16: (0, 65535),
    DType.int32: (-(2**31), 2**31 - 1),
    DType.uint32: (0, 2**32 - 1),
    DType.int64: (-(2**63), 2**63 - 1024),  # the widest range a float64 bound can give exactly
    DType.uint64: (0, 2**64 - 2048),
    DType.float32: (-1e6, 1e6),
    DType.float64: (-1e12, 1e12),
}


def _roundtrip_task(inline_task: TaskFactory) -> KernelTask:
    """For each dtype: ``out_T[i] = in_T[n-1-i]`` (negated for bool), then ``out_T[n] = s_T`` (a scalar)."""
    params, inputs, body, tail = [], [], [], []
    for dtype in DType:
        t = dtype.value
        params += [
            {"name": f"in_{t}", "dtype": t, "role": "input", "shape": "n"},
            {"name": f"s_{t}", "dtype": t, "role": "input"},
            {"name": f"out_{t}", "dtype": t, "role": "output", "shape": "n+1"},
        ]
        low, high = _RANGES[dtype]
        inputs += [{"kind": "uniform", "param": f"{p}_{t}", "low": low, "high": high} for p in ("in", "s")]
        negate = "!" if dtype is DType.bool else ""
        body.append(f"        out_{t}[i] = {negate}in_{t}[n - 1 - i];")
        tail.append(f"    out_{t}[n] = s_{t};")
    params.append({"name": "n", "dtype": "int64", "role": "size"})
    signature = ", ".join(
        f"{'const ' if p['role'] == 'input' and 'shape' in p else ''}{DType(p['dtype']).c_type}"
        f"{'*' if 'shape' in p else ''} {p['name']}"
        for p in params
    )
    loop = ["    for (int64_t i = 0; i < n; ++i) {", *body, "    }"]
    cpp = "\n".join(["#include <cstdint>", f"void roundtrip({signature}) {{", *loop, *tail, "}"])
    oracle = (
        "def oracle(**a):\n"
        f"    dtypes = {[d.value for d in DType]!r}\n"
        "    flip = lambda v: ~v if v.dtype == np.bool_ else v\n"
        "    last = lambda v, s: np.array([s], dtype=v.dtype)  # not np.append(v, s): it may go through float64\n"
        "    return {f'out_{t}': np.concatenate([flip(a[f'in_{t}'][::-1]), last(a[f'in_{t}'], a[f's_{t}'])])\n"
        "            for t in dtypes}\n"
    )
    return inline_task(params, inputs, cpp=cpp, numpy=oracle, function="roundtrip")


@pytest.fixture(scope="module")
def roundtrip(clang: str, local_sandbox: Sandbox, inline_task: TaskFactory) -> tuple[KernelTask, bytes]:
    task = _roundtrip_task(inline_task)
    return task, build(task, task.reference.cpp, local_sandbox)


@pytest.mark.parametrize("n", [0, 1, 7, 1000])
def test_every_dtype_round_trips(roundtrip: tuple[KernelTask, bytes], local_sandbox: Sandbox, n: int) -> None:
    task, binary = roundtrip
    instance = make_instance(task, {"n": n}, seed=n)
    outputs = run(local_sandbox, binary, instance).outputs
    for dtype in DType:
        t = dtype.value
        got = outputs[f"out_{t}"]
        assert got.dtype == dtype.numpy
        data = instance.args[f"in_{t}"][::-1]
        scalar = np.array([instance.args[f"s_{t}"]], dtype=dtype.numpy)
        expected = np.concatenate([~data if dtype is DType.bool else data, scalar])
        assert got.tobytes() == expected.tobytes(), t
    assert compare_outputs(task, run_oracle(instance), outputs) == []


def test_extreme_values_survive(roundtrip: tuple[KernelTask, bytes], local_sandbox: Sandbox) -> None:
    """The generated inputs cover each integer type's sign bit (and the top bit of the unsigned ones)."""
    task, binary = roundtrip
    instance = make_instance(task, {"n": 1000}, seed=1)
    outputs = run(local_sandbox, binary, instance).outputs
    for dtype in (DType.int8, DType.int64, DType.uint32, DType.uint64):
        values = outputs[f"out_{dtype}"][:-1]
        assert values.min() < 0 if dtype.value.startswith("int") else values.max() >= 2 ** (8 * dtype.itemsize - 1)


@pytest.fixture(scope="module")
def roundtrip_unwritten(roundtrip: tuple[KernelTask, bytes], local_sandbox: Sandbox) -> bytes:
    task, _ = roundtrip
    return build(task, empty_kernel(task), local_sandbox)


@pytest.mark.parametrize("n", [0, 5])
def test_outputs_start_poisoned(
    roundtrip: tuple[KernelTask, bytes], roundtrip_unwritten: bytes, local_sandbox: Sandbox, n: int
) -> None:
    task, _ = roundtrip
    instance = make_instance(task, {"n": n}, seed=0)
    outputs = run(local_sandbox, roundtrip_unwritten, instance).outputs
    for dtype in DType:
        raw = outputs[f"out_{dtype}"].tobytes()
        assert len(raw) == (n + 1) * dtype.itemsize
        assert set(raw) == {POISON_BYTE}, dtype
    mismatches = compare_outputs(task, run_oracle(instance), outputs)
    assert sorted(m.output for m in mismatches) == sorted(f"out_{d}" for d in DType)
    for mismatch in mismatches:
        assert f"{n + 1} of them were never written (still hold the poison pattern)" in mismatch.message


# --- Inouts are restored before every call; timings come back per repeat ---


@pytest.fixture(scope="module")
def bump(clang: str, local_sandbox: Sandbox, inline_task: TaskFactory) -> tuple[KernelTask, bytes]:
    task = inline_task(
        [
            {"name": "acc", "dtype": "int64", "role": "inout", "shape": "n"},
            {"name": "scale", "dtype": "float64", "role": "inout", "shape": "n"},
            {"name": "calls", "dtype": "int32", "role": "output", "shape": "1"},
            {"name": "n", "dtype": "int64", "role": "size"},
        ],
        [
            {"kind": "uniform", "param": "acc", "low": -1000, "high": 1000},
            {"kind": "uniform", "param": "scale", "low": 1, "high": 2},
        ],
        function="bump",
        cpp="""
            #include <cstdint>
            static int32_t calls_so_far = 0;
            void bump(int64_t* acc, double* scale, int32_t* calls, int64_t n) {
                #pragma omp parallel for
                for (int64_t i = 0; i < n; ++i) {
                    acc[i] += 1;
                    scale[i] *= 2.0;
                }
                calls[0] = ++calls_so_far;
            }
        """,
    )
    return task, build(task, task.reference.cpp, local_sandbox)


@pytest.mark.parametrize(("warmup", "repeats"), [(0, 1), (2, 5), (0, 9)])
def test_inouts_are_restored_before_each_call(
    bump: tuple[KernelTask, bytes], local_sandbox: Sandbox, warmup: int, repeats: int
) -> None:
    task, binary = bump
    instance = make_instance(task, {"n": 100}, seed=0)
    execution = run(local_sandbox, binary, instance, warmup=warmup, repeats=repeats, threads=2)
    np.testing.assert_array_equal(execution.outputs["acc"], instance.args["acc"] + 1)
    np.testing.assert_array_equal(execution.outputs["scale"], instance.args["scale"] * 2.0)
    assert execution.outputs["calls"].tolist() == [warmup + repeats], "the kernel runs warmup + repeats times"
    assert len(execution.times_ns) == repeats
    assert all(isinstance(t, int) and t >= 0 for t in execution.times_ns)


def test_empty_inouts(bump: tuple[KernelTask, bytes], local_sandbox: Sandbox) -> None:
    task, binary = bump
    instance = make_instance(task, {"n": 0}, seed=0)
    execution = run(local_sandbox, binary, instance, repeats=3)
    assert execution.outputs["acc"].shape == (0,) and execution.outputs["acc"].dtype == np.int64
    assert execution.outputs["scale"].shape == (0,)
    assert execution.outputs["calls"].tolist() == [3]
    assert len(execution.times_ns) == 3


def test_driver_refuses_bad_usage(bump: tuple[KernelTask, bytes], local_sandbox: Sandbox) -> None:
    _, binary = bump
    for args, complaint in ([["in", "out", "0", "0"], "REPEATS >= 1"], [["in", "out", "0", "1"], "cannot open in/acc"]):
        job = Job(
            command=["sh", "-c", f"mkdir -p out && exec ./{BINARY} {' '.join(args)}"],
            files={BINARY: binary},
            executable=[BINARY],
            limits=Limits(wall_s=30),
        )
        result = local_sandbox.run(job)
        assert result.exit_code == 2, result
        assert complaint in result.stderr


# --- The reference task itself, at n == 0 ---


@pytest.fixture(scope="module")
def reduce_sum(clang: str) -> KernelTask:
    return resolve_task("reduce-sum")


def test_reduce_sum_at_zero_and_one(reduce_sum: KernelTask, local_sandbox: Sandbox) -> None:
    binary = build(reduce_sum, reduce_sum.reference.cpp, local_sandbox)
    for n in (0, 1):
        instance = make_instance(reduce_sum, {"n": n}, seed=0)
        outputs = run(local_sandbox, binary, instance).outputs
        assert compare_outputs(reduce_sum, run_oracle(instance), outputs) == []
    assert run(local_sandbox, binary, make_instance(reduce_sum, {"n": 0}, seed=0)).outputs["out"].tolist() == [0.0]


# --- A definition that differs from the prototype is another function, and the link fails ---

_BODY = "{ double t = 0; for (int64_t i = 0; i < n; ++i) t += x[i]; out[0] = t; }"


@pytest.mark.parametrize(
    "definition",
    [
        "void reduce_sum(double* x, int64_t n, double* out)",
        "void reduce_sum(const double* x, int n, double* out)",
        "void reduce_sum(const float* x, int64_t n, float* out)",
        "void reduce_sum(const double* x, uint64_t n, double* out)",
        "void reduce_sum(const double* x, int64_t n, double* out, int extra)",
        "void reduce_sum_(const double* x, int64_t n, double* out)",
    ],
    ids=["missing-const", "int-for-int64", "float-for-double", "unsigned", "extra", "misnamed"],
)
def test_mismatched_definition_does_not_build(reduce_sum: KernelTask, local_sandbox: Sandbox, definition: str) -> None:
    result = build_kernel(reduce_sum, f"#include <cstdint>\n{definition} {_BODY}\n", local_sandbox)
    assert not result.ok
    assert "reduce_sum" in result.log


def test_an_equivalent_definition_builds(reduce_sum: KernelTask, local_sandbox: Sandbox) -> None:
    """Top-level const on a by-value parameter and __restrict do not change the function's type."""
    definition = 'extern "C" void reduce_sum(const double* __restrict x, const int64_t n, double* __restrict out)'
    result = build_kernel(reduce_sum, f"#include <cstdint>\n{definition} {_BODY}\n", local_sandbox)
    assert result.ok, result.log


# --- Parameter names that the driver itself might use ---

_CLASHING = [
    {"name": "input", "dtype": "float64", "role": "input", "shape": "load"},
    {"name": "times", "dtype": "int32", "role": "input"},
    {"name": "x", "dtype": "float64", "role": "input", "shape": "load"},
    {"name": "x_count", "dtype": "int64", "role": "input"},
    {"name": "x_initial", "dtype": "float64", "role": "inout", "shape": "load"},
    {"name": "pf_arg0", "dtype": "int32", "role": "input"},
    {"name": "pf_in", "dtype": "int32", "role": "input"},
    {"name": "argv", "dtype": "float64", "role": "output", "shape": "load"},
    {"name": "argc", "dtype": "int64", "role": "size", "value": "load*2"},
    {"name": "load", "dtype": "int64", "role": "size"},
    {"name": "out", "dtype": "int64", "role": "output", "shape": "1"},
    {"name": "die", "dtype": "uint8", "role": "input"},
]


def test_parameter_names_cannot_collide_with_the_driver(
    clang: str, local_sandbox: Sandbox, inline_task: TaskFactory
) -> None:
    task = inline_task(
        _CLASHING,
        [
            {"kind": "uniform", "param": "input", "low": -1, "high": 1},
            {"kind": "uniform", "param": "times", "low": 2, "high": 9},
            {"kind": "uniform", "param": "x", "low": -1, "high": 1},
            {"kind": "uniform", "param": "x_count", "low": 100, "high": 200},
            {"kind": "uniform", "param": "x_initial", "low": -1, "high": 1},
            {"kind": "uniform", "param": "pf_arg0", "low": 1000, "high": 2000},
            {"kind": "uniform", "param": "pf_in", "low": 10, "high": 20},
            {"kind": "uniform", "param": "die", "low": 1, "high": 200},
        ],
        function="store",
        test=[{"load": 0}, {"load": 1}, {"load": 7}],
        work="load",
        cpp="""
            #include <cstdint>
            void store(const double* input, int32_t times, const double* x, int64_t x_count, double* x_initial,
                       int32_t pf_arg0, int32_t pf_in, double* argv, int64_t argc, int64_t load, int64_t* out,
                       uint8_t die) {
                for (int64_t i = 0; i < load; ++i) {
                    argv[i] = input[i] * times;
                    x_initial[i] += x[i];
                }
                out[0] = x_count + 10 * (pf_arg0 + 10 * (pf_in + 100 * (die + 1000 * argc)));
            }
        """,
    )
    binary = build(task, task.reference.cpp, local_sandbox)
    instance = make_instance(task, {"load": 7}, seed=0)
    outputs = run(local_sandbox, binary, instance, repeats=2).outputs
    a = instance.args
    np.testing.assert_array_equal(outputs["argv"], a["input"] * a["times"])
    np.testing.assert_array_equal(outputs["x_initial"], a["x_initial"] + a["x"])
    assert outputs["out"].tolist() == [
        a["x_count"] + 10 * (a["pf_arg0"] + 10 * (a["pf_in"] + 100 * (a["die"] + 1000 * 14)))
    ]


def test_python_and_cpp_keywords_are_not_parameter_names(inline_task: TaskFactory) -> None:
    for name in ("in", "int", "class", "main", "lambda", "return"):
        with pytest.raises(ValueError, match="reserved word"):
            inline_task(
                [
                    {"name": name, "dtype": "int64", "role": "input"},
                    {"name": "n", "dtype": "int64", "role": "size"},
                    {"name": "y", "dtype": "int64", "role": "output", "shape": "n"},
                ]
            )


# --- Generated text (no compiler needed) ---


def test_header_declares_the_prototype_with_c_linkage() -> None:
    task = resolve_task("reduce-sum")
    header = signature_header(task.signature)
    assert 'extern "C" void reduce_sum(const double* x, int64_t n, double* out);' in header
    assert "#include <cstdint>" in header


def test_driver_loads_every_parameter_and_stores_only_results() -> None:
    task = resolve_task("reduce-sum")
    source = driver_source(task.signature)
    for param in task.signature.params:
        assert f'"{param.name}"' in source
    lines = [line.strip() for line in source.splitlines()]
    check_at = lines.index("if (pf_check_inputs) {")
    stores = [line for line in lines[:check_at] if line.startswith("store<")]
    assert len(stores) == len([p for p in task.signature.params if p.role in (Role.output, Role.inout)])
    checked = [line for line in lines[check_at:] if line.startswith("store<")]
    assert checked == ['store<double>(pf_out, "x", pf_arg0, pf_arg0_count);'], "changed inputs go back when asked"
    assert "reduce_sum(pf_arg0, pf_arg1, pf_arg2);" in source
